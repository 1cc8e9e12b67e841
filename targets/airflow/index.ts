/**
 * Airflow: one DAG file per pipeline under `dags/`, for Airflow's git-sync to read
 * (docs/airflow.md). The files are Python, not Kubernetes objects, so Argo CD never
 * applies them.
 */
import { SYNC_WAVE, type RenderedFile, type Target } from '../types.ts';
import { checkAirflow } from './check.ts';
import { dagFile } from './dag-file.ts';
import { airflowNotes } from './notes.ts';

export const airflowTarget: Target = {
  name: 'airflow',
  syncWave: SYNC_WAVE.orchestrators,
  appliesTo: (env) => env.orchestrator === 'airflow',
  check: (model) => checkAirflow(model),
  notes: (model) => airflowNotes(model),
  render(model, env): RenderedFile[] {
    // Python module names cannot hold '-', but Airflow loads DAG files by path, not by import.
    return model.pipelines.map((p) => ({
      path: `dags/${p.name}.py`,
      content: dagFile(p, env, model.imagePins),
      kubernetes: false,
      pipeline: p.name,
    }));
  },
};
