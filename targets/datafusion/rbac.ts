/**
 * What the environment's service account may do so transforms run on DataFusion: exactly
 * the calls of images/dfp_tools/dfp_tools/run_transform.py. It first GETs a
 * SparkApplication of the transform's name (the API server authorises before it looks
 * up, so without `get` that answers 403, not the 404 that sends the launcher on to the
 * Job), then reads the Job template, creates its run, polls it and deletes it on timeout.
 * tests/transform-rbac.test.ts derives the calls from the launcher's code. Limited to the
 * environment's namespace.
 */
import type { Environment } from '../../constructs/model/schema.ts';
import { engineRole } from '../data-plane.ts';

export const ROLE_NAME = 'dfp-datafusion-transforms';

export function rbac(env: Environment): object[] {
  return engineRole(env, ROLE_NAME, [
    { apiGroups: ['sparkoperator.k8s.io'], resources: ['sparkapplications'], verbs: ['get'] },
    { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'delete', 'get'] },
  ]);
}
