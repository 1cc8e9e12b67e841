/**
 * Writes the rendered tree to dist/ as one unit. The new tree is written beside dist/,
 * then swapped in by two renames; an interrupted swap is repaired on the next run, so
 * dist/ is always the whole old tree or the whole new tree. Files dfp no longer
 * produces disappear with the old tree.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Rendered files by forward-slash path relative to dist/. */
export type FileTree = ReadonlyMap<string, string>;

export interface TreeDiff {
  readonly added: string[];
  readonly removed: string[];
  readonly changed: string[];
}

/** Reads every file below `dir` (forward-slash relative paths). Empty when `dir` is missing. */
export function readTree(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (rel: string) => {
    for (const entry of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else files.set(path, readFileSync(join(dir, path), 'utf8'));
    }
  };
  if (existsSync(dir)) walk('');
  return files;
}

export function diffTrees(current: FileTree, next: FileTree): TreeDiff {
  const sorted = (xs: Iterable<string>) => [...xs].sort();
  return {
    added: sorted([...next.keys()].filter((p) => !current.has(p))),
    removed: sorted([...current.keys()].filter((p) => !next.has(p))),
    changed: sorted([...next.keys()].filter((p) => current.has(p) && current.get(p) !== next.get(p))),
  };
}

export function isEmptyDiff(d: TreeDiff): boolean {
  return d.added.length + d.removed.length + d.changed.length === 0;
}

const tmpName = (dist: string) => join(dirname(dist), `.${basename(dist)}.tmp`);
const oldName = (dist: string) => join(dirname(dist), `.${basename(dist)}.old`);

/**
 * Finishes or rolls back a swap that a killed process left behind: if dist/ is missing
 * the old tree is put back; leftovers of the temporary trees are removed.
 */
export function recoverInterruptedWrite(dist: string): void {
  const old = oldName(dist);
  if (!existsSync(dist) && existsSync(old)) renameSync(old, dist);
  rmSync(old, { recursive: true, force: true });
  rmSync(tmpName(dist), { recursive: true, force: true });
}

/** Replaces dist/ with exactly `files`. Returns what changed; writes nothing when nothing did. */
export function writeTree(dist: string, files: FileTree): TreeDiff {
  recoverInterruptedWrite(dist);
  const diff = diffTrees(readTree(dist), files);
  if (isEmptyDiff(diff)) return diff;

  const tmp = tmpName(dist);
  mkdirSync(tmp, { recursive: true });
  for (const [path, content] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const target = join(tmp, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
  const old = oldName(dist);
  if (existsSync(dist)) renameSync(dist, old);
  renameSync(tmp, dist);
  rmSync(old, { recursive: true, force: true });
  return diff;
}
