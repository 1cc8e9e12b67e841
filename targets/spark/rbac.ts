/**
 * What the environment's service account may do so transforms run on Spark. The launcher
 * (images/dfp_tools/dfp_tools/run_transform.py) GETs the SparkApplication template,
 * creates its run, polls it and deletes it on timeout; when the template is missing it
 * looks for a Job of that name, so `get` on jobs makes that a 404 naming the transform
 * rather than a 403 (the API server authorises before it looks up).
 * tests/transform-rbac.test.ts derives these calls from the launcher's code. The Spark
 * driver, which runs under the same account, creates, watches and removes its executor
 * pods and their services, ConfigMaps and volume claims (Spark's documented driver
 * rights). Limited to the environment's namespace.
 */
import type { Environment } from '../../constructs/model/schema.ts';
import { engineRole } from '../data-plane.ts';

export const ROLE_NAME = 'dfp-spark-transforms';

/** The rule for Spark's driver: not the launcher's, so not derived from it. */
export const DRIVER_RULE = {
  apiGroups: [''],
  resources: ['pods', 'services', 'configmaps', 'persistentvolumeclaims'],
  verbs: ['get', 'list', 'watch', 'create', 'delete', 'deletecollection'],
} as const;

export function rbac(env: Environment): object[] {
  return engineRole(env, ROLE_NAME, [
    { apiGroups: ['sparkoperator.k8s.io'], resources: ['sparkapplications'], verbs: ['create', 'delete', 'get'] },
    { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get'] },
    DRIVER_RULE,
  ]);
}
