/**
 * What the environment's service account may do so transforms run on DataFusion: the
 * launcher creates and watches Jobs and reads their pods' logs. Limited to the
 * environment's namespace.
 */
import type { Environment } from '../../constructs/model/schema.ts';

const LABELS = { 'app.kubernetes.io/managed-by': 'dfp' };
export const ROLE_NAME = 'dfp-datafusion-transforms';

export function rbac(env: Environment): object[] {
  const metadata = { name: ROLE_NAME, namespace: env.namespace, labels: LABELS };
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata,
      rules: [
        { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list', 'watch', 'create', 'delete'] },
        { apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list', 'watch'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: ROLE_NAME },
      subjects: [{ kind: 'ServiceAccount', name: env.serviceAccount, namespace: env.namespace }],
    },
  ];
}
