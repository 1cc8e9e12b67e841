/**
 * How the app hands dfp.lock.json to the model builder: as construct context, the way
 * cdk8s and the CDK pass any outside input, set on the app before anything is added to it.
 * The builder looks a branch up here; it never asks lakeFS (only `dfp lock` does).
 */
import type { IConstruct } from 'constructs';
import { emptyLock, lockKey, type Lock } from './model/lock-file.ts';

/** The context key that holds {@link LockContext}. */
export const LOCK_CONTEXT = 'dfp:lock';

/** The lock as the app read it, and from which file (for messages). */
export interface LockContext {
  readonly file: string;
  readonly lock: Lock;
}

/** The lock that applies to `scope`; an empty one when the app read none. */
export function lockOf(scope: IConstruct): LockContext {
  return (
    (scope.node.tryGetContext(LOCK_CONTEXT) as LockContext | undefined) ?? { file: 'dfp.lock.json', lock: emptyLock() }
  );
}

/** The commit `repository@branch` (or `@tag`) is pinned to, if the lock has it. */
export function pinnedCommit(scope: IConstruct, repository: string, name: string): string | undefined {
  return lockOf(scope).lock.refs[lockKey(repository, name)]?.commit;
}

/** What to tell the user when a branch or tag is not in the lock. */
export function unpinnedMessage(scope: IConstruct, repository: string, branch: string): string {
  const key = lockKey(repository, branch);
  return (
    `lakeFS ref ${key} is not pinned in ${lockOf(scope).file}; run 'dfp lock' (or 'dfp lock --update ${key}') ` +
    `against the platform's lakeFS and commit the lock file`
  );
}
