/**
 * What the environment's service account may do so transforms run on Spark: the
 * launcher creates and watches SparkApplications, and the Spark driver, which runs under
 * the same account, creates and removes its executor pods and their services and
 * ConfigMaps. Limited to the environment's namespace.
 */
import type { Environment } from '../../constructs/model/schema.ts';
import { engineRole } from '../data-plane.ts';

export const ROLE_NAME = 'dfp-spark-transforms';

export function rbac(env: Environment): object[] {
  return engineRole(env, ROLE_NAME, [
    { apiGroups: ['sparkoperator.k8s.io'], resources: ['sparkapplications'], verbs: ['get', 'list', 'watch', 'create', 'delete'] },
    { apiGroups: [''], resources: ['pods', 'services', 'configmaps', 'persistentvolumeclaims'], verbs: ['get', 'list', 'watch', 'create', 'delete', 'deletecollection'] },
    { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
  ]);
}
