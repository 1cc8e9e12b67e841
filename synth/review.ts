/**
 * `dfp diff`: what a pull request would change in dist/, for a reviewer: a per-file
 * summary, then unified diffs. Renders in memory; writes nothing.
 */
import { createTwoFilesPatch } from 'diff';
import { describeDiff } from './synth.ts';
import { diffTrees, readTree } from './writer.ts';

export interface Review {
  readonly differs: boolean;
  readonly text: string;
}

/** `rendered` against the files of `distDir`, limited to paths starting with `prefix`. */
export function review(distDir: string, rendered: ReadonlyMap<string, string>, prefix = ''): Review {
  const within = (tree: ReadonlyMap<string, string>) => new Map([...tree].filter(([p]) => p.startsWith(prefix)));
  const current = within(readTree(distDir));
  const next = within(rendered);
  const diff = diffTrees(current, next);
  const paths = [...diff.added, ...diff.removed, ...diff.changed].sort();
  if (paths.length === 0) return { differs: false, text: 'dfp: dist/ is up to date\n' };
  const patches = paths.map((p) =>
    createTwoFilesPatch(`a/dist/${p}`, `b/dist/${p}`, current.get(p) ?? '', next.get(p) ?? '', undefined, undefined, {
      context: 3,
    }),
  );
  return { differs: true, text: `${describeDiff(diff)}\n\n${patches.join('\n')}` };
}
