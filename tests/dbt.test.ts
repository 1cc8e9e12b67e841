/**
 * dfp's dbt project, checked by real dbt-core 1.11.16 (uv-locked, tests/conformance/dbt/):
 * - `dbt parse` with each environment's rendered dbt-spark 1.11.0 profile (session mode;
 *   parse opens no connection) and the rendered sources.yml: dbt's manifest holds exactly
 *   the models, edges and source columns dfp read and generated from the IcebergTables.
 *   A profile without its connection method fails the same parse (control).
 * - `dbt build` on dbt-duckdb 1.11.1 over seed rows written by this test: every model
 *   builds, every schema test passes, and the feature model holds the expected rows; the
 *   same run on bad rows (a label of 2, a duplicated sample) fails on exactly those tests.
 * - What dfp itself refuses before dbt sees it: a `ref()` to no model, a selection naming
 *   no model, each at the construct path; and the step's datasets.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { DbtProject, DbtStep, IcebergTable, Pipeline } from '../constructs/index.ts';
import { buildModel } from '../constructs/model/build.ts';
import { DfpError } from '../constructs/model/errors.ts';
import { buildApp } from '../main.ts';
import { modelOrError, testApp } from './support/fixtures.ts';
import { ROOT, run } from './support/process.ts';

const HARNESS = join(ROOT, 'tests', 'conformance', 'dbt');
const PROJECT = join(ROOT, 'images', 'dbt-kronodroid', 'project');
const model = buildModel(buildApp());
const project = model.data.dbtProjects.find((p) => p.name === 'kronodroid')!;

function dbt(args: string[]): { status: number | null; out: any; stderr: string } {
  const r = run(join(HARNESS, '.venv', 'bin', 'python'), [join(HARNESS, 'check.py'), ...args], {
    timeoutMs: 600_000,
    env: { TZ: 'UTC', DBT_SEND_ANONYMOUS_USAGE_STATS: 'false', DFP_LAKEFS_REF: 'main' },
  });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return { status: r.status, out: last.startsWith('{') ? JSON.parse(last) : undefined, stderr: r.stderr };
}

const HEADER = [
  'sample_id',
  'event_timestamp',
  'is_malware',
  'malware_family',
  'api_level',
  'permission_count',
  'detection_ratio',
  'first_seen',
];
const EMULATOR = [
  ['s1', '2026-01-01 00:00:00', '1', 'joker', '30', '14', '0.75', '2025-12-01'],
  ['s2', '2026-01-02 00:00:00', '0', '', '33', '3', '0.0', '2025-12-02'],
];
const DEVICE = [['s1', '2026-01-03 00:00:00', '1', '', '30', '14', '0.8', '2025-12-01']];

/** The seed rows as CSV files named after the source tables; the columns follow the sources' order. */
function seeds(emulator: string[][], device: string[][]): string {
  const dir = mkdtempSync(join(tmpdir(), 'dfp-dbt-seeds-'));
  const csv = (rows: string[][]) => [HEADER, ...rows].map((r) => r.join(',')).join('\n') + '\n';
  writeFileSync(join(dir, 'emulator_samples.csv'), csv(emulator));
  writeFileSync(join(dir, 'real_device_samples.csv'), csv(device));
  return dir;
}

const byKey = (rows: Record<string, unknown>[]) =>
  [...rows].sort((a, b) => String(a.sample_key).localeCompare(String(b.sample_key)));

describe('the dbt project, parsed and built by real dbt-core', () => {
  it('dfp read the project: its models and their edges', () => {
    expect(project.models.map((m) => m.name)).toEqual(['fct_sample_features', 'stg_kronodroid__samples']);
    expect(project.models.find((m) => m.name === 'fct_sample_features')!.refs).toEqual(['stg_kronodroid__samples']);
    expect(project.sources).toEqual(['stg_kronodroid.emulator_samples', 'stg_kronodroid.real_device_samples']);
  });

  for (const env of model.environments.map((e) => e.name)) {
    it(`dbt parse accepts the project with the rendered ${env} profile, and its manifest is what dfp knows`, () => {
      const started = Date.now();
      const dir = join(ROOT, 'dist', env, 'dbt', 'kronodroid');
      const r = dbt(['parse', PROJECT, join(dir, 'profiles.yml'), join(dir, 'sources.yml'), env]);
      expect(r.status, r.stderr.slice(-3000)).toBe(0);
      expect(r.out.adapter).toBe('spark');
      expect(Object.keys(r.out.models).sort()).toEqual(project.models.map((m) => m.name));
      for (const m of project.models) expect(r.out.models[m.name]).toEqual({ refs: m.refs, sources: m.sources });
      // The sources are the IcebergTables: same names, schema and columns with their Spark types.
      const tables = model.data.tables.filter((t) => project.sources.includes(t.name));
      expect(Object.keys(r.out.sources).sort()).toEqual(tables.map((t) => t.name).sort());
      for (const t of tables) {
        expect(r.out.sources[t.name].schema).toBe(t.namespace);
        expect(Object.keys(r.out.sources[t.name].columns)).toEqual(t.fields.map((f) => f.name));
      }
      console.log(
        `dbt parse (${env}, dbt-spark session profile): ${Object.keys(r.out.models).length} models, ` +
          `${Object.keys(r.out.sources).length} sources, ${r.out.tests.length} tests, ${Date.now() - started} ms`,
      );
    }, 600_000);
  }

  it('control: the same parse fails on a profile without its connection method', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dfp-dbt-profile-'));
    const profile = parse(readFileSync(join(ROOT, 'dist', 'dev', 'dbt', 'kronodroid', 'profiles.yml'), 'utf8'));
    delete profile.kronodroid.outputs.dev.method;
    writeFileSync(join(dir, 'profiles.yml'), stringify(profile));
    const r = dbt([
      'parse',
      PROJECT,
      join(dir, 'profiles.yml'),
      join(ROOT, 'dist', 'dev', 'dbt', 'kronodroid', 'sources.yml'),
      'dev',
    ]);
    expect(r.status).not.toBe(0);
  }, 600_000);

  it('dbt build on dbt-duckdb: every model builds and every schema test passes on the seed rows', () => {
    const started = Date.now();
    const r = dbt([
      'build',
      PROJECT,
      join(ROOT, 'dist', 'dev', 'dbt', 'kronodroid', 'sources.yml'),
      seeds(EMULATOR, DEVICE),
    ]);
    expect(r.status, r.stderr.slice(-3000) + JSON.stringify(r.out)).toBe(0);
    const status = Object.entries(r.out.status as Record<string, string>);
    const models = status.filter(([id]) => id.startsWith('model.'));
    const tests = status.filter(([id]) => id.startsWith('test.'));
    expect(models.map(([, s]) => s)).toEqual(models.map(() => 'success'));
    expect(models).toHaveLength(project.models.length);
    expect(tests.map(([, s]) => s)).toEqual(tests.map(() => 'pass'));
    expect(tests.length).toBeGreaterThanOrEqual(8);
    const base = { api_level: 30, permission_count: 14, first_seen: '2025-12-01', is_malware: 1 };
    expect(byKey(r.out.rows.fct_sample_features)).toEqual(
      byKey([
        {
          ...base,
          sample_key: 's1:emulator',
          sample_id: 's1',
          capture: 'emulator',
          event_timestamp: '2026-01-01T00:00:00',
          malware_family: 'joker',
          detection_ratio: 0.75,
        },
        {
          sample_key: 's2:emulator',
          sample_id: 's2',
          capture: 'emulator',
          event_timestamp: '2026-01-02T00:00:00',
          is_malware: 0,
          malware_family: 'benign',
          api_level: 33,
          permission_count: 3,
          detection_ratio: 0,
          first_seen: '2025-12-02',
        },
        {
          ...base,
          sample_key: 's1:real_device',
          sample_id: 's1',
          capture: 'real_device',
          event_timestamp: '2026-01-03T00:00:00',
          malware_family: 'unknown',
          detection_ratio: 0.8,
        },
      ]),
    );
    console.log(
      `dbt: ${models.length} models, ${tests.length} tests passed (dbt build on dbt-duckdb, ` +
        `${Date.now() - started} ms)`,
    );
  }, 600_000);

  it('mutation control: on bad rows (a label of 2, a duplicated sample) dbt build fails on exactly those tests', () => {
    const bad = [...EMULATOR, ['s3', '2026-01-04 00:00:00', '2', 'x', '30', '1', '0.1', '2025-12-03'], EMULATOR[0]!];
    const r = dbt([
      'build',
      PROJECT,
      join(ROOT, 'dist', 'dev', 'dbt', 'kronodroid', 'sources.yml'),
      seeds(bad, DEVICE),
    ]);
    expect(r.status).toBe(1);
    const failed = Object.entries(r.out.status as Record<string, string>)
      .filter(([, s]) => s === 'fail')
      .map(([id]) => id.split('.')[2])
      .sort();
    expect(failed).toEqual([
      'accepted_values_fct_sample_features_is_malware__False__0__1',
      'unique_fct_sample_features_sample_key',
    ]);
  }, 600_000);
});

describe('what dfp refuses before dbt runs, at the construct path', () => {
  /** A copy of the project with `edit` applied to the feature model's SQL. */
  function projectWith(edit: (sql: string) => string): string {
    const dir = join(mkdtempSync(join(tmpdir(), 'dfp-dbt-project-')), 'kronodroid');
    cpSync(PROJECT, dir, { recursive: true });
    const file = join(dir, 'models', 'marts', 'fct_sample_features.sql');
    writeFileSync(file, edit(readFileSync(file, 'utf8')));
    return dir;
  }
  function app(dir: string, select: string[]) {
    const a = testApp();
    const t = new IcebergTable(a, 'emulator_samples', {
      namespace: 'stg_kronodroid',
      lakefsRepository: 'shop',
      ref: { branch: 'main' },
      fields: { sample_id: 'string', ts: 'timestamp' },
      timestampField: 'ts',
    });
    const real = new IcebergTable(a, 'real_device_samples', {
      namespace: 'stg_kronodroid',
      lakefsRepository: 'shop',
      ref: { branch: 'main' },
      fields: { sample_id: 'string', ts: 'timestamp' },
      timestampField: 'ts',
    });
    const p = new DbtProject(a, 'kronodroid', {
      dir,
      sources: [t, real],
      image: 'registry.dfp.internal/test/dbt:1.11.16',
      credentials: { accessKeyId: { secret: 'lakefs', key: 'id' }, secretAccessKey: { secret: 'lakefs', key: 'key' } },
    });
    new DbtStep(new Pipeline(a, 'p'), 'dbt', { project: p, select });
    return a;
  }
  const problems = (a: ReturnType<typeof testApp>) => {
    const r = modelOrError(a);
    expect(r).toBeInstanceOf(DfpError);
    return (r as DfpError).problems;
  };

  it('the real project with a valid selection builds (control)', () => {
    expect(modelOrError(app(PROJECT, ['+fct_sample_features']))).not.toBeInstanceOf(DfpError);
  });

  it('a ref() to no model of the project', () => {
    const dir = projectWith((sql) => sql.replace("ref('stg_kronodroid__samples')", "ref('stg_kronodroid__sample')"));
    expect(problems(app(dir, []))).toContainEqual({
      path: 'kronodroid',
      message: expect.stringMatching(
        new RegExp(
          /^model fct_sample_features \(models\/marts\/fct_sample_features.sql\) /.source +
            /calls ref\('stg_kronodroid__sample'\), which names no model /.source +
            /of the project; models are fct_sample_features, stg_kronodroid__samples: /.source +
            /fix the ref or add the model$/.source,
        ),
      ),
    });
  });

  it('a selection that names no model', () => {
    expect(problems(app(PROJECT, ['+fct_training_dataset']))).toEqual([
      {
        path: 'p/dbt',
        message:
          "select '+fct_training_dataset' names no model of dbt project kronodroid; its models are " +
          'fct_sample_features, stg_kronodroid__samples: select one of them',
      },
    ]);
  });

  it('the dbt step reads the source tables and writes the selected models (datasets)', () => {
    const step = model.pipelines
      .find((p) => p.name === 'kronodroid-features')!
      .steps.find((s) => s.name === 'dbt-build')!;
    expect(step.dbt).toEqual({ project: 'kronodroid', command: 'build', select: ['+fct_sample_features'] });
    expect(step.datasets).toEqual({
      reads: [
        { platform: 'iceberg', name: 'stg_kronodroid.emulator_samples' },
        { platform: 'iceberg', name: 'stg_kronodroid.real_device_samples' },
      ],
      writes: [
        { platform: 'dbt', name: 'kronodroid.fct_sample_features' },
        { platform: 'dbt', name: 'kronodroid.stg_kronodroid__samples' },
      ],
    });
    // Selecting only the feature model reads the staging model it refs, as a dbt dataset.
    const only = buildModel(app(PROJECT, ['fct_sample_features'])).pipelines[0]!.steps[0]!;
    expect(only.datasets).toEqual({
      reads: [{ platform: 'dbt', name: 'kronodroid.stg_kronodroid__samples' }],
      writes: [{ platform: 'dbt', name: 'kronodroid.fct_sample_features' }],
    });
  });
});
