/**
 * DataFusion: per environment with `engine: 'datafusion'`, one Job per transform
 * (`jobs/<transform>.yaml`, a suspended run template that TransformSteps start copies of)
 * and the Role the launcher needs (`rbac.yaml`). The same transforms, the same names: an
 * environment switches engines by its one `engine` line.
 */
import { kubernetesFile, SYNC_WAVE, type RenderedFile, type Target } from '../types.ts';
import { transformJob } from './job.ts';
import { rbac } from './rbac.ts';

export const datafusionTarget: Target = {
  name: 'datafusion',
  syncWave: SYNC_WAVE.engines,
  appliesTo: (env) => env.engine === 'datafusion',
  render(model, env): RenderedFile[] {
    const transforms = model.data.transforms;
    if (transforms.length === 0) return [];
    return [
      ...transforms.map((t) => kubernetesFile(`jobs/${t.name}.yaml`, [transformJob(t, env)])),
      kubernetesFile('rbac.yaml', rbac(env)),
    ];
  },
};
