/**
 * Which cluster pipeline runs use: the one KUBECONFIG names (a cluster of the user's own:
 * kind, k3d, …), otherwise the embedded cluster `make cluster-up` starts, whose kubeconfig
 * is `$DFP_CLUSTER_DIR/kubeconfig` (default `$DFP_CACHE/cluster/kubeconfig`). The same rule
 * as `scripts/cluster/kubeconfig`; docs/cluster.md says more.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The embedded cluster's kubeconfig path, whether or not it runs. */
export function embeddedKubeconfig(env: NodeJS.ProcessEnv = process.env): string {
  const cache = env.DFP_CACHE || join(homedir(), '.cache', 'dfp');
  return join(env.DFP_CLUSTER_DIR || join(cache, 'cluster'), 'kubeconfig');
}

/** The kubeconfig to run pipelines with; throws, saying what to do, when there is none. */
export function clusterKubeconfig(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KUBECONFIG) {
    const first = env.KUBECONFIG.split(':')[0]!;
    if (!existsSync(first)) throw new Error(`KUBECONFIG names ${first}, which does not exist`);
    return env.KUBECONFIG;
  }
  const embedded = embeddedKubeconfig(env);
  if (!existsSync(embedded))
    throw new Error(
      "no cluster: start the embedded one (make cluster-up) or set KUBECONFIG to your own cluster's kubeconfig",
    );
  return embedded;
}
