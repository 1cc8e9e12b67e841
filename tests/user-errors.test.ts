/**
 * Errors in the user's own code (issue 27, class 2), as `make synth` meets them: the
 * definitions run as one esbuild bundle (scripts/run.mjs), and each error must name the
 * user's file:line (through the bundle's source map), the construct path where there is
 * one, and what to change; no stack trace, no `.cache/bundle` path, no bundler-mangled
 * class name; exit 1; "dist/ was left unchanged." and dist/ byte-identical.
 *
 * Each case edits a copy of this repository as a user would and runs
 * `node scripts/run.mjs main.ts` there (and `dfp.ts synth` for one, which shares the path).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTree } from '../synth/writer.ts';
import { projectCopy, ROOT, run } from './support/process.ts';

const COMMITTED = readTree(join(ROOT, 'dist'));
/** A V8 stack frame (`    at fn (file:1:2)`); the user's `  at file:line` is not one. */
const STACK_FRAME = /^\s+at .+:\d+:\d+\)?$/m;

interface Edit {
  readonly file: string;
  /** A line of the file; the new text goes before it. */
  readonly before: string;
  readonly insert: string;
}

/** Applies `edit` to a fresh copy; returns the copy and the 1-based line the inserted text starts at. */
function edited(edit: Edit): { dir: string; line: number } {
  const dir = projectCopy();
  const path = join(dir, edit.file);
  const lines = readFileSync(path, 'utf8').split('\n');
  const at = lines.findIndex((l) => l.startsWith(edit.before));
  expect(at, `${edit.file} has a line starting '${edit.before}'`).toBeGreaterThanOrEqual(0);
  lines.splice(at, 0, edit.insert);
  writeFileSync(path, lines.join('\n'));
  return { dir, line: at + 1 };
}

function expectClean(r: { status: number | null; stderr: string; stdout: string }, dir: string): void {
  expect(r.status, r.stderr).toBe(1);
  expect(r.stderr).toContain('dist/ was left unchanged.');
  expect(r.stderr).not.toMatch(STACK_FRAME);
  expect(r.stderr).not.toContain('.cache/bundle');
  expect(r.stderr).not.toContain('node_modules');
  expect(r.stderr).not.toMatch(/\b_[A-Z]\w+|\b[A-Z][a-z]+[A-Z]?\w*\d\b/); // _Pipeline, Pipeline2
  expect(r.stderr).not.toContain('internal error');
  expect(readTree(join(dir, 'dist'))).toEqual(COMMITTED);
}

const synth = (dir: string) =>
  run('node', ['scripts/run.mjs', 'main.ts'], { cwd: dir, env: { DFP_DIST: 'dist', DFP_LOCK: 'dfp.lock.json' } });

describe("errors in the user's own code name their file:line, the construct path and the fix", () => {
  it('a duplicate construct id: the path, the existing construct, another id', () => {
    const { dir } = edited({
      file: 'pipelines/iris.ts',
      before: '  const processData = ',
      insert: "  new ContainerStep(pipeline, 'train', { image: IMAGE });",
    });
    const second =
      readFileSync(join(dir, 'pipelines/iris.ts'), 'utf8')
        .split('\n')
        .findIndex((l) => l.includes("new ContainerStep(pipeline, 'train', {") && !l.includes('image: IMAGE });')) + 1;
    const r = synth(dir);
    expectClean(r, dir);
    expect(r.stderr).toBe(
      [
        'dfp: the definitions could not be built (1 problem):',
        "  iris/train: the id 'train' is already taken under 'iris' (by a ContainerStep); give this one another id",
        `  at pipelines/iris.ts:${second}`,
        'dist/ was left unchanged.',
        '',
      ].join('\n'),
    );
  });

  it('a duplicate environment: its name, at the line of the second one', () => {
    const { dir, line } = edited({
      file: 'argocd/environments.ts',
      before: "  new Environment(app, 'staging'",
      insert:
        "  new Environment(app, 'prod', { namespace: 'ml-prod-2', orchestrator: 'argo', engine: 'spark', " +
        "featureStore: 'feast', endpoints: { lakefs: 'http://l:1', mlflow: 'http://m:1', s3: 'http://s:1' } });",
    });
    const r = synth(dir);
    expectClean(r, dir);
    expect(r.stderr).toContain(
      "  prod: the id 'prod' is already taken at the top of the app (by an Environment); give this one another id\n",
    );
    expect(r.stderr).toContain(`  at argocd/environments.ts:${line}\n`);
  });

  it('an exception thrown in a pipeline function: its message, file:line, the last construct made', () => {
    const { dir, line } = edited({
      file: 'pipelines/iris.ts',
      before: '  const train = ',
      insert: "  throw new Error('the training image is not published yet');",
    });
    const r = synth(dir);
    expectClean(r, dir);
    expect(r.stderr).toBe(
      [
        'dfp: the definitions could not be built: your code threw the training image is not published yet',
        `  at pipelines/iris.ts:${line}`,
        '  the last construct created before it: iris/process-data',
        `  fix the code at pipelines/iris.ts:${line} (DFP_DEBUG=1 prints the stack)`,
        'dist/ was left unchanged.',
        '',
      ].join('\n'),
    );
    // The same through `dfp synth`.
    const viaDfp = run('node', ['scripts/run.mjs', 'dfp.ts', 'synth'], {
      cwd: dir,
      env: { DFP_DIST: 'dist', DFP_LOCK: 'dfp.lock.json' },
    });
    expectClean(viaDfp, dir);
    expect(viaDfp.stderr).toBe(r.stderr);
  });

  it("a TypeError in the user's code (a property of undefined)", () => {
    const { dir, line } = edited({
      file: 'pipelines/iris.ts',
      before: '  const train = ',
      insert: '  const settings: { gpu?: { count: number } } = {}; if (settings.gpu!.count > 0) throw new Error();',
    });
    const r = synth(dir);
    expectClean(r, dir);
    expect(r.stderr).toContain("your code threw TypeError: Cannot read properties of undefined (reading 'count')\n");
    expect(r.stderr).toContain(`  at pipelines/iris.ts:${line}\n`);
  });

  it('a missing import: a file that does not exist, a name a file does not export, a name never imported', () => {
    const file = edited({
      file: 'pipelines/iris.ts',
      before: "import type { Construct } from 'constructs';",
      insert: "import { weeklyReport } from './weekly-report.ts';\nvoid weeklyReport;",
    });
    const r1 = synth(file.dir);
    expectClean(r1, file.dir);
    expect(r1.stderr).toBe(
      [
        'dfp: the definitions could not be bundled (1 problem):',
        `  pipelines/iris.ts:${file.line}:30: Could not resolve "./weekly-report.ts"`,
        "      import { weeklyReport } from './weekly-report.ts';",
        '    no such file or package: check the path (relative to pipelines/iris.ts, with its .ts extension), ' +
          'or add the package to package.json',
        'dist/ was left unchanged.',
        '',
      ].join('\n'),
    );

    const name = edited({
      file: 'pipelines/iris.ts',
      before: "import type { Construct } from 'constructs';",
      insert: "import { Shedule } from '../constructs/index.ts';\nvoid Shedule;",
    });
    const r2 = synth(name.dir);
    expectClean(r2, name.dir);
    expect(r2.stderr).toContain(
      `  pipelines/iris.ts:${name.line}:10: No matching export in "constructs/index.ts" for import "Shedule"\n`,
    );
    expect(r2.stderr).toContain(
      "    constructs/index.ts exports no 'Shedule': import a name it exports, or export it there\n",
    );

    const never = projectCopy();
    const path = join(never, 'pipelines/iris.ts');
    const source = readFileSync(path, 'utf8');
    // The import of Schedule goes; its use stays (the edit must have happened for the test to mean anything).
    const withoutImport = source.replace(/^  Schedule,\n/m, '');
    expect(withoutImport).not.toBe(source);
    writeFileSync(path, withoutImport);
    const used = withoutImport.split('\n').findIndex((l) => l.includes('Schedule.daily(')) + 1;
    const r3 = synth(never);
    expectClean(r3, never);
    expect(r3.stderr).toContain('your code threw ReferenceError: Schedule is not defined\n');
    expect(r3.stderr).toContain(`  at pipelines/iris.ts:${used}\n`);
    expect(r3.stderr).toContain(
      "  import 'Schedule' in that file (dfp's constructs come from constructs/index.ts), or define it",
    );
  });

  it('a TypeScript syntax error: file:line:column, the line, and that make synth does not type-check', () => {
    const { dir, line } = edited({
      file: 'pipelines/iris.ts',
      before: '  const train = ',
      insert: '  const retries: number = ;',
    });
    const r = synth(dir);
    expectClean(r, dir);
    expect(r.stderr).toBe(
      [
        'dfp: the definitions could not be bundled (1 problem):',
        `  pipelines/iris.ts:${line}:27: Unexpected ";"`,
        '      const retries: number = ;',
        '    fix the code there (make synth bundles without type-checking; npm run typecheck checks the types too)',
        'dist/ was left unchanged.',
        '',
      ].join('\n'),
    );
  });
});
