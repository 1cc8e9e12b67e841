/**
 * The Kronodroid dlt load, run by real dlt 1.31.0 (uv-locked, tests/conformance/dlt/):
 * each environment's rendered config.toml, mounted as the step mounts it, with the source
 * and destination URLs pointed at local folders through dlt's env provider, runs the very
 * runner the image runs (images/dlt-runner/run_load.py) on CSV files written by this test.
 * The Iceberg table dlt wrote is read back with pyiceberg 0.12.0: the rows are the source's
 * (order-independent), with only the table's columns, and its schema has the Iceberg types
 * of the IcebergTable definition. A config without the column hints gives other types
 * (control). dfp refuses a destination that is not a defined table, at the step's path.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Construct } from 'constructs';
import { DltLoad, DltSource, IcebergTable, Pipeline } from '../constructs/index.ts';
import { buildModel } from '../constructs/model/build.ts';
import { DfpError } from '../constructs/model/errors.ts';
import { buildApp } from '../main.ts';
import { modelOrError, testApp } from './support/fixtures.ts';
import { ROOT, run } from './support/process.ts';

const HARNESS = join(ROOT, 'tests', 'conformance', 'dlt');
const RUNNER = join(ROOT, 'images', 'dlt-runner', 'run_load.py');
const model = buildModel(buildApp());
const step = model.pipelines.find((p) => p.name === 'kronodroid-features')!.steps.find((s) => s.name === 'dlt-load')!;
const table = model.data.tables.find((t) => t.name === 'raw_kronodroid.samples')!;
const icebergTypes: Record<string, unknown> = JSON.parse(
  readFileSync(join(ROOT, 'dist', 'dev', 'schemas', 'raw_kronodroid.samples.iceberg.json'), 'utf8'),
).schema.fields.reduce(
  (o: Record<string, unknown>, f: { name: string; type: unknown }) => ({ ...o, [f.name]: f.type }),
  {},
);

const HEADER = [
  'sample_id',
  'event_timestamp',
  'capture',
  'is_malware',
  'malware_family',
  'api_level',
  'permission_count',
  'detection_ratio',
  'first_seen',
  'syscall_counts',
  'not_in_table',
];
const FILES = {
  'emulator.csv': [
    ['s1', '2026-01-01T00:00:00Z', 'emulator', '1', 'joker', '30', '14', '0.75', '2025-12-01', '3;1', 'x'],
  ],
  'device.csv': [
    ['s2', '2026-01-02T00:00:00Z', 'real_device', '0', '', '33', '3', '0.0', '2025-12-02', '', 'y'],
    ['s1', '2026-01-03T00:00:00Z', 'real_device', '1', 'joker', '30', '14', '0.8', '2025-12-01', '0;7', 'z'],
  ],
};
const EXPECTED = [
  {
    sample_id: 's1',
    event_timestamp: '2026-01-01T00:00:00+00:00',
    capture: 'emulator',
    is_malware: 1,
    malware_family: 'joker',
    api_level: 30,
    permission_count: 14,
    detection_ratio: 0.75,
    first_seen: '2025-12-01',
    syscall_counts: '3;1',
  },
  {
    sample_id: 's2',
    event_timestamp: '2026-01-02T00:00:00+00:00',
    capture: 'real_device',
    is_malware: 0,
    malware_family: null,
    api_level: 33,
    permission_count: 3,
    detection_ratio: 0,
    first_seen: '2025-12-02',
    syscall_counts: null,
  },
  {
    sample_id: 's1',
    event_timestamp: '2026-01-03T00:00:00+00:00',
    capture: 'real_device',
    is_malware: 1,
    malware_family: 'joker',
    api_level: 30,
    permission_count: 14,
    detection_ratio: 0.8,
    first_seen: '2025-12-01',
    syscall_counts: '0;7',
  },
];

const order = (rows: Record<string, unknown>[]) =>
  [...rows].sort((a, b) => `${a.sample_id}|${a.capture}`.localeCompare(`${b.sample_id}|${b.capture}`));

function load(config: string): { status: number | null; out: any; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'dfp-dlt-'));
  mkdirSync(join(dir, 'source'));
  mkdirSync(join(dir, 'warehouse'));
  for (const [name, rows] of Object.entries(FILES))
    writeFileSync(join(dir, 'source', name), [HEADER, ...rows].map((r) => r.join(',')).join('\n') + '\n');
  writeFileSync(join(dir, 'config.toml'), config);
  const r = run(
    join(HARNESS, '.venv', 'bin', 'python'),
    [join(HARNESS, 'check.py'), RUNNER, join(dir, 'config.toml'), join(dir, 'source'), join(dir, 'warehouse')],
    { timeoutMs: 600_000, env: { TZ: 'UTC' } },
  );
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return {
    status: r.status,
    out: last.startsWith('{') ? JSON.parse(last) : undefined,
    stderr: r.stderr + r.stdout.slice(-2000),
  };
}

const rendered = (env: string) =>
  readFileSync(join(ROOT, 'dist', env, 'dlt', 'kronodroid-features', 'dlt-load', 'config.toml'), 'utf8');

describe('the rendered dlt load, run by real dlt into a local Iceberg table', () => {
  for (const env of model.environments.map((e) => e.name)) {
    it(`${env}: the rows arrive in raw_kronodroid.samples with the table's columns and Iceberg types`, () => {
      const started = Date.now();
      const r = load(rendered(env));
      expect(r.status, r.stderr.slice(-3000) + JSON.stringify(r.out)).toBe(0);
      expect(r.out.table).toMatch(/\/warehouse\/raw_kronodroid\/samples$/);
      const rows = (r.out.rows as Record<string, unknown>[]).map((row) =>
        Object.fromEntries(Object.entries(row).filter(([k]) => !k.startsWith('_dlt_'))),
      );
      expect(order(rows)).toEqual(order(EXPECTED));
      const schema = Object.fromEntries(
        Object.entries(r.out.schema as Record<string, string>).filter(([k]) => !k.startsWith('_dlt_')),
      );
      expect(schema).toEqual(Object.fromEntries(table.fields.map((f) => [f.name, icebergTypes[f.name]])));
      console.log(
        `dlt (${env}): ${rows.length} rows loaded into ${table.name} (Iceberg, ${r.out.format} data files) and ` +
          `read back with pyiceberg, ${Date.now() - started} ms`,
      );
    }, 600_000);
  }

  it('control: without the column hints of the table the same load gives other types', () => {
    const config = rendered('dev').replace(/\n\[dfp\.columns\][^[]*$/, '\n[dfp.columns]\n');
    const r = load(config);
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    const schema = r.out.schema as Record<string, string>;
    expect(schema.is_malware).not.toBe(icebergTypes.is_malware);
  }, 600_000);

  it('the load step reads its dlt resource and writes the destination table (datasets)', () => {
    expect(step.datasets).toEqual({
      reads: [{ platform: 'dlt', name: 'dlt_load.kronodroid_csv' }],
      writes: [{ platform: 'iceberg', name: 'raw_kronodroid.samples' }],
    });
    expect(step.dlt?.destination).toBe('raw_kronodroid.samples');
  });
});

describe('what dfp refuses in a dlt load, at the step path', () => {
  function problems(destination: (a: Construct) => unknown, bucketUrl = 's3://shop/main/landing') {
    const a = testApp();
    new DltLoad(new Pipeline(a, 'p'), 'load', {
      source: DltSource.files(bucketUrl),
      destination: destination(a) as IcebergTable,
      credentials: { accessKeyId: { secret: 'lakefs', key: 'id' }, secretAccessKey: { secret: 'lakefs', key: 'key' } },
    });
    const r = modelOrError(a);
    return r instanceof DfpError ? r.problems : [];
  }
  const defined = (a: Construct) =>
    new IcebergTable(a, 'landed', {
      namespace: 'raw',
      lakefsRepository: 'shop',
      ref: { branch: 'main' },
      fields: { id: 'string', ts: 'timestamp' },
      timestampField: 'ts',
    });

  it('a defined table is accepted (control)', () => {
    expect(problems(defined)).toEqual([]);
  });
  it('a destination that is not an IcebergTable', () => {
    expect(problems((a) => new Construct(a, 'landed'))).toEqual([
      {
        path: 'p/load',
        message:
          'destination is not an IcebergTable; a dlt load writes a table the app defines: pass the ' +
          'IcebergTable construct',
      },
    ]);
  });
  it('a table of another app', () => {
    expect(problems(() => defined(testApp(false)))).toEqual([
      {
        path: 'p/load',
        message: "destination 'landed' is not a table of this app; create the IcebergTable under the same app",
      },
    ]);
  });
  it('credentials in the source URL', () => {
    expect(
      problems(defined, 's3://AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI@shop/main/landing').map((p) => p.message),
    ).toContainEqual(
      expect.stringMatching(/^source bucketUrl '.*' holds credentials; never write a secret into a definition/),
    );
  });
});
