/**
 * What the environment's service account may do so transforms run on DataFusion: the
 * launcher creates and watches Jobs and reads their pods' logs. Limited to the
 * environment's namespace.
 */
import type { Environment } from '../../constructs/model/schema.ts';
import { engineRole } from '../data-plane.ts';

export const ROLE_NAME = 'dfp-datafusion-transforms';

export function rbac(env: Environment): object[] {
  return engineRole(env, ROLE_NAME, [
    { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list', 'watch', 'create', 'delete'] },
    { apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list', 'watch'] },
  ]);
}
