/**
 * Argo CD Applications (argoproj.io/v1alpha1): one per target folder that holds
 * Kubernetes objects, and the root Application of the app of apps that syncs them.
 */
import type { Environment } from '../../constructs/model/schema.ts';

/**
 * Argo CD's finaliser: deleting an Application also deletes what it deployed, in the
 * foreground. The same as Argo CD's bare `resources-finalizer.argocd.argoproj.io`, in the
 * form with a path, which the API server asks of a finaliser name (it warns on the
 * bare one); Argo CD defines both (ForegroundPropagationPolicyFinalizer).
 */
const CASCADE = 'resources-finalizer.argocd.argoproj.io/foreground';

export interface ApplicationSource {
  /** The target's folder name, e.g. `kubeflow`. */
  readonly target: string;
  /** The folder below `dist/<env>/<target>/` that holds its Kubernetes objects ('' for all of it). */
  readonly subPath: string;
  /** The target's sync wave (Target.syncWave). */
  readonly syncWave: number;
}

function syncPolicy() {
  return {
    automated: { prune: true, selfHeal: true },
    syncOptions: ['CreateNamespace=true', 'ApplyOutOfSyncOnly=true'],
    retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '5m' } },
  };
}

const labels = (env: Environment) => ({ 'app.kubernetes.io/managed-by': 'dfp', 'dfp.dev/environment': env.name });

/** The Argo CD namespace the Application objects live in. */
export const ARGOCD_NAMESPACE = 'argocd';

export function targetApplication(env: Environment, src: ApplicationSource): object {
  const path = ['dist', env.name, src.target, ...(src.subPath ? [src.subPath] : [])].join('/');
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {
      name: `${env.name}-${src.target}`,
      namespace: ARGOCD_NAMESPACE,
      labels: labels(env),
      annotations: { 'argocd.argoproj.io/sync-wave': String(src.syncWave) },
      finalizers: [CASCADE],
    },
    spec: {
      project: 'default',
      source: {
        repoURL: env.gitops.repoURL,
        targetRevision: env.gitops.targetRevision,
        path,
        directory: { recurse: true },
      },
      destination: { server: 'https://kubernetes.default.svc', namespace: env.namespace },
      syncPolicy: syncPolicy(),
    },
  };
}

/** The root of the app of apps: it syncs `dist/<env>/argocd/`, where the child Applications are. */
export function rootApplication(env: Environment): object {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: `${env.name}-apps`, namespace: ARGOCD_NAMESPACE, labels: labels(env), finalizers: [CASCADE] },
    spec: {
      project: 'default',
      source: {
        repoURL: env.gitops.repoURL,
        targetRevision: env.gitops.targetRevision,
        path: `dist/${env.name}/argocd/apps`,
      },
      destination: { server: 'https://kubernetes.default.svc', namespace: ARGOCD_NAMESPACE },
      syncPolicy: syncPolicy(),
    },
  };
}
