/**
 * Argo Workflows: per pipeline a WorkflowTemplate (and a CronWorkflow when scheduled),
 * plus the environment's artifact repository ConfigMap and the service accounts its pods run
 * as, with the Role Argo's executor needs (rbac.ts).
 */
import { toYaml } from '../../emit/yaml.ts';
import { SYNC_WAVE, type RenderedFile, type Target } from '../types.ts';
import { artifactRepositoryConfigMap } from './artifact-repository.ts';
import { checkArgo } from './check.ts';
import { argoRbac } from './rbac.ts';
import { cronWorkflow, workflowTemplate } from './workflow-template.ts';
import { argoNotes } from './notes.ts';

export const argoTarget: Target = {
  name: 'argo',
  syncWave: SYNC_WAVE.orchestrators,
  appliesTo: (env) => env.orchestrator === 'argo',
  check: (model) => checkArgo(model),
  notes: (model) => argoNotes(model),
  render(model, env): RenderedFile[] {
    const files: RenderedFile[] = [
      { path: 'artifact-repositories.yaml', content: toYaml(artifactRepositoryConfigMap(env)), kubernetes: true },
      { path: 'rbac.yaml', content: toYaml(...argoRbac(model, env)), kubernetes: true },
    ];
    for (const p of model.pipelines) {
      files.push({
        path: `workflow-templates/${p.name}.yaml`,
        content: toYaml(workflowTemplate(p, env)),
        kubernetes: true,
        pipeline: p.name,
      });
      const cron = cronWorkflow(p, env);
      if (cron)
        files.push({
          path: `cron-workflows/${p.name}.yaml`,
          content: toYaml(cron),
          kubernetes: true,
          pipeline: p.name,
        });
    }
    return files;
  },
};
