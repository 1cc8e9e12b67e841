/**
 * The data plane, checked by its real consumers:
 * - real Feast (tests/conformance/feast, uv-locked feast[spark] 0.67.0) runs `feast plan`
 *   and `feast apply` on every rendered repo in dist/, and refuses a broken copy;
 * - avsc parses every rendered Avro schema, accepts a valid record and rejects invalid
 *   ones, and computes the same fingerprint dfp recorded;
 * - pyiceberg (tests/conformance/iceberg, uv-locked 0.12.0) parses every Iceberg table
 *   definition as a REST CreateTableRequest and writes it back unchanged;
 * - a type one of Feast / Avro / Iceberg / Spark lacks fails with the construct path.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { Entity, FeatureView, IcebergTable } from '../constructs/index.ts';
import { DfpError } from '../constructs/model/errors.ts';
import { parseFieldType } from '../constructs/model/field-types.ts';
import { readTree } from '../synth/writer.ts';
import { canonicalForm } from '../targets/schemas/avro.ts';
import { modelOrError, testApp } from './support/fixtures.ts';
import { ROOT, run } from './support/process.ts';

const PYTHON = join(ROOT, 'tests', 'conformance', 'feast', '.venv', 'bin', 'python');
const DIST = join(ROOT, 'dist');
const tree = readTree(DIST);
// A repo is a folder with a feature_store.yaml (feast/sync/ holds the apply hook, not a repo).
const repos = [...tree.keys()]
  .filter((p) => p.split('/')[1] === 'feast' && p.endsWith('/feature_store.yaml'))
  .map((p) => p.split('/').slice(0, 3).join('/'))
  .sort();

interface Step {
  command: string;
  code: number;
  output: string;
}
interface FeastResult {
  repo: string;
  ok: boolean;
  steps: Step[];
}

describe('Feast: feast plan and feast apply succeed on every rendered repo', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'dfp-feast-'));
  // A control: the same repo with a dtype Feast does not have must fail.
  const broken = join(scratch, 'broken');
  cpSync(join(DIST, repos[0]!), broken, { recursive: true });
  const py = join(broken, 'features.py');
  writeFileSync(py, readFileSync(py, 'utf8').replace('dtype=Float64', 'dtype=Float65'));
  // The `features` golden repo (two entities, online and offline views, a selecting service) too.
  const golden = join(ROOT, 'tests', 'golden', 'features', 'features', 'feast', 'dfp_features');
  const r = run(
    PYTHON,
    [join(ROOT, 'tests', 'conformance', 'feast', 'plan_apply.py'), ...repos.map((p) => join(DIST, p)), golden, broken],
    { timeoutMs: 600_000 },
  );
  if (r.status !== 0) throw new Error(`plan_apply.py failed (${r.status}):\n${r.stderr}`);
  const results = (JSON.parse(r.stdout) as { results: FeastResult[] }).results;

  it('finds a repo for every environment on Feast', () => {
    expect(repos).toEqual(['dev/feast/dfp_dev', 'prod/feast/dfp_prod']);
  });

  for (const res of results.slice(0, repos.length)) {
    it(`${res.repo.replace(`${DIST}/`, '')}: plan, apply, and the registry lists the view`, () => {
      expect(res.steps.map((s) => `${s.command}: ${s.code}${s.code ? `\n${s.output}` : ''}`)).toEqual([
        'feast plan --skip-source-validation: 0',
        'feast apply --skip-source-validation: 0',
        'feast feature-views list: 0',
      ]);
      expect(res.steps[1]!.output).toContain('Created feature view kronodroid_autoencoder_features');
      expect(res.steps[2]!.output).toMatch(/kronodroid_autoencoder_features\s+\{'sample'\}/);
      expect(res.ok).toBe(true);
    });
  }

  it('the features golden repo: plan, apply, and the registry lists both views', () => {
    const res = results[repos.length]!;
    expect(res.steps.map((s) => `${s.command}: ${s.code}${s.code ? `\n${s.output}` : ''}`)).toEqual([
      'feast plan --skip-source-validation: 0',
      'feast apply --skip-source-validation: 0',
      'feast feature-views list: 0',
    ]);
    expect(res.steps[1]!.output).toContain('Created feature view customer_spend');
    expect(res.steps[1]!.output).toContain('Created feature service checkout');
    expect(res.steps[2]!.output).toMatch(/customer_spend\s+\{'customer'\}/);
    expect(res.steps[2]!.output).toMatch(/order_basket\s+\{'order'\}/);
    expect(res.ok).toBe(true);
  });

  it('a repo with a dtype Feast lacks is refused (the check can fail)', () => {
    const control = results[repos.length + 1]!;
    expect(control.ok).toBe(false);
    expect(control.steps[0]!.code).not.toBe(0);
    expect(control.steps[0]!.output).toMatch(/Float65/);
  });

  it('definitions.sha256 is a sha256 and the same in every environment', () => {
    const digests = repos.map((r) => tree.get(`${r}/definitions.sha256`)!);
    for (const d of digests) expect(d).toMatch(/^[0-9a-f]{64}\n$/);
    expect(new Set(digests).size).toBe(1);
  });
});

describe('Avro: avsc reads every rendered schema', () => {
  const schemas = [...tree].filter(([p]) => p.endsWith('.avsc'));
  const fingerprints = new Map(
    [...tree]
      .filter(([p]) => p.endsWith('/fingerprints.json'))
      .map(([p, c]) => [p.split('/')[0]!, JSON.parse(c).schemas as Record<string, string>]),
  );

  it('finds the Kronodroid training table in every environment', () => {
    expect(schemas.map(([p]) => p)).toEqual(
      expect.arrayContaining([
        'dev/schemas/kronodroid.fct_training_dataset.avsc',
        'prod/schemas/kronodroid.fct_training_dataset.avsc',
      ]),
    );
  });

  for (const [path, text] of schemas) {
    const schema = JSON.parse(text);
    const type = avro.Type.forSchema(schema);
    const valid = {
      sample_id: { string: 'a1' },
      event_timestamp: 1_700_000_000_000_000,
      split: 'train',
      is_malware: { int: 1 },
      malware_family: null,
      api_level: { int: 30 },
      permission_count: { int: 12 },
      syscall_frequencies: { array: [0.5, 0.25] },
      detection_ratio: { double: 0.9 },
      first_seen: { int: 19000 },
      capture: { string: 'emulator' },
      syscall_counts: { string: '3;1' },
    };
    it(`${path}: parses; a valid record round-trips; invalid records are rejected`, () => {
      // Each table has some of these columns: staging lacks the split, raw (dlt's load) the frequencies.
      const columns = new Set((schema.fields as { name: string }[]).map((f) => f.name));
      const plain = Object.fromEntries(
        Object.entries(valid)
          .filter(([k]) => columns.has(k))
          .map(([k, v]) => [k, v && typeof v === 'object' && !Array.isArray(v) ? Object.values(v)[0] : v]),
      );
      expect(type.isValid(plain)).toBe(true);
      expect(type.fromBuffer(type.toBuffer(plain))).toEqual(plain);
      expect(type.isValid({ ...plain, event_timestamp: undefined })).toBe(false);
      if (columns.has('split')) expect(type.isValid({ ...plain, split: null })).toBe(false);
      expect(type.isValid({ ...plain, api_level: 'thirty' })).toBe(false);
      if (columns.has('syscall_frequencies'))
        expect(type.isValid({ ...plain, syscall_frequencies: ['x'] })).toBe(false);
      expect(type.isValid({ ...plain, permission_count: 1.5 })).toBe(false);
    });
    it(`${path}: the recorded fingerprint is avsc's sha256 fingerprint of the same schema`, () => {
      const env = path.split('/')[0]!;
      const table = `${schema.namespace}.${schema.name}`;
      expect(fingerprints.get(env)![table]).toBe(type.fingerprint('sha256').toString('hex'));
      // avsc's schema() with no options is the Parsing Canonical Form, as an object.
      expect(canonicalForm(schema)).toBe(JSON.stringify(type.schema()));
    });
  }
});

describe('Iceberg: pyiceberg reads every rendered table definition', () => {
  const ICEBERG = join(ROOT, 'tests', 'conformance', 'iceberg');
  const files = [...tree.keys()].filter((p) => p.endsWith('.iceberg.json'));
  const scratch = mkdtempSync(join(tmpdir(), 'dfp-iceberg-'));
  // Controls: an unknown field (pyiceberg drops it, so the round trip differs) and a wrong type.
  const original = JSON.parse(tree.get(files[0]!)!);
  const unknown = join(scratch, 'unknown.json');
  writeFileSync(unknown, JSON.stringify({ ...original, 'sort-order': {} }));
  const badType = join(scratch, 'bad-type.json');
  writeFileSync(
    badType,
    JSON.stringify({
      ...original,
      schema: { ...original.schema, fields: [{ ...original.schema.fields[0], type: 'varchar' }] },
    }),
  );
  const r = run(join(ICEBERG, '.venv', 'bin', 'python'), [
    join(ICEBERG, 'check.py'),
    ...files.map((f) => join(DIST, f)),
    unknown,
    badType,
  ]);
  if (r.status !== 0) throw new Error(`check.py failed (${r.status}):\n${r.stderr}`);
  const results = (
    JSON.parse(r.stdout) as { results: { ok: boolean; errors: string[]; schema: [string, string, boolean][] | null }[] }
  ).results;

  it('finds the Kronodroid table in every environment', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'dev/schemas/kronodroid.fct_training_dataset.iceberg.json',
        'prod/schemas/kronodroid.fct_training_dataset.iceberg.json',
      ]),
    );
  });

  files.forEach((file, i) => {
    it(`${file}: a CreateTableRequest pyiceberg parses and writes back unchanged, with the model's columns`, () => {
      expect(results[i]!.errors).toEqual([]);
      expect(results[i]!.ok).toBe(true);
      const training = [
        ['sample_id', 'string'],
        ['event_timestamp', 'timestamptz'],
        ['split', 'string'],
        ['is_malware', 'int'],
        ['malware_family', 'string'],
        ['api_level', 'int'],
        ['permission_count', 'int'],
        ['syscall_frequencies', 'list<float>'],
        ['detection_ratio', 'double'],
        ['first_seen', 'date'],
      ];
      // The staging tables (stg_kronodroid.*) have the same columns but the split; the raw
      // table dlt loads has a capture column and the syscall counts the transform turns into
      // frequencies (features/kronodroid.ts).
      const expected = file.includes('.fct_training_dataset.')
        ? training
        : file.includes('/raw_kronodroid.')
          ? [
              ...training.slice(0, 2),
              ['capture', 'string'],
              ...training.slice(3).filter(([name]) => name !== 'syscall_frequencies'),
              ['syscall_counts', 'string'],
            ]
          : training.filter(([name]) => name !== 'split');
      expect(results[i]!.schema!.map(([name, type]) => [name, type])).toEqual(expected);
    });
  });

  it('rejects an unknown field and an unknown type (the check can fail)', () => {
    expect(results[files.length]!.ok).toBe(false);
    expect(results[files.length]!.errors.join('\n')).toMatch(/round trip differs/);
    expect(results[files.length + 1]!.ok).toBe(false);
    expect(results[files.length + 1]!.errors.join('\n')).toMatch(/varchar/);
  });
});

describe('one type system: every type maps to Feast, Avro, Iceberg and Spark, or says why not', () => {
  it('maps the types', () => {
    expect(parseFieldType('list<float32>')).toMatchObject({
      feast: 'Array(Float32)',
      iceberg: 'list<float>',
      spark: 'ARRAY<FLOAT>',
    });
    expect(parseFieldType('decimal(10,2)')).toMatchObject({
      iceberg: 'decimal(10, 2)',
      spark: 'DECIMAL(10,2)',
      avro: { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 },
    });
    expect((parseFieldType('decimal(10,2)') as { feast?: string }).feast).toBeUndefined();
    expect((parseFieldType('date') as { feast?: string }).feast).toBeUndefined();
    expect(parseFieldType('timestamp')).toMatchObject({
      feast: 'UnixTimestamp',
      avro: { type: 'long', logicalType: 'timestamp-micros' },
      iceberg: 'timestamptz',
    });
  });

  function problems(define: (app: ReturnType<typeof testApp>) => void): string {
    const app = testApp();
    define(app);
    const result = modelOrError(app);
    expect(result).toBeInstanceOf(DfpError);
    return (result as DfpError).message;
  }
  const table = (app: ReturnType<typeof testApp>, fields: Record<string, string>) =>
    new IcebergTable(app, 'events', {
      namespace: 'ns',
      lakefsRepository: 'repo',
      ref: { branch: 'main' },
      fields: { id: 'string', ts: 'timestamp', ...fields },
      timestampField: 'ts',
    });

  it('a feature whose type Feast cannot hold (a date, a decimal) fails at the view', () => {
    const message = problems((app) => {
      const t = table(app, { day: 'date', price: 'decimal(10,2)' });
      new FeatureView(app, 'view', { source: t, entities: [new Entity(app, 'id')], features: ['day', 'price'] });
    });
    expect(message).toMatch(/view: feature 'day' has type 'date', which Feast cannot hold; cast it in the transform/);
    expect(message).toMatch(/view: feature 'price' has type 'decimal\(10,2\)', which Feast cannot hold/);
  });

  it('a type none of the four knows, and a list of lists, fail at the table', () => {
    const message = problems((app) => table(app, { a: 'uuid', b: 'list<list<int64>>', c: 'decimal(40,2)' }));
    expect(message).toMatch(/events: field 'a': unknown field type 'uuid'; use one of string, int32/);
    expect(message).toMatch(/events: field 'b': 'list<list<int64>>': a list holds one of/);
    expect(message).toMatch(/events: field 'c': 'decimal\(40,2\)' needs 1 <= precision <= 38/);
  });

  it('an event time that is not a timestamp, a missing column, a mismatched entity, a moving commit', () => {
    const message = problems((app) => {
      const t = new IcebergTable(app, 'events', {
        namespace: 'ns',
        lakefsRepository: 'repo',
        ref: { commit: 'main' },
        fields: { id: 'int64', ts: 'string' },
        timestampField: 'ts',
        partitionBy: ['day'],
      });
      new FeatureView(app, 'view', { source: t, entities: [new Entity(app, 'id')], features: ['missing'] });
    });
    expect(message).toMatch(/events: timestampField 'ts' has type 'string'; it must be a timestamp/);
    expect(message).toMatch(/events: partitionBy 'day' is not a field of the table/);
    expect(message).toMatch(/events: ref\.commit 'main' is not a lakeFS commit id/);
    expect(message).toMatch(/view: feature 'missing' is not a column of ns\.events/);
    expect(message).toMatch(/view: entity 'id' is string but ns\.events\.id is int64; make them the same type/);
  });

  it('a repository or branch name lakeFS would refuse fails synth at the table, as it fails `dfp lock`', () => {
    const message = problems((app) => {
      new IcebergTable(app, 'events', {
        namespace: 'ns',
        lakefsRepository: 'Repo_1',
        ref: { branch: 'main' },
        fields: { ts: 'timestamp' },
        timestampField: 'ts',
      });
      new IcebergTable(app, 'clicks', {
        namespace: 'ns',
        lakefsRepository: 'shop',
        ref: { branch: 'a b' },
        fields: { ts: 'timestamp' },
        timestampField: 'ts',
      });
    });
    expect(message).toMatch(
      new RegExp(
        /events: lakefsRepository 'Repo_1' is not a /.source +
          /lakeFS repository name \(lowercase letters, /.source +
          /digits and '-', 3 to 63 long\)/.source,
      ),
    );
    expect(message).toMatch(/clicks: ref\.branch 'a b' is not a lakeFS branch name/);
  });
});
