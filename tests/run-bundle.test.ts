/**
 * scripts/run.mjs, the way `make synth`, `npm run dfp` and CI start dfp: one bundled script,
 * rebuilt only when a source changed. It must render exactly what tsx renders (the
 * committed dist/ is current through it), notice every edit, and keep dfp's error
 * contract (exit code, construct path, no stack trace).
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectCopy, run } from './support/process.ts';

const runner = (dir: string, args: string[]) =>
  run('node', [join(dir, 'scripts', 'run.mjs'), ...args], { cwd: dir, env: { DFP_RUN_VERBOSE: '1' } });
const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m;
/** The same bytes with a run of them zeroed in the middle, past the header. */
const damaged = (bytes: Buffer) =>
  Buffer.concat([bytes.subarray(0, 4096), Buffer.alloc(256), bytes.subarray(4096 + 256)]);

describe('scripts/run.mjs', () => {
  it('renders what tsx renders, rebuilds after an edit only, reports bad input without a stack trace', () => {
    const dir = projectCopy();
    const first = runner(dir, ['main.ts', '--check']);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain('dist/ is up to date');
    expect(first.stderr).toContain('run: main.cjs rebuilt');

    expect(first.stderr).toContain('run: code cache none');

    const again = runner(dir, ['main.ts', '--check']);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toContain('run: main.cjs cached');
    expect(again.stderr).toContain('run: code cache used');
    const codeCache = join(dir, '.cache', 'bundle', 'main.v8cache');
    const cacheOfOldSource = `${codeCache}.old`;
    copyFileSync(codeCache, cacheOfOldSource);

    // An edit to one pipeline file must reach the bundle: check mode now sees a stale dist/.
    const file = join(dir, 'pipelines', 'iris.ts');
    const source = readFileSync(file, 'utf8');
    writeFileSync(
      file,
      source.replace("max_depth: { type: 'int', default: 4 }", "max_depth: { type: 'int', default: 5 }"),
    );
    const stale = runner(dir, ['main.ts', '--check']);
    expect(stale.stderr).toContain('run: main.cjs rebuilt');
    expect(stale.stderr).toContain('run: code cache none');
    expect(stale.status).toBe(3);
    expect(stale.stderr).toContain('dist/ is out of date');

    // The edit kept the bundle's length, which is all V8 compares: a cache of the old
    // source (as a run that started before the rebuild would write it) must not be used,
    // nor a damaged one; either way the run renders what the source says.
    for (const cache of [readFileSync(cacheOfOldSource), damaged(readFileSync(codeCache))]) {
      writeFileSync(codeCache, cache);
      const r = runner(dir, ['main.ts', '--check']);
      expect(r.stderr).toContain('run: code cache none');
      expect(r.status, r.stderr).toBe(3);
      expect(r.stderr).toContain('dist/ is out of date');
      expect(runner(dir, ['main.ts', '--check']).stderr).toContain('run: code cache used');
    }

    // dfp.ts bundles main.ts too; only the entry that was started may run its CLI.
    const diff = runner(dir, ['dfp.ts', 'diff', '--env', 'prod']);
    expect(diff.status).toBe(3);
    expect(diff.stdout).toContain('max_depth');
    expect(diff.stdout).not.toContain('dist/ is out of date');

    writeFileSync(file, source.replace("new Pipeline(scope, 'iris'", "new Pipeline(scope, 'Iris Flowers'"));
    const bad = runner(dir, ['main.ts']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('Iris Flowers');
    expect(bad.stderr).not.toMatch(STACK_LINE);
  });

  it('refuses an entry that is not a TypeScript file, with usage', () => {
    const r = run('node', ['scripts/run.mjs', 'README.md']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('usage: node scripts/run.mjs');
  });
});
