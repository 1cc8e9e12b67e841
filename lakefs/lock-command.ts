/**
 * `dfp lock`: asks lakeFS which commit each branch or tag the definitions read points at now,
 * and writes dfp.lock.json. The only dfp command that talks to the network. It writes
 * nothing unless every ref resolved, and then atomically, so a failure (lakeFS down,
 * wrong credentials, an unknown repository or branch) leaves the lock byte for byte as it was.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { IConstruct } from 'constructs';
import { IcebergTable, namedRef } from '../constructs/data.ts';
import { Problems } from '../constructs/model/errors.ts';
import { checkLakeFsRefName, checkLakeFsRepository } from '../constructs/model/names.ts';
import { LakeFsClient, type LakeFsClientProps } from './client.ts';
import { LockFileError, formatLock, lockKey, readLock, writeLock, type Lock } from '../constructs/model/lock-file.ts';

/** Options of {@link lockRefs}. */
export interface LockOptions {
  /** The lock file to write. */
  readonly lockFile: string;
  /** Where lakeFS is and how to sign in. */
  readonly lakefs: LakeFsClientProps;
  /** Re-pin only this ref (`repo@branch`) and keep every other pin as it is. @default every ref */
  readonly update?: string;
}

/** One ref and what happened to it. */
export interface LockedRef {
  readonly key: string;
  readonly commit: string;
  /** The commit it was pinned to before, if any. */
  readonly previous?: string;
}

/** What `dfp lock` did. */
export interface LockResult {
  readonly refs: readonly LockedRef[];
  /** Pins dropped because no table reads them any more (a full lock only). */
  readonly removed: readonly string[];
  /** Whether the file's bytes changed. */
  readonly written: boolean;
}

/** A ref the definitions read, and the constructs that read it. */
export interface UsedRef {
  readonly repository: string;
  readonly kind: 'branch' | 'tag';
  readonly name: string;
  readonly paths: readonly string[];
}

/**
 * Every lakeFS branch and tag the definitions under `root` read, by key, sorted. Tables
 * that name a commit need no pin. Lineage pins refer to tables, so the tables cover them.
 */
export function usedRefs(root: IConstruct): Map<string, UsedRef> {
  const problems = new Problems();
  const refs = new Map<string, { repository: string; kind: 'branch' | 'tag'; name: string; paths: string[] }>();
  for (const t of root.node.findAll()) {
    const named = t instanceof IcebergTable ? namedRef(t.props.ref) : undefined;
    if (!(t instanceof IcebergTable) || !named) continue;
    const { lakefsRepository: repository } = t.props;
    for (const problem of [checkLakeFsRepository(repository), checkLakeFsRefName(named.kind, named.name)])
      if (problem) problems.add(t.node.path, problem);
    const key = lockKey(repository, named.name);
    const entry = refs.get(key) ?? { repository, ...named, paths: [] };
    if (entry.kind !== named.kind)
      problems.add(
        t.node.path,
        `${key} is read as a ${named.kind} here and as a ${entry.kind} by ${entry.paths.join(', ')}; a lock ` +
          'key names one',
      );
    entry.paths.push(t.node.path);
    refs.set(key, entry);
  }
  problems.throwIfAny('the definitions name refs dfp cannot lock');
  return new Map([...refs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** A `dfp lock` request that cannot be carried out as asked (an unknown `--update` ref). */
export class LockUsageError extends Error {}

/**
 * Resolves the refs (all, or the one `update` names) through lakeFS and writes the lock
 * when, and only when, every one resolved. Throws LakeFsError, LockFileError, DfpError
 * or LockUsageError; the file is untouched in every case.
 */
export async function lockRefs(root: IConstruct, options: LockOptions): Promise<LockResult> {
  const used = usedRefs(root);
  // An update keeps the other pins, so it needs a readable lock; a full lock replaces it.
  const before: Lock = options.update !== undefined ? readLock(options.lockFile) : readLockOrEmpty(options.lockFile);
  let wanted = [...used.values()];
  if (options.update !== undefined) {
    const one = used.get(options.update);
    if (!one) {
      const known = [...used.keys()];
      throw new LockUsageError(
        `no table reads '${options.update}'; the definitions read ` +
          `${known.length ? known.join(', ') : 'no lakeFS branch or tag'}`,
      );
    }
    wanted = [one];
  }

  const client = new LakeFsClient(options.lakefs);
  const resolved: LockedRef[] = [];
  // One at a time: a handful of refs, and the first failure should stop the rest.
  for (const ref of wanted) {
    const key = lockKey(ref.repository, ref.name);
    const commit = await client.resolve(ref.repository, ref.kind, ref.name);
    const previous = before.refs[key]?.commit;
    resolved.push({ key, commit, ...(previous !== undefined ? { previous } : {}) });
  }

  const refs = options.update !== undefined ? { ...before.refs } : {};
  for (const r of resolved) refs[r.key] = { commit: r.commit };
  // The image pins are `dfp lock --images`'s (lockImages); a lakeFS lock keeps them.
  const after: Lock = { version: 1, refs, ...(before.images ? { images: before.images } : {}) };
  const text = formatLock(after);
  const current = existsSync(options.lockFile) ? readFileSync(options.lockFile, 'utf8') : undefined;
  if (current !== text) writeLock(options.lockFile, after);
  const removed = Object.keys(before.refs).filter((k) => !(k in refs));
  return { refs: resolved, removed, written: current !== text };
}

function readLockOrEmpty(file: string): Lock {
  try {
    return readLock(file);
  } catch {
    // A full lock rewrites the file, so a broken one is no obstacle; it only loses the "was" column.
    return { version: 1, refs: {} };
  }
}

/** One image `dfp lock --images` pinned. */
export interface LockedImage {
  readonly ref: string;
  readonly digest: string;
  readonly previous?: string;
}

/**
 * `dfp lock --images FILE...`: records the digests `make images` built (each file holds one
 * line, `<registry>/<name>:<tag> sha256:<hex>`, as scripts/images/build.sh writes it) in the
 * lock's `images` section, keeping every other pin. Reads no network. Throws LockFileError
 * for a file that is not such a line (the lock is then untouched).
 */
export function lockImages(lockFile: string, files: readonly string[]): { images: LockedImage[]; written: boolean } {
  const before = readLock(lockFile);
  const images = { ...(before.images ?? {}) };
  const locked: LockedImage[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new LockFileError(`cannot read ${file} (${(e as Error).message}); run 'make images' to write it`);
    }
    const m = /^(\S+) (sha256:[0-9a-f]{64})\n?$/.exec(text);
    if (!m)
      throw new LockFileError(
        `${file} is not '<image> sha256:<digest>' on one line; run 'make images' to write it again`,
      );
    const [, ref, digest] = m as unknown as [string, string, string];
    const previous = images[ref]?.digest;
    images[ref] = { digest };
    locked.push({ ref, digest, ...(previous !== undefined ? { previous } : {}) });
  }
  const after: Lock = { ...before, images };
  const text = formatLock(after); // checks each key and digest
  const current = existsSync(lockFile) ? readFileSync(lockFile, 'utf8') : undefined;
  if (current !== text) writeLock(lockFile, after);
  return { images: locked, written: current !== text };
}

/** One line per image for the terminal. */
export function describeImageLock(
  result: { images: readonly LockedImage[]; written: boolean },
  lockFile: string,
): string {
  const lines = result.images.map(
    (i) =>
      `  ${i.ref} -> ${i.digest} (` +
      `${i.previous === undefined ? 'new pin' : i.previous === i.digest ? 'unchanged' : `was ${i.previous}`})`,
  );
  return [`dfp lock --images: ${result.written ? 'wrote' : 'kept'} ${lockFile}`, ...lines].join('\n');
}

/** One line per ref for the terminal. */
export function describeLock(result: LockResult, lockFile: string): string {
  const lines = result.refs.map((r) => {
    const change = r.previous === undefined ? 'new pin' : r.previous === r.commit ? 'unchanged' : `was ${r.previous}`;
    return `  ${r.key} -> ${r.commit} (${change})`;
  });
  for (const key of result.removed) lines.push(`  ${key} removed (no table reads it)`);
  return [`dfp lock: ${result.written ? 'wrote' : 'kept'} ${lockFile}`, ...lines].join('\n');
}
