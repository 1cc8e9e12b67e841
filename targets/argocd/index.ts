/**
 * Argo CD: per environment an app of apps. `root.yaml` is applied once by hand (or by a
 * bootstrap Application); it syncs `apps/`, which holds one Application per target
 * folder with Kubernetes objects, pointing at the environment's git repository and
 * revision. Folders without Kubernetes objects (Airflow's DAG files, Kubeflow's IR) get
 * none: they are read by git-sync and the kfp client, not applied.
 */
import { kubernetesFile, type RenderedFile, type Target, type TargetOutput } from '../types.ts';
import { rootApplication, targetApplication, type ApplicationSource } from './application.ts';

/** The deepest folder that holds every one of the target's Kubernetes files. */
function kubernetesFolder(output: TargetOutput): ApplicationSource | undefined {
  const dirs = output.files.filter((f) => f.kubernetes).map((f) => f.path.split('/').slice(0, -1));
  const [first, ...rest] = dirs;
  if (!first) return undefined;
  let common = first;
  for (const d of rest) {
    let i = 0;
    while (i < common.length && common[i] === d[i]) i++;
    common = common.slice(0, i);
  }
  // A folder that mixes in files Argo CD must not apply cannot be synced as a directory.
  const prefix = common.length ? `${common.join('/')}/` : '';
  const mixed = output.files.some((f) => !f.kubernetes && f.path.startsWith(prefix));
  if (mixed)
    throw new Error(`dfp bug: target '${output.target}' mixes Kubernetes and other files under '${prefix || '.'}'`);
  return { target: output.target, subPath: common.join('/'), syncWave: output.syncWave };
}

export const argocdTarget: Target = {
  name: 'argocd',
  last: true,
  appliesTo: () => true,
  render(_model, env, others = []): RenderedFile[] {
    const sources = others.map(kubernetesFolder).filter((s): s is ApplicationSource => s !== undefined);
    return [
      kubernetesFile('root.yaml', [rootApplication(env)]),
      ...sources.map((s) => kubernetesFile(`apps/${s.target}.yaml`, [targetApplication(env, s)])),
    ];
  },
};
