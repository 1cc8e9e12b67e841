/**
 * dfp.lock.json: the lakeFS refs the definitions read (`<repository>@<branch>`), each
 * pinned to a commit id by `dfp lock`, and the images they name (`<registry>/<name>:<tag>`),
 * each pinned to the manifest digest `make images` built (`dfp lock --images`). Synth reads
 * only this file, never lakeFS or a registry, so the same commit renders the same dist/ and
 * a data bump or an image rebuild is a reviewed diff of this file.
 *
 * The format is canonical (sorted keys, two-space indent, final newline), so `dfp lock`
 * on unchanged data rewrites it byte for byte.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { jsonText } from '../../emit/json.ts';
import { HEX64, LAKEFS_REPOSITORY, imageTagAndDigest } from './names.ts';

/** The file's name at the project root. */
export const LOCK_FILE = 'dfp.lock.json';

const REF_KEY = new RegExp(`${LAKEFS_REPOSITORY.source.slice(0, -1)}@[^@\\s]+$`);
/** An image manifest digest, as registries and `ctr images import` name it. */
export const IMAGE_DIGEST = /^sha256:[0-9a-f]{64}$/;

const lockSchema = z.strictObject({
  version: z.literal(1),
  refs: z
    .record(z.string(), z.strictObject({ commit: z.string().regex(HEX64, 'a commit is 64 lowercase hex digits') }))
    // Checked here rather than as the record's key schema, whose error does not say the key.
    .superRefine((refs, ctx) => {
      for (const key of Object.keys(refs)) {
        if (!REF_KEY.test(key))
          ctx.addIssue({ code: 'custom', path: [key], message: `'${key}' is not <repository>@<branch>` });
      }
    }),
  /** Image (`registry/name:tag`, as the definitions name it) -> the manifest digest it was built as. */
  images: z
    .record(
      z.string(),
      z.strictObject({ digest: z.string().regex(IMAGE_DIGEST, 'a digest is sha256: and 64 lowercase hex digits') }),
    )
    .superRefine((images, ctx) => {
      for (const key of Object.keys(images)) {
        const { tag, digest } = imageTagAndDigest(key);
        if (tag === undefined || digest !== undefined)
          ctx.addIssue({ code: 'custom', path: [key], message: `'${key}' is not <registry>/<name>:<tag>` });
      }
    })
    .optional(),
});

/** The lock's content. */
export type Lock = z.infer<typeof lockSchema>;

/** A lock file that cannot be read as one; its message names the file and the problem. */
export class LockFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LockFileError';
  }
}

/** The key of a repository and branch: `kronodroid@main`. */
export const lockKey = (repository: string, branch: string): string => `${repository}@${branch}`;

/** Splits `repo@branch`; undefined when it is not of that form. */
export function parseLockKey(key: string): { repository: string; branch: string } | undefined {
  const m = /^([^@\s]+)@([^@\s]+)$/.exec(key);
  return m ? { repository: m[1]!, branch: m[2]! } : undefined;
}

/** An empty lock: what a project has before its first `dfp lock`. */
export const emptyLock = (): Lock => ({ version: 1, refs: {} });

/** Reads and checks the lock; a missing file is an empty lock (every ref then reports as unpinned). */
export function readLock(path: string): Lock {
  if (!existsSync(path)) return emptyLock();
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new LockFileError(
      `${path} is not valid JSON (${(e as Error).message}); restore it from git or run 'dfp lock'`,
    );
  }
  const parsed = lockSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new LockFileError(`${path} is not a dfp lock file (${issues}); restore it from git or run 'dfp lock'`);
  }
  return parsed.data;
}

/** The file's text: canonical key order, indented for review, one final newline. */
export function formatLock(lock: Lock): string {
  // Sorted keys (no key is an integer, so parsing keeps the order).
  return jsonText(lockSchema.parse(lock));
}

/**
 * Writes the lock atomically: a temporary file beside it, then a rename, so a reader (or a
 * crash) sees the old file or the new one, never half of one.
 */
export function writeLock(path: string, lock: Lock): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, formatLock(lock));
    renameSync(tmp, path);
  } finally {
    rmSync(tmp, { force: true });
  }
}
