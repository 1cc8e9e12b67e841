/**
 * The Kronodroid transform inside its built images (tests/support/oci-run.ts: the OCI
 * archives `make images` wrote, run by runc read-only as uid 1000 with no capabilities),
 * against a real lakeFS (tests/support/lakefs.ts; its S3 gateway on the host's loopback,
 * which is why the containers share the host's network):
 *
 *   synthetic landing CSVs → dlt load in the dlt-runner image (the rendered dlt config)
 *   → the transform on DataFusion in the kronodroid-datafusion image (the rendered Job's
 *     command and env) and on Spark in the kronodroid-spark image (the spark-submit the
 *     rendered SparkApplication gives its driver: tests/support/spark-application.ts), on
 *     two branches of the same commit
 *   → both engines' tables read back in the kronodroid-datafusion image (pyiceberg) and
 *     compared: equal rows, the IcebergTables' schemas, Avro data files only.
 *
 * The Spark run is offline as a pod is: the SparkApplication asks Maven for nothing (no
 * deps.packages, no spark.jars.*), its jars come from the image's /opt/dfp/jars through the
 * rendered extraClassPath, and Spark's log shows no Ivy resolution. Control: the same run
 * without the rendered classpath fails, naming Iceberg's catalog class it cannot load.
 *
 * Needs the archives, so it runs under `make images-test` (DFP_IMAGES_RUN=1) after
 * `make images`; skipped by `make test`. Prints what each run took.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startLakeFs, type LakeFsServer } from './support/lakefs.ts';
import {
  canRunImages,
  imageArchive,
  releaseImages,
  runInImageAsync,
  unpackImage,
  type OciImage,
  type RunResult,
} from './support/oci-run.ts';
import { ROOT } from './support/process.ts';
import { driverEnv, sparkSubmitArgv, type SparkApplication } from './support/spark-application.ts';

const enabled = process.env.DFP_IMAGES_RUN === '1';
const REPO = 'kronodroid';
const SAMPLES = 600;
const TABLES = [
  'stg_kronodroid.emulator_samples',
  'stg_kronodroid.real_device_samples',
  'kronodroid.fct_training_dataset',
];
const timings: string[] = [];

const unpacked = new Map<string, OciImage>();
function image(name: string): OciImage {
  if (!unpacked.has(name)) unpacked.set(name, unpackImage(imageArchive(name)));
  return unpacked.get(name)!;
}

async function run(name: string, args: string[], options: Omit<Parameters<typeof runInImageAsync>[1], 'args'> = {}) {
  const t0 = Date.now();
  const r = await runInImageAsync(image(name), { hostNetwork: true, timeoutMs: 1_200_000, ...options, args });
  const seconds = (Date.now() - t0) / 1000;
  timings.push(`${name}: ${args.slice(0, 2).join(' ')}… exit ${r.status} in ${seconds.toFixed(1)} s`);
  return { ...r, seconds };
}

const lastJson = (r: RunResult) => JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}');

/** A folder the image's uid 1000 can read, as a ConfigMap volume is. */
function readable(prefix: string, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(join(dir, f, '..'), { recursive: true, mode: 0o755 });
    writeFileSync(join(dir, f), text, { mode: 0o644 });
  }
  return dir;
}

describe.skipIf(!enabled)(
  'the Kronodroid transform in its built images: Spark and DataFusion give equal tables',
  () => {
    let lakefs: LakeFsServer;
    let creds: Record<string, string>;
    let csvRows = 0;
    const folders: string[] = [];
    const app = parse(
      readFileSync(join(ROOT, 'dist', 'prod', 'spark', 'applications', 'kronodroid-iceberg.yaml'), 'utf8'),
    ) as SparkApplication;
    const secret = (name: string, key: string) => {
      expect(name).toBe('lakefs-credentials');
      return key === 'access_key_id' ? creds.AWS_ACCESS_KEY_ID! : creds.AWS_SECRET_ACCESS_KEY!;
    };
    /** The rendered application's driver command in the kronodroid-spark image, against this test's lakeFS. */
    const spark = (branch: string, change: (argv: string[]) => string[] = (a) => a) =>
      run(
        'kronodroid-spark',
        change(
          sparkSubmitArgv(app, {
            runArgs: ['--branch', branch, '--enabled', 'true'],
            hadoopOverrides: { 'fs.s3a.endpoint': lakefs.endpoint },
          }),
        ),
        { env: driverEnv(app, secret), scratch: ['/tmp', '/home/dfp'] },
      );

    beforeAll(async () => {
      expect(canRunImages(), 'runc (Debian) and root are needed').toBe(true);
      lakefs = await startLakeFs();
      creds = {
        AWS_ACCESS_KEY_ID: lakefs.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: lakefs.credentials.secretAccessKey,
      };
      await lakefs.client.createRepository(REPO, `local://${REPO}`);
      const landing = mkdtempSync(join(tmpdir(), 'dfp-kronodroid-landing-'));
      folders.push(landing);
      const gen = spawnSync(
        'python3',
        ['-m', 'dfp_tools.kronodroid_synthetic', '--out', landing, '--samples', String(SAMPLES), '--seed', '7'],
        {
          encoding: 'utf8',
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PYTHONPATH: join(ROOT, 'images', 'dfp_tools') },
        },
      );
      expect(gen.status, gen.stderr).toBe(0);
      csvRows = Object.values(JSON.parse(gen.stdout).files as Record<string, number>).reduce((a, b) => a + b, 0);
      for (const f of readdirSync(landing))
        await lakefs.client.upload(REPO, 'main', `landing/kronodroid/${f}`, readFileSync(join(landing, f)));
      await lakefs.client.commit(REPO, 'main', 'synthetic KronoDroid landing files');

      // dlt load in its image, with the rendered config where the step mounts it.
      await lakefs.client.createBranch(REPO, 'load', 'main');
      const project = readable('dfp-dlt-project-', {
        '.dlt/config.toml': readFileSync(
          join(ROOT, 'dist', 'prod', 'dlt', 'kronodroid-features', 'dlt-load', 'config.toml'),
          'utf8',
        ),
      });
      folders.push(project);
      const dlt = await run('dlt-runner', ['python', '/opt/dfp/dlt/run_load.py'], {
        mounts: { '/etc/dfp/dlt': project },
        env: {
          DLT_PROJECT_DIR: '/etc/dfp/dlt',
          DLT_DATA_DIR: '/tmp/dlt',
          RUNTIME__DLTHUB_TELEMETRY: 'false',
          DESTINATION__FILESYSTEM__BUCKET_URL: `s3://${REPO}/load/warehouse`,
          DESTINATION__FILESYSTEM__CREDENTIALS__AWS_ACCESS_KEY_ID: creds.AWS_ACCESS_KEY_ID!,
          DESTINATION__FILESYSTEM__CREDENTIALS__AWS_SECRET_ACCESS_KEY: creds.AWS_SECRET_ACCESS_KEY!,
          DFP__S3__ENDPOINT_URL: lakefs.endpoint,
          DFP__SOURCE__BUCKET_URL: `s3://${REPO}/main/landing/kronodroid`,
        },
      });
      expect(dlt.status, dlt.stderr.slice(-3000)).toBe(0);
      await lakefs.client.commit(REPO, 'load', 'dlt load');
      for (const b of ['spark', 'datafusion', 'spark-control']) await lakefs.client.createBranch(REPO, b, 'load');
    }, 1_800_000);

    afterAll(async () => {
      if (timings.length) console.log(`kronodroid images:\n  ${timings.join('\n  ')}`);
      releaseImages();
      await lakefs?.stop();
      for (const f of folders) rmSync(f, { recursive: true, force: true });
    });

    it("the rendered SparkApplication asks Maven for nothing: its jars are the image's, on the classpath", () => {
      expect(app.spec.deps).toBeUndefined();
      expect(Object.keys(app.spec.sparkConf ?? {}).filter((k) => k.startsWith('spark.jars'))).toEqual([]);
      expect(app.spec.sparkConf?.['spark.driver.extraClassPath']).toBe('/opt/dfp/jars/*');
    });

    const equalTables =
      'Spark (in kronodroid-spark) and DataFusion (in kronodroid-datafusion) write equal Iceberg tables ' +
      'with Avro data files';
    it(equalTables, { timeout: 1_800_000 }, async () => {
      const job = parse(
        readFileSync(join(ROOT, 'dist', 'staging', 'datafusion', 'jobs', 'kronodroid-iceberg.yaml'), 'utf8'),
      );
      const c = job.spec.template.spec.containers[0];
      const dfEnv: Record<string, string> = {};
      for (const e of c.env as {
        name: string;
        value?: string;
        valueFrom?: { secretKeyRef: { name: string; key: string } };
      }[])
        dfEnv[e.name] = e.value ?? secret(e.valueFrom!.secretKeyRef.name, e.valueFrom!.secretKeyRef.key);
      dfEnv.AWS_ENDPOINT_URL = lakefs.endpoint;
      const df = await run(
        'kronodroid-datafusion',
        [...c.command, ...c.args, '--branch', 'datafusion', '--enabled', 'true'],
        {
          env: dfEnv,
        },
      );
      expect(df.status, df.stderr.slice(-3000)).toBe(0);

      const sp = await spark('spark');
      // spark-submit merges the Python driver's stderr into its stdout.
      expect(sp.status, `${sp.stdout.slice(-3000)}\n${sp.stderr.slice(-3000)}`).toBe(0);
      // Offline as a pod: nothing was resolved by Ivy or fetched from Maven.
      expect(`${sp.stdout}${sp.stderr}`).not.toMatch(/Ivy Default Cache|resolving dependencies|repo1\.maven\.org/i);
      const spOut = lastJson(sp);
      const dfOut = lastJson(df);
      expect(spOut.engine).toBe('spark');
      expect(spOut.warehouse).toBe(`s3a://${REPO}/spark/warehouse`);
      expect(spOut.raw_rows).toBe(csvRows);
      expect(dfOut.raw_rows).toBe(csvRows);

      // Both read back with pyiceberg in the DataFusion image (read_tables.py mounted beside the job).
      const read = async (branch: string) => {
        const r = await run(
          'kronodroid-datafusion',
          ['python', '/opt/dfp/tests/read_tables.py', `s3://${REPO}/${branch}/warehouse`],
          {
            mounts: { '/opt/dfp/tests': join(ROOT, 'images', 'kronodroid-datafusion', 'tests') },
            env: { ...creds, AWS_ENDPOINT_URL: lakefs.endpoint, AWS_REQUEST_CHECKSUM_CALCULATION: 'when_required' },
          },
        );
        expect(r.status, r.stderr.slice(-3000)).toBe(0);
        return lastJson(r) as Record<
          string,
          { schema: unknown[]; formats: string[]; properties: Record<string, string>; rows: unknown[] }
        >;
      };
      const a = await read('datafusion');
      const b = await read('spark');
      for (const table of TABLES) {
        const expected = JSON.parse(
          readFileSync(join(ROOT, 'dist', 'prod', 'schemas', `${table}.iceberg.json`), 'utf8'),
        );
        for (const t of [a[table]!, b[table]!]) {
          expect(t.formats).toEqual(['AVRO']);
          expect(t.properties['write.format.default']).toBe('avro');
          expect(t.schema).toEqual(expected.schema.fields);
        }
        expect(a[table]!.rows.length).toBeGreaterThan(0);
        expect(b[table]!.rows).toEqual(a[table]!.rows);
      }
      expect(b['kronodroid.fct_training_dataset']!.rows).toHaveLength(SAMPLES);
      console.log(
        `kronodroid images: ${csvRows} landing rows -> ` +
          JSON.stringify(Object.fromEntries(TABLES.map((t) => [t, b[t]!.rows.length]))) +
          `; DataFusion ${df.seconds.toFixed(1)} s, ` +
          `Spark (local[${app.spec.executor.instances! * app.spec.executor.cores!}], JVM start included) ` +
          `${sp.seconds.toFixed(1)} s; equal rows in all ${TABLES.length} tables`,
      );
    });

    const noClasspath =
      'control: without the rendered classpath the same Spark run cannot load Iceberg, ' + 'and writes nothing';
    it(noClasspath, { timeout: 1_200_000 }, async () => {
      const before = await lakefs.client.listObjects(REPO, 'spark-control', 'warehouse/stg_kronodroid/');
      const r = await spark('spark-control', (argv) => {
        const i = argv.indexOf('spark.driver.extraClassPath=/opt/dfp/jars/*');
        expect(i).toBeGreaterThan(0);
        return [...argv.slice(0, i - 1), ...argv.slice(i + 1)];
      });
      expect(r.status).not.toBe(0);
      // The class of the rendered catalog (or of the session extensions) is not on the classpath.
      expect(`${r.stdout}${r.stderr}`).toMatch(
        /(ClassNotFoundException|Cannot find catalog plugin class)[^\n]*org\.apache\.iceberg\.spark\./,
      );
      expect(await lakefs.client.listObjects(REPO, 'spark-control', 'warehouse/stg_kronodroid/')).toEqual(before);
    });
  },
);
