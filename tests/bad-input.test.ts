/**
 * The bad-input catalogue through the real CLI: every malformed definition of
 * tests/fixtures/bad-inputs.ts is run by the CLI's own entry and error printing into its
 * own copy of dist/. Each must exit 1, name its construct path and what to change, print
 * no stack trace, and leave dist/ byte-identical with no temporary trees behind.
 * All cases share one process (tsx start-up paid once); a few also run alone, and a valid
 * app runs as the control that the harness can tell success from failure.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readTree } from '../synth/writer.ts';
import { BAD_INPUTS, type BadInput } from './fixtures/bad-inputs.ts';
import { distCopy, ROOT, runTsx } from './support/process.ts';

const ENTRY = join(ROOT, 'tests/fixtures/invalid-app.ts');
/** A V8 stack frame: `    at fn (file:line:col)`. Construct errors print `  at file:line`, which is not one. */
const STACK_FRAME = /^\s+at .+:\d+:\d+\)?$/m;
const COMMITTED = readTree(join(ROOT, 'dist'));

interface Outcome {
  readonly code: number | undefined;
  readonly stderr: string;
  readonly dist: string;
}

/** What the user sees, checked the same way for the batch and for separate processes. */
function expectRejected(c: BadInput, o: Outcome): void {
  expect(o.code, o.stderr).toBe(1);
  const lines = o.stderr.split('\n');
  const construct = c.id === 'duplicate-id';
  // DfpError lists problems as `  <path>: <message>`; a construct error quotes the library's message.
  // A lock file that is not one is named by its path, before any construct is built.
  const line = construct
    ? lines.find((l) => c.says.test(l))
    : c.lockFile
      ? lines.find((l) => l.startsWith(`dfp: ${c.path} `) && c.says.test(l))
      : lines.find((l) => l.startsWith(`  ${c.path}: `) && c.says.test(l));
  expect(line, `no line reports ${c.says} at '${c.path}':\n${o.stderr}`).toBeDefined();
  if (construct) expect(o.stderr).toMatch(/\n  at tests\/fixtures\/bad-inputs\.ts:\d+/);
  expect(o.stderr).toContain('dist/ was left unchanged.');
  expect(o.stderr).not.toMatch(STACK_FRAME);
  expect(o.stderr).not.toContain('internal error');
  expect(readTree(o.dist)).toEqual(COMMITTED);
  for (const leftover of ['.dist.tmp', '.dist.old'])
    expect(existsSync(join(dirname(o.dist), leftover)), leftover).toBe(false);
}

const KINDS = [
  'Pipeline',
  'ContainerStep',
  'Condition',
  'ParallelFor',
  'Environment',
  'IcebergTable',
  'Entity',
  'FeatureView',
  'EmulatorBenchmark',
  'Transform',
  'TransformStep',
  'FeatureService',
  'Lock',
  'DbtProject',
  'DbtStep',
  'DltLoad',
];

describe(`bad-input catalogue: ${BAD_INPUTS.length} malformed definitions through the CLI`, () => {
  const outcomes = new Map<string, Outcome>();

  beforeAll(() => {
    const cases = [{ id: 'valid', dist: distCopy() }, ...BAD_INPUTS.map((c) => ({ id: c.id, dist: distCopy() }))];
    const list = join(mkdtempSync(join(tmpdir(), 'dfp-bad-')), 'cases.json');
    writeFileSync(list, JSON.stringify(cases));
    const started = Date.now();
    const r = runTsx(ENTRY, { env: { DFP_BREAK_BATCH: list } });
    expect(r.status, r.stderr).toBe(0);
    // Cut stderr at the markers the runner writes around each case.
    for (const section of r.stderr.split(/^@@case /m).slice(1)) {
      const id = section.slice(0, section.indexOf('\n'));
      const exit = new RegExp(`^@@exit ${id} (\\d+)$`, 'm').exec(section);
      const body = section.slice(id.length + 1, exit?.index ?? section.length);
      outcomes.set(id, {
        code: exit ? Number(exit[1]) : undefined,
        stderr: body,
        dist: cases.find((c) => c.id === id)!.dist,
      });
    }
    console.log(
      `bad-input catalogue: ${BAD_INPUTS.length} cases + 1 control in one CLI process, ${Date.now() - started} ms`,
    );
  }, 300_000);

  it('the catalogue has at least 100 cases, unique ids, and covers every construct kind', () => {
    expect(BAD_INPUTS.length).toBeGreaterThanOrEqual(100);
    expect(new Set(BAD_INPUTS.map((c) => c.id)).size).toBe(BAD_INPUTS.length);
    expect(new Set(BAD_INPUTS.map((c) => c.kind))).toEqual(new Set(KINDS));
  });

  it('control: the valid app exits 0 and finds dist/ up to date (the harness can tell success from failure)', () => {
    const o = outcomes.get('valid')!;
    expect(o.code, o.stderr).toBe(0);
    // Nothing on stderr but the warning naming the images the lock does not pin (docs/images.md).
    expect(o.stderr.replace(/^dfp: warning: \d+ images? rendered by tag, with no digest in the lock .*\n/, '')).toBe(
      '',
    );
    expect(readTree(o.dist)).toEqual(COMMITTED);
  });

  for (const c of BAD_INPUTS) {
    it(`${c.kind} ${c.id}: exit 1 at '${c.path}', remedy stated, no stack trace, dist/ unchanged`, () => {
      const o = outcomes.get(c.id);
      expect(o, `case ${c.id} did not run`).toBeDefined();
      expectRejected(c, o!);
    });
  }
});

describe('bad inputs as separate CLI processes, as a user runs them', () => {
  for (const id of [
    'cycle',
    'duplicate-id',
    'device-abi',
    'inline-secret-env',
    'endpoints-missing',
    'lock-not-json',
    'inline-transform-credentials',
  ]) {
    it(id, () => {
      const dist = distCopy();
      const r = runTsx(ENTRY, { env: { DFP_DIST: dist, DFP_BREAK: id } });
      expectRejected(
        BAD_INPUTS.find((c) => c.id === id)!,
        { code: r.status ?? undefined, stderr: r.stderr, dist },
      );
    });
  }
});
