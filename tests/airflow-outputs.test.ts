/**
 * The shell wrapper that turns a step's output files into Airflow's XCom file, run by
 * the real `sh` and `awk` of this machine: any text comes back from JSON unchanged (but
 * for one final newline, which Argo trims too), and a failing command fails the step
 * without writing XCom.
 */
import { mkdtempSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OUTPUT_DIR, OUTPUTS_SCRIPT } from '../targets/airflow/runtime.ts';

const RUNS = Math.min(Number(process.env.DFP_PROPERTY_RUNS ?? 2000), 300);

function runStep(outputs: string[], command: string[]) {
  const xcom = mkdtempSync(join(tmpdir(), 'dfp-xcom-'));
  const r = spawnSync('sh', ['-c', OUTPUTS_SCRIPT, 'dfp-outputs', String(outputs.length), ...outputs, ...command], {
    env: { ...process.env, DFP_XCOM_DIR: xcom },
    encoding: 'utf8',
  });
  const file = join(xcom, 'return.json');
  return {
    status: r.status,
    xcom: existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : undefined,
  };
}

// Text a program writes to an output file: any Unicode but NUL and control characters other than tab, CR and LF.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/;
const value = fc.string({ unit: 'grapheme', maxLength: 60 }).filter((s) => !CONTROL.test(s));
const withBreaks = fc
  .array(fc.oneof(value, fc.constantFrom('\n', '\r\n', '\t', '\\', '"', '\\n', '{{', "'")), { maxLength: 8 })
  .map((xs) => xs.join(''));

describe('outputs wrapper (sh + awk)', () => {
  it(`returns ${RUNS} random output texts through the XCom JSON unchanged`, () => {
    const src = mkdtempSync(join(tmpdir(), 'dfp-outputs-src-'));
    fc.assert(
      fc.property(withBreaks, withBreaks, (a, b) => {
        writeFileSync(join(src, 'a'), a);
        writeFileSync(join(src, 'b'), b);
        const names = [`first_${process.pid}`, `second_${process.pid}`];
        const r = runStep(names, [
          'sh',
          '-c',
          'cp "$1" "$2" && cp "$3" "$4"',
          'copy',
          join(src, 'a'),
          `${OUTPUT_DIR}/${names[0]}`,
          join(src, 'b'),
          `${OUTPUT_DIR}/${names[1]}`,
        ]);
        expect(r.status).toBe(0);
        expect(r.xcom).toEqual({ [names[0]!]: a.replace(/\n$/, ''), [names[1]!]: b.replace(/\n$/, '') });
      }),
      { numRuns: RUNS },
    );
  });

  it('fails the step, writing no XCom, when the command fails or leaves an output unwritten', () => {
    const missing = runStep([`never_written_${process.pid}`], ['true']);
    expect(missing.status).toBe(1);
    expect(missing.xcom).toBeUndefined();
    const failed = runStep(['x'], ['sh', '-c', 'exit 7']);
    expect(failed.status).toBe(7);
    expect(failed.xcom).toBeUndefined();
  });
});
