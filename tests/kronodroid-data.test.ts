/**
 * The Kronodroid data refresh, run for real against a real lakeFS (local blockstore, its S3
 * gateway on loopback), each program in its image's uv-locked venv, configured from what
 * dfp rendered into dist/:
 *
 *   synthetic CSVs (dfp_tools.kronodroid_synthetic) → lakeFS main/landing
 *   → dlt load (images/dlt-runner/run_load.py, dist/dev/dlt config) on a branch
 *   → dfp_tools.lakefs_commit_merge (official lakefs SDK) merges it into main
 *   → the transform on Spark (spark-submit local[2] with the rendered SparkApplication's
 *     sparkConf, hadoopConf and packages from Maven Central) and on DataFusion (the rendered
 *     Job's command and env) on two branches of the same commit
 *   → both engines' tables read back (pyiceberg plans the scan, its Avro reader decodes the
 *     data files; Spark reads the DataFusion tables too) and compared: equal rows, the
 *     IcebergTables' schemas (dist/dev/schemas), Avro data files only
 *   → the Spark branch committed and merged into main; the output commit id is main's head.
 *
 * Then bad input for each program: a one-line error naming the input, exit ≠ 0, and
 * nothing written to the tables or committed. Numbers (rows, seconds) are printed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { IMAGES, KronodroidLake, REPO, json, runPy, type Ran } from './support/kronodroid-lake.ts';
import { ROOT, freePort } from './support/process.ts';

const SAMPLES = 2000;

let lake: KronodroidLake;

function readTables(branch: string) {
  const r = runPy(
    'kronodroid-datafusion',
    [join(IMAGES, 'kronodroid-datafusion', 'tests', 'read_tables.py'), `s3://${REPO}/${branch}/warehouse`],
    {
      ...lake.creds,
      AWS_ENDPOINT_URL: lake.lakefs.endpoint,
      AWS_REQUEST_CHECKSUM_CALCULATION: 'when_required',
    },
  );
  expect(r.status, r.stderr.slice(-3000)).toBe(0);
  return json(r) as Record<
    string,
    {
      schema: unknown[];
      spec: unknown[];
      properties: Record<string, string>;
      formats: string[];
      rows: Record<string, unknown>[];
    }
  >;
}

async function objects(ref: string, prefix: string): Promise<string[]> {
  return (await lake.lakefs.client.listObjects(REPO, ref, prefix)).map((o) => o.path);
}

beforeAll(async () => {
  lake = await KronodroidLake.start({ samples: SAMPLES, seed: 7, badRows: 3, workPrefix: 'dfp-kronodroid-data-' });
}, 600_000);

afterAll(async () => {
  await lake?.stop();
});

describe('the Kronodroid data refresh on a real lakeFS', () => {
  let loaded: string;

  it(
    'dlt loads the synthetic CSV exports into ' +
      'raw_kronodroid.samples on a branch; commit-merge puts it on ' +
      'main',
    async () => {
      await lake.lakefs.client.createBranch(REPO, 'load', 'main');
      const r = lake.dltLoad('load');
      expect(r.status, r.stderr.slice(-3000)).toBe(0);
      expect(await objects('load', 'warehouse/raw_kronodroid/samples/metadata/')).not.toEqual([]);
      const m = lake.commitMerge(['--branch', 'load', '--commit=true']);
      expect(m.status, m.stderr).toBe(0);
      loaded = m.commitId!;
      expect(loaded).toMatch(/^[0-9a-f]{64}$/);
      expect(loaded).toBe(await lake.lakefs.client.resolveBranch(REPO, 'main'));
      expect(loaded).not.toBe(lake.landingCommit);
      console.log(
        `dlt: ${lake.csvRows} CSV rows (${SAMPLES} synthetic samples) loaded on lakeFS in ` +
          `${r.seconds.toFixed(1)} s; commit-merge ${m.seconds.toFixed(1)} s -> main ${loaded.slice(0, 12)}`,
      );
    },
    900_000,
  );

  it('Spark and DataFusion give equal tables from one commit: rows, schemas, Avro data files', async () => {
    await lake.lakefs.client.createBranch(REPO, 'datafusion', 'main');
    await lake.lakefs.client.createBranch(REPO, 'spark', 'main');
    const df = lake.dataFusion(['--branch', 'datafusion', '--enabled', 'true']);
    expect(df.status, df.stderr.slice(-3000)).toBe(0);
    const sp = lake.sparkJob(['--branch', 'spark', '--enabled', 'true']);
    expect(sp.status, sp.stderr.slice(-4000)).toBe(0);
    const dfOut = json(df);
    const spOut = json(sp);
    expect(spOut.warehouse).toBe(`s3a://${REPO}/spark/warehouse`);
    expect(dfOut.warehouse).toBe(`s3://${REPO}/datafusion/warehouse`);
    expect(dfOut.raw_rows).toBe(lake.csvRows);
    expect(spOut.raw_rows).toBe(lake.csvRows);

    const a = readTables('datafusion');
    const b = readTables('spark');
    for (const table of [
      'stg_kronodroid.emulator_samples',
      'stg_kronodroid.real_device_samples',
      'kronodroid.fct_training_dataset',
    ]) {
      const expected = JSON.parse(readFileSync(join(ROOT, 'dist', 'dev', 'schemas', `${table}.iceberg.json`), 'utf8'));
      for (const t of [a[table]!, b[table]!]) {
        expect(t.formats).toEqual(['AVRO']);
        expect(t.properties['write.format.default']).toBe('avro');
        expect(t.schema).toEqual(expected.schema.fields);
        expect(t.spec).toEqual(
          expected['partition-spec'].fields.map((f: { name: string; transform: string; 'source-id': number }) => ({
            name: f.name,
            transform: f.transform,
            'source-id': f['source-id'],
          })),
        );
      }
      expect(a[table]!.rows.length).toBeGreaterThan(0);
      expect(b[table]!.rows).toEqual(a[table]!.rows);
    }
    const training = a['kronodroid.fct_training_dataset']!.rows;
    // One row per sample; the rows without a sample id were dropped; every split is there.
    expect(training.length).toBe(SAMPLES);
    expect(new Set(training.map((r) => r.sample_id)).size).toBe(SAMPLES);
    const splits = Object.fromEntries(
      ['train', 'validation', 'test'].map((s) => [s, training.filter((r) => r.split === s).length]),
    );
    expect(splits.train).toBeGreaterThan(SAMPLES * 0.65);
    expect(splits.validation).toBeGreaterThan(0);
    expect(splits.test).toBeGreaterThan(0);
    const freq = training.find((r) => r.syscall_frequencies)!.syscall_frequencies as string[];
    expect(freq).toHaveLength(16);
    expect(Math.abs(freq.reduce((s, x) => s + Number(x), 0) - 1)).toBeLessThan(1e-5);
    console.log(
      `transform: ${dfOut.raw_rows} raw rows -> ` +
        JSON.stringify(
          Object.fromEntries(Object.entries(dfOut.tables).map(([k, v]) => [k, (v as { rows: number }).rows])),
        ) +
        `, splits ${JSON.stringify(splits)}; DataFusion ${df.seconds.toFixed(1)} s, Spark (local[2], JVM start ` +
        `included) ${sp.seconds.toFixed(1)} s`,
    );
  }, 1_800_000);

  it(
    'Spark reads the tables DataFusion wrote (its Avro files and pyiceberg-written manifests) and gets what ' +
      'pyiceberg gets',
    () => {
      const result = join(lake.work, 'spark-read.json');
      const r = lake.sparkSubmit(
        join(IMAGES, 'kronodroid-spark', 'tests', 'read_tables.py'),
        ['lakefs', result],
        `s3a://${REPO}/datafusion/warehouse`,
      );
      expect(r.status, r.stderr.slice(-4000)).toBe(0);
      const spark = JSON.parse(readFileSync(result, 'utf8'));
      const pyiceberg = readTables('datafusion');
      for (const [table, t] of Object.entries(pyiceberg)) {
        expect(spark[table].formats).toEqual(['AVRO']);
        expect(spark[table].rows).toEqual(t.rows);
      }
      console.log(`spark read back the DataFusion tables in ${r.seconds.toFixed(1)} s`);
    },
    1_200_000,
  );

  it('commit-merge commits the Spark branch and merges it; without --commit it only resolves the head', async () => {
    const before = await lake.lakefs.client.resolveBranch(REPO, 'main');
    const m = lake.commitMerge(['--branch', 'spark', '--commit=true']);
    expect(m.status, m.stderr).toBe(0);
    const main = await lake.lakefs.client.resolveBranch(REPO, 'main');
    expect(m.commitId).toBe(main);
    expect(main).not.toBe(before);
    expect(await objects(main, 'warehouse/kronodroid/fct_training_dataset/metadata/version-hint.text')).toHaveLength(1);
    // Again: nothing to commit or merge, same head.
    const again = lake.commitMerge(['--branch', 'spark', '--commit=true']);
    expect(again.status, again.stderr).toBe(0);
    expect(again.commitId).toBe(main);
    const resolved = lake.commitMerge(['--branch', 'datafusion', '--commit=false']);
    expect(resolved.status, resolved.stderr).toBe(0);
    expect(resolved.commitId).toBe(await lake.lakefs.client.resolveBranch(REPO, 'datafusion'));
    expect(await lake.lakefs.client.resolveBranch(REPO, 'main')).toBe(main);
  }, 600_000);
});

describe('the rendered commit-merge step gives the program what it reads', () => {
  it('its command, arguments and env (LAKEFS_ENDPOINT from the environment, the key pair by Secret reference)', () => {
    const t = parse(
      readFileSync(join(ROOT, 'dist', 'staging', 'argo', 'workflow-templates', 'kronodroid-features.yaml'), 'utf8'),
    );
    const c = t.spec.templates.find((x: { name: string }) => x.name === 'lakefs-commit-merge').container;
    expect(c.command).toEqual(['python', '-m', 'dfp_tools.lakefs_commit_merge']);
    expect(c.args.filter((a: string) => a.startsWith('--')).map((a: string) => a.split('=')[0])).toEqual([
      '--repository',
      '--branch',
      '--into',
      '--commit',
      '--commit-id-file',
    ]);
    const env = Object.fromEntries(
      (c.env as { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string } } }[]).map((e) => [
        e.name,
        e.value ?? `secret:${e.valueFrom!.secretKeyRef.name}`,
      ]),
    );
    expect(env).toEqual({
      LAKEFS_ACCESS_KEY_ID: 'secret:lakefs-credentials',
      LAKEFS_ENDPOINT: 'http://lakefs.lakefs-staging.svc.cluster.local:8000',
      LAKEFS_SECRET_ACCESS_KEY: 'secret:lakefs-credentials',
    });
  });
});

describe('bad input: one line naming the input, exit != 0, nothing written or committed', () => {
  // The program's own error is one line starting with its name; Spark's JVM logs its
  // shutdown after it, so the line is looked for, and must be the only one of its kind.
  // spark-submit runs a Python driver with its stderr merged into its stdout (Spark's
  // PythonRunner), so a Spark job's line is on stdout.
  const oneLine = (r: Ran, prefix: string, pattern: RegExp, stream: 'stderr' | 'stdout' = 'stderr') => {
    expect(r.status).not.toBe(0);
    const lines = r[stream].split('\n').filter((l) => l.startsWith(prefix));
    expect(lines, r.stderr.slice(-2000)).toHaveLength(1);
    expect(lines[0]).toMatch(pattern);
  };

  it('commit-merge: a missing branch or repository, bad keys, lakeFS down, --commit not a bool', async () => {
    const main = await lake.lakefs.client.resolveBranch(REPO, 'main');
    const down = `http://127.0.0.1:${await freePort()}`;
    const cases: [Ran & { commitId?: string }, RegExp][] = [
      [
        lake.commitMerge(['--branch', 'no-such-branch', '--commit=true']),
        /branch 'no-such-branch' of lakeFS repository 'kronodroid' \(--branch\) does not exist/,
      ],
      [
        lake.commitMerge(['--branch', 'spark', '--commit=false'], { LAKEFS_SECRET_ACCESS_KEY: 'wrong' }),
        /refused the key pair/,
      ],
      [
        lake.commitMerge(['--branch', 'spark', '--commit=true'], { LAKEFS_ENDPOINT: down }),
        /cannot reach lakeFS at http:\/\/127\.0\.0\.1:\d+/,
      ],
    ];
    for (const [r, pattern] of cases) {
      oneLine(r, 'lakefs_commit_merge: ', pattern);
      expect(r.commitId).toBeUndefined();
    }
    const noRepo = runPy(
      'lakefs-tools',
      [
        '-m',
        'dfp_tools.lakefs_commit_merge',
        '--repository',
        'nope',
        '--branch',
        'main',
        '--into',
        'main',
        '--commit=false',
        '--commit-id-file',
        join(lake.work, 'x'),
      ],
      {
        LAKEFS_ENDPOINT: lake.lakefs.endpoint,
        LAKEFS_ACCESS_KEY_ID: lake.lakefs.credentials.accessKeyId,
        LAKEFS_SECRET_ACCESS_KEY: lake.lakefs.credentials.secretAccessKey,
      },
    );
    oneLine(noRepo, 'lakefs_commit_merge: ', /lakeFS repository 'nope' does not exist/);
    const notBool = lake.commitMerge(['--branch', 'spark', '--commit=maybe']);
    expect(notBool.status).toBe(2);
    expect(notBool.stderr.trim()).toBe(
      "lakefs_commit_merge: error: argument --commit: must be true or false, got 'maybe'",
    );
    expect(await lake.lakefs.client.resolveBranch(REPO, 'main')).toBe(main);
  }, 600_000);

  it('dlt: a landing folder without CSV files, and a value that does not fit its column', async () => {
    await lake.lakefs.client.createBranch(REPO, 'bad-dlt', lake.landingCommit);
    const empty = lake.dltLoad('bad-dlt', `s3://${REPO}/main/landing/nothing-here`);
    oneLine(empty, 'run_load: ', /no \*\.csv files under the source s3:\/\/kronodroid\/main\/landing\/nothing-here/);
    const text = readFileSync(join(lake.work, 'landing', 'kronodroid_emulator.csv'), 'utf8').split('\n');
    const cells = text[1]!.split(',');
    cells[5] = 'thirty';
    await lake.lakefs.client.upload(
      REPO,
      'bad-dlt',
      'landing/bad/kronodroid_emulator.csv',
      [text[0], cells.join(','), ...text.slice(2)].join('\n'),
    );
    const bad = lake.dltLoad('bad-dlt', `s3://${REPO}/bad-dlt/landing/bad`);
    oneLine(bad, 'run_load: ', /api_level.*data_type/);
    expect(await objects('bad-dlt', 'warehouse/raw_kronodroid/samples/data/')).toEqual([]);
  }, 900_000);

  it(
    'DataFusion job: no raw table on the branch, corrupt raw metadata, --enabled not a bool; --enabled false ' +
      'does nothing',
    async () => {
      await lake.lakefs.client.createBranch(REPO, 'no-raw', lake.landingCommit);
      oneLine(
        lake.dataFusion(['--branch', 'no-raw']),
        'kronodroid_iceberg_job: ',
        /input table raw_kronodroid\.samples has no Iceberg metadata under s3:\/\/kronodroid\/no-raw\/warehouse/,
      );
      await lake.lakefs.client.createBranch(REPO, 'corrupt', 'datafusion');
      await lake.lakefs.client.upload(
        REPO,
        'corrupt',
        'warehouse/raw_kronodroid/samples/metadata/99999-corrupt.metadata.json',
        '{"not": "iceberg"',
      );
      const before = await objects('corrupt', 'warehouse/kronodroid/fct_training_dataset/metadata/');
      oneLine(
        lake.dataFusion(['--branch', 'corrupt']),
        'kronodroid_iceberg_job: ',
        /input table raw_kronodroid\.samples \(.*99999-corrupt\.metadata\.json\) is not readable Iceberg metadata/,
      );
      expect(await objects('corrupt', 'warehouse/kronodroid/fct_training_dataset/metadata/')).toEqual(before);
      oneLine(
        lake.dataFusion(['--branch', 'datafusion', '--enabled', 'maybe']),
        'kronodroid_iceberg_job: ',
        /--enabled must be true or false, got 'maybe'/,
      );
      const parquet = runPy('kronodroid-datafusion', [
        join(IMAGES, 'kronodroid-datafusion', 'kronodroid_iceberg_job.py'),
        '--lakefs-repository',
        REPO,
        '--catalog',
        'lakefs',
        '--file-format',
        'parquet',
      ]);
      expect(parquet.status).toBe(2);
      expect(parquet.stderr.trim()).toBe(
        "kronodroid_iceberg_job: error: argument --file-format: invalid choice: 'parquet' (choose from 'avro')",
      );
      const off = lake.dataFusion(['--branch', 'no-raw', '--enabled', 'false']);
      expect(off.status).toBe(0);
      expect(json(off)).toEqual({ engine: 'datafusion', enabled: false });
      for (const b of ['no-raw', 'corrupt']) expect(await objects(b, 'warehouse/stg_kronodroid/')).toEqual([]);
    },
    600_000,
  );

  it('Spark job: no raw table on the branch, corrupt raw metadata', async () => {
    await lake.lakefs.client.createBranch(REPO, 'no-raw-spark', lake.landingCommit);
    const r = lake.sparkJob(['--branch', 'no-raw-spark', '--enabled', 'true']);
    oneLine(
      r,
      'kronodroid_iceberg_job: ',
      /input table raw_kronodroid\.samples has no Iceberg metadata under s3a:\/\/kronodroid\/no-raw-spark\/warehouse/,
      'stdout',
    );
    expect(await objects('no-raw-spark', 'warehouse/')).toEqual([]);
    await lake.lakefs.client.createBranch(REPO, 'corrupt-spark', 'main');
    await lake.lakefs.client.upload(
      REPO,
      'corrupt-spark',
      'warehouse/raw_kronodroid/samples/metadata/99999-corrupt.metadata.json',
      '{"not": "iceberg"',
    );
    const tables = await objects('corrupt-spark', 'warehouse/stg_kronodroid/');
    const c = lake.sparkJob(['--branch', 'corrupt-spark', '--enabled', 'true']);
    oneLine(
      c,
      'kronodroid_iceberg_job: ',
      /input table raw_kronodroid\.samples \(.*99999-corrupt\.metadata\.json\) cannot be read/,
      'stdout',
    );
    expect(await objects('corrupt-spark', 'warehouse/stg_kronodroid/')).toEqual(tables);
  }, 900_000);
});
