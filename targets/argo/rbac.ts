/**
 * What Argo's executor needs of the accounts the environment's workflow pods run as. Every
 * pod of a Workflow runs as the workflow's service account (the environment's, `dfp-runner`
 * by default) or a step's own; the ServiceAccount objects are rendered by targets/accounts/
 * (wave -1: pods of other Applications, a wave-0 Sync hook among them, run as the same
 * account, so an Application of wave 1 must not own it). Argo v3.7's executor (the `wait`
 * and `init` containers, emissary) reports each step's outputs as a WorkflowTaskResult, so
 * each account may create and patch those,
 * the release's own `executor` Role (manifests/quick-start/base/executor/emissary), and
 * nothing else. Other Roles (a transform launcher's) are bound by their own targets.
 */
import type { Environment, Model } from '../../constructs/model/schema.ts';

export const EXECUTOR_ROLE = 'dfp-argo-executor';

/** The environment's service account and every step's own, sorted, each once. */
export function workflowServiceAccounts(model: Model, env: Environment): string[] {
  const names = new Set([env.serviceAccount]);
  for (const p of model.pipelines) {
    for (const s of [...p.steps, ...(p.exitHandler ? [p.exitHandler] : [])])
      if (s.serviceAccount) names.add(s.serviceAccount);
  }
  return [...names].sort();
}

export function argoRbac(model: Model, env: Environment): object[] {
  const labels = { 'app.kubernetes.io/managed-by': 'dfp' };
  const accounts = workflowServiceAccounts(model, env);
  const metadata = { name: EXECUTOR_ROLE, namespace: env.namespace, labels };
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata,
      rules: [{ apiGroups: ['argoproj.io'], resources: ['workflowtaskresults'], verbs: ['create', 'patch'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: EXECUTOR_ROLE },
      subjects: accounts.map((name) => ({ kind: 'ServiceAccount', name, namespace: env.namespace })),
    },
  ];
}
