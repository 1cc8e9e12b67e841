/**
 * Generated Python no user string can break: thousands of random strings (quotes,
 * backslashes, triple quotes, line ends, Unicode, `{{ }}`, `{% %}`, `${}`, file
 * extensions Airflow would load as templates) are placed in every string field a
 * pipeline has. All DAG files go to one Python process running real Airflow: each file
 * parses with `ast`, each literal evaluates back to the string, DagBag imports every DAG,
 * and every templated field renders with Airflow's own Jinja environment back to the
 * exact string, so a `{{` is never evaluated. Random JSON values check the literal
 * printer's numbers, lists and dicts the same way.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ContainerStep, ParallelFor, Pipeline, eq, fmt } from '../constructs/index.ts';
import { buildModel } from '../constructs/model/build.ts';
import { DfpError } from '../constructs/model/errors.ts';
import { renderAll } from '../synth/render.ts';
import { TARGETS } from '../targets/index.ts';
import { printModule, lit, type PyValue } from '../emit/python.ts';
import { AIRFLOW_HARNESS, AIRFLOW_PYTHON, inspectDags, type DagBagReport } from './support/airflow.ts';
import { envProps, IMAGE } from './support/fixtures.ts';
import { run } from './support/process.ts';
import { Environment } from '../constructs/index.ts';
import { DfpApp } from '../app/dfp-app.ts';

const RUNS = Number(process.env.DFP_PROPERTY_RUNS ?? 2000);

/** Pieces that break naive Python, Jinja or shell quoting, joined at random, plus arbitrary Unicode. */
const nasty = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc
    .array(
      fc.constantFrom(
        '"',
        "'",
        '"""',
        "'''",
        '\\',
        '\\n',
        '\\x41',
        '\\u0041',
        '\\N{BULLET}',
        '\n',
        '\r\n',
        '\r',
        '\t',
        ' ',
        '#',
        '{{',
        '}}',
        '{%',
        '%}',
        '{#',
        '#}',
        '{{ 7*7 }}',
        "{{ ''.__class__ }}",
        '{% raw %}',
        '{% endraw %}',
        '${x}',
        '$(VAR)',
        '`id`',
        '%s',
        '{0}',
        'f"{x}"',
        'b"',
        'r"',
        '.json',
        '.yaml',
        '.yml',
        '.sql',
        'None',
        'True',
        '\u2028',
        '\u0085',
        '\u00a0',
        '\u000c',
        'é',
        'ß',
        '🚀',
        '👩‍👩‍👧',
        '\u0000',
        '\ufeff',
        '\u202e',
        ')',
        ']',
        '}',
        '\x7f',
      ),
      { maxLength: 12 },
    )
    .map((xs) => xs.join('')),
);

/** A tag must fit Airflow's 100 code points, and the model rules refuse empty ones and commas. */
const tagsFor = (s: string) => ([...s].length <= 100 && s.trim() !== '' && !s.includes(',') ? [s] : []);

/** A one-pipeline app whose every string field holds `s`. */
function appWith(s: string, i: number): DfpApp {
  const app = new DfpApp({ distDir: join(tmpdir(), 'dfp-never-written') });
  new Environment(app, 'test', envProps({ orchestrator: 'airflow' }));
  const p = new Pipeline(app, `p${i}`, {
    description: s,
    tags: tagsFor(s),
    parameters: { x: { type: 'string', default: s, description: s } },
  });
  const x = p.param('x');
  new ContainerStep(p, 'step', {
    description: s,
    image: IMAGE,
    command: [s],
    args: [s, x, fmt`${s}=${x}`],
    env: { VALUE: s, MIXED: fmt`${x}${s}` },
    when: eq(x, s),
  });
  const loop = new ParallelFor(p, 'loop', { items: [s, s] });
  new ContainerStep(loop, 'each', { image: IMAGE, args: [loop.item(), fmt`${s}:${loop.item()}`] });
  return app;
}

const folder = mkdtempSync(join(tmpdir(), 'dfp-airflow-property-'));
const strings: string[] = [];
let report: DagBagReport;

describe(`Airflow DAG files with ${RUNS} random strings in every string field`, () => {
  beforeAll(
    () => {
      let i = 0;
      fc.assert(
        fc.property(nasty, (s) => {
          const files = renderAll(buildModel(appWith(s, i)), TARGETS);
          const dag = files.find((f) => f.path === `test/airflow/dags/p${i}.py`);
          expect(dag).toBeDefined();
          writeFileSync(join(folder, `p${i}.py`), dag!.content);
          strings.push(s);
          i++;
        }),
        { numRuns: RUNS },
      );
      report = inspectDags(folder);
    },
    Math.max(600_000, RUNS * 400),
  );

  it('renders every one, and Airflow imports every file with zero import errors', () => {
    expect(strings.length).toBeGreaterThanOrEqual(RUNS);
    expect(report.import_errors).toEqual({});
    expect(Object.keys(report.dags)).toHaveLength(strings.length);
  });

  it('parses each file with ast; the literals in fields Airflow does not render evaluate to the string', () => {
    strings.forEach((s, i) => {
      const constants = new Set(report.constants[`p${i}.py`]);
      expect(constants.has(s), `p${i}: ${JSON.stringify(s)}`).toBe(true);
      const dag = report.dags[`p${i}`]!;
      expect(dag.description ?? '').toBe(s);
      expect(dag.params.x!.default).toBe(s);
      expect(dag.params.x!.description).toBe(s);
      expect(dag.tags).toEqual(tagsFor(s));
      expect(dag.tasks.step!.doc_md).toBe(s);
    });
  });

  it("renders every templated field back to the exact string with Airflow's Jinja environment", () => {
    strings.forEach((s, i) => {
      const tasks = report.dags[`p${i}`]!.tasks;
      const step = tasks.step!.rendered;
      const where = `p${i}: ${JSON.stringify(s)}`;
      expect(step.cmds, where).toEqual([s]);
      expect(step.arguments, where).toEqual([s, s, `${s}=${s}`]);
      expect(step.env, where).toEqual([
        { name: 'MIXED', value: `${s}${s}` },
        { name: 'VALUE', value: s },
      ]);
      expect(tasks['step.when']!.rendered.op_kwargs, where).toEqual({
        left: { kind: 'param', name: 'x' },
        op: '==',
        right: { kind: 'literal', value: s },
      });
      expect(tasks.loop!.rendered.op_kwargs, where).toEqual({ items: { kind: 'literal', value: [s, s] } });
      expect(tasks.each!.rendered.arguments, where).toEqual([s, `${s}:${s}`]);
    });
  });
});

describe('Python literals: random JSON values evaluate back to themselves', () => {
  it(`${RUNS} values (integers of any size, floats, -0, Unicode keys and strings, nesting)`, () => {
    const values = fc.sample(fc.jsonValue({ stringUnit: 'grapheme', maxDepth: 3 }), {
      numRuns: RUNS,
      seed: 20261124,
    }) as PyValue[];
    const dir = mkdtempSync(join(tmpdir(), 'dfp-literals-'));
    writeFileSync(
      join(dir, 'literals.py'),
      printModule([{ kind: 'assign', target: 'VALUES', value: { kind: 'list', items: values.map(lit) } }]),
    );
    const r = run(AIRFLOW_PYTHON, [
      join(AIRFLOW_HARNESS, 'eval_literals.py'),
      join(dir, 'literals.py'),
      join(dir, 'out.json'),
    ]);
    expect(r.status, r.stderr).toBe(0);
    const back = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as unknown[];
    // JSON has no -0; Python's 0 is JavaScript's 0 after the round trip.
    expect(back).toEqual(values.map((v) => JSON.parse(JSON.stringify(v))));
  });
});

describe('strings Airflow cannot hold are refused with the construct path', () => {
  it('a lone UTF-16 surrogate is reported at the step that holds it, and nothing is rendered', () => {
    for (const lone of ['\ud800', 'a\udc00b', 'x\ud83d']) {
      const app = new DfpApp({ distDir: join(tmpdir(), 'dfp-never-written') });
      new Environment(app, 'test', envProps({ orchestrator: 'airflow' }));
      const p = new Pipeline(app, 'p', {});
      new ContainerStep(p, 'step', { image: IMAGE, args: [lone] });
      let error: unknown;
      try {
        renderAll(buildModel(app), TARGETS);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(DfpError);
      expect((error as DfpError).problems[0]!.path).toBe('p/step');
      expect((error as DfpError).message).toContain('lone UTF-16 surrogate');
      expect((error as DfpError).message).toContain("cannot render for airflow in environment 'test'");
    }
  });
});
