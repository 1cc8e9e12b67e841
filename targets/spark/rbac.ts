/**
 * What the environment's service account may do so transforms run on Spark: the
 * launcher creates and watches SparkApplications, and the Spark driver, which runs under
 * the same account, creates and removes its executor pods and their services and
 * ConfigMaps. Limited to the environment's namespace.
 */
import type { Environment } from '../../constructs/model/schema.ts';

const LABELS = { 'app.kubernetes.io/managed-by': 'dfp' };
export const ROLE_NAME = 'dfp-spark-transforms';

export function rbac(env: Environment): object[] {
  const metadata = { name: ROLE_NAME, namespace: env.namespace, labels: LABELS };
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata,
      rules: [
        { apiGroups: ['sparkoperator.k8s.io'], resources: ['sparkapplications'], verbs: ['get', 'list', 'watch', 'create', 'delete'] },
        { apiGroups: [''], resources: ['pods', 'services', 'configmaps', 'persistentvolumeclaims'], verbs: ['get', 'list', 'watch', 'create', 'delete', 'deletecollection'] },
        { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
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
