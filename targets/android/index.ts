/**
 * Android runtime benchmarks: one Kubernetes Job per EmulatorBenchmark, in every
 * environment (whatever its orchestrator). Benchmarks that are pipeline steps are
 * ordinary steps, rendered by the orchestrator targets.
 */
import { kubernetesFile, SYNC_WAVE, type RenderedFile, type Target } from '../types.ts';
import { benchmarkJob } from './job.ts';

export const androidTarget: Target = {
  name: 'android',
  syncWave: SYNC_WAVE.standalone,
  appliesTo: () => true,
  render(model, env): RenderedFile[] {
    const files: RenderedFile[] = [];
    for (const b of model.androidBenchmarks) {
      if (b.deployment.kind !== 'job') continue;
      files.push(kubernetesFile(`${b.name}.yaml`, [benchmarkJob(b, b.deployment, env)]));
    }
    return files;
  },
};
