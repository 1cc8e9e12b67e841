/**
 * Argo Workflows: per pipeline a WorkflowTemplate (and a CronWorkflow when scheduled),
 * plus the environment's artifact repository ConfigMap and the service accounts its pods run
 * as, with the Role Argo's executor needs (rbac.ts).
 */
import { kubernetesFile, SYNC_WAVE, type RenderedFile, type Target } from '../types.ts';
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
      kubernetesFile('artifact-repositories.yaml', [artifactRepositoryConfigMap(env)]),
      kubernetesFile('rbac.yaml', argoRbac(model, env)),
    ];
    for (const p of model.pipelines) {
      files.push(kubernetesFile(`workflow-templates/${p.name}.yaml`, [workflowTemplate(p, env)], p.name));
      const cron = cronWorkflow(p, env);
      if (cron) files.push(kubernetesFile(`cron-workflows/${p.name}.yaml`, [cron], p.name));
    }
    return files;
  },
};
