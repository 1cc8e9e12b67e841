/**
 * Spark: per environment with `engine: 'spark'`, one SparkApplication per transform
 * (`applications/<transform>.yaml`, a suspended run template that TransformSteps start
 * copies of) and the Role the launcher and the drivers need (`rbac.yaml`). Argo CD
 * applies the folder before the orchestrators' (sync wave 1).
 */
import { kubernetesFile, SYNC_WAVE, type RenderedFile, type Target } from '../types.ts';
import { sparkApplication } from './application.ts';
import { checkOperatorLimits } from './operator-limits.ts';
import { rbac } from './rbac.ts';

export const sparkTarget: Target = {
  name: 'spark',
  syncWave: SYNC_WAVE.engines,
  appliesTo: (env) => env.engine === 'spark',
  render(model, env): RenderedFile[] {
    const transforms = model.data.transforms;
    if (transforms.length === 0) return [];
    return [
      ...transforms.map((t) => {
        const app = sparkApplication(t, env);
        checkOperatorLimits(app, t.path);
        return kubernetesFile(`applications/${t.name}.yaml`, [app]);
      }),
      kubernetesFile('rbac.yaml', rbac(env)),
    ];
  },
};
