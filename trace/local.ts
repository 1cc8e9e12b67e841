/**
 * What this checkout says about a run's definitions: which rendered files hold its
 * definitions digest now, the first commit of this repository whose dist/ held it (the
 * commit that rendered the step, when the run did not record one), and which rendered
 * `definitions.sha256` equals its feature-store digest. Read-only; git is asked, not changed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** `file` as the user names dist/: `dist/dev/…` for the default, or below their DFP_DIST. */
const named = (root: string, dist: string, file: string) => join(dist, relative(resolve(root, dist), file));

/** The files below `dist` whose text contains `needle`. */
export function renderedFilesHolding(root: string, dist: string, needle: string): string[] {
  return filesUnder(resolve(root, dist))
    .filter((f) => readFileSync(f, 'utf8').includes(needle))
    .map((f) => named(root, dist, f));
}

/** The rendered `definitions.sha256` files whose digest is `digest`. */
export function definitionFilesWith(root: string, dist: string, digest: string): string[] {
  return filesUnder(resolve(root, dist))
    .filter((f) => f.endsWith('/definitions.sha256') && readFileSync(f, 'utf8').trim() === digest)
    .map((f) => named(root, dist, f));
}

/** The oldest commit whose change to `dist` added `needle`, if `root` is a git checkout that has one. */
export function firstCommitAdding(root: string, dist: string, needle: string): string | undefined {
  const r = spawnSync('git', ['-C', root, 'log', '--format=%H', '--reverse', `-S${needle}`, '--', dist], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.status !== 0) return undefined;
  return r.stdout.split('\n').find((l) => /^[0-9a-f]{40}$/.test(l));
}
