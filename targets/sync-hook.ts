/**
 * The shape every "apply on sync" target shares (Feast, Chronon, DataHub): the reviewed
 * files as a ConfigMap in sync wave -1, and an Argo CD Sync-hook Job that mounts them and
 * runs the store's own CLI on them. A shared helper, not a target: no target imports
 * another. Each target keeps what is its own (image, command, env, what it mounts where).
 */
import type { Environment } from '../constructs/model/schema.ts';
import { restrictedContainerSecurity, restrictedPodSecurity } from './pod-security.ts';

/** A directory the hook's container mounts: the ConfigMap (read-only) or an empty scratch folder. */
export interface HookMount {
  /** Volume name. */
  readonly volume: string;
  /** Where the container sees it. */
  readonly path: string;
}

export interface SyncHookSpec {
  /** The Job's and its container's name, and the `app.kubernetes.io/name` label. */
  readonly name: string;
  readonly configMapName: string;
  /** ConfigMap data: flat key to file content. */
  readonly data: Readonly<Record<string, string>>;
  /** When set, the volume projects each key back to a path under the mount. */
  readonly items?: readonly { readonly key: string; readonly path: string }[];
  /** The annotation carrying the files' digest (both objects carry it, so a change re-runs the hook). */
  readonly digestAnnotation: string;
  readonly digest: string;
  readonly image: string;
  readonly command: readonly string[];
  readonly env: readonly object[];
  readonly files: HookMount;
  readonly scratch: HookMount;
  readonly resources: { readonly requests: Record<string, string>; readonly limits: Record<string, string> };
}

/**
 * How long a hook Job may take, all its pods and their image pulls included. Argo CD waits
 * for a Sync hook to complete and has no timeout of its own: a pod that never starts (an
 * image that cannot be pulled, a node that never fits it) or a CLI that waits on a store
 * that does not answer would hold the Application's sync, and in wave 0 every later wave,
 * for ever. Past the deadline the Job fails (`DeadlineExceeded`), the hook and the sync
 * fail, and Argo CD's retries (targets/argocd/application.ts) start a new hook Job. What
 * the hooks do (register a few definitions, ingest a few metadata files) takes seconds; five
 * minutes leaves room for a cold pull of the image.
 */
export const HOOK_DEADLINE_SECONDS = 300;

/** The ConfigMap and the Sync-hook Job, in that order; the pod meets the restricted Pod Security profile. */
export function syncHookObjects(spec: SyncHookSpec, env: Environment): object[] {
  const labels = { 'app.kubernetes.io/managed-by': 'dfp', 'app.kubernetes.io/name': spec.name };
  const configMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: spec.configMapName,
      namespace: env.namespace,
      labels,
      annotations: { 'argocd.argoproj.io/sync-wave': '-1', [spec.digestAnnotation]: spec.digest },
    },
    data: spec.data,
  };
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: spec.name,
      namespace: env.namespace,
      labels,
      annotations: {
        'argocd.argoproj.io/hook': 'Sync',
        // A new Job per sync; the last one stays for its logs until the next.
        'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
        [spec.digestAnnotation]: spec.digest,
      },
    },
    spec: {
      activeDeadlineSeconds: HOOK_DEADLINE_SECONDS,
      backoffLimit: 2,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          serviceAccountName: env.serviceAccount,
          automountServiceAccountToken: false,
          securityContext: restrictedPodSecurity(1000, 1000),
          volumes: [
            {
              name: spec.files.volume,
              configMap: spec.items ? { name: spec.configMapName, items: spec.items } : { name: spec.configMapName },
            },
            { name: spec.scratch.volume, emptyDir: {} },
          ],
          containers: [
            {
              name: spec.name,
              image: spec.image,
              command: spec.command,
              env: spec.env,
              volumeMounts: [
                { name: spec.files.volume, mountPath: spec.files.path, readOnly: true },
                { name: spec.scratch.volume, mountPath: spec.scratch.path },
              ],
              resources: spec.resources,
              securityContext: restrictedContainerSecurity(),
            },
          ],
        },
      },
    },
  };
  return [configMap, job];
}
