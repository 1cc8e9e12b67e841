/**
 * The DataFusion Kronodroid job run twice into the same `main` through two lakeFS branches,
 * for real (a real lakeFS, the job and dfp_tools.lakefs_commit_merge in their uv-locked venvs):
 *
 *   dlt load on `load` → merge into main → the job on branch `a` → merge → branch `b` from
 *   main → the job on `b` → merge.
 *
 * The second run finds the table the first created, whose Iceberg `location` is branch `a`'s
 * warehouse. It must write every file (data, manifests, manifest list, metadata) under `b`'s
 * warehouse and leave the table's location at `b`: main's table then references only
 * objects main's commit holds, and nothing outside `b` changed during the run (the defect
 * docs/cluster.md "What the runs found" describes: the manifests went to `a`, uncommitted,
 * and `train` failed with FileNotFoundError … snap-….avro).
 *
 * Then the Spark job (Iceberg's Hadoop catalog) on a branch `c` of that main: its replace keeps
 * the table location (`b`; Iceberg refuses to relocate a Hadoop table) and data files go under
 * the location, so it must send them to `c` (write.data.path); the same checks follow.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startLakeFs, type LakeFsServer } from './support/lakefs.ts';
import { ROOT } from './support/process.ts';

const IMAGES = join(ROOT, 'images');
const REPO = 'kronodroid';
const SAMPLES = 300;
const IVY = join(process.env.DFP_CACHE ?? join(process.env.HOME ?? '/root', '.cache', 'dfp'), 'ivy');

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

let lakefs: LakeFsServer;
let work: string;
let creds: { AWS_ACCESS_KEY_ID: string; AWS_SECRET_ACCESS_KEY: string };

function runPy(image: string, args: string[], env: Record<string, string> = {}, cwd?: string): Ran {
  const started = Date.now();
  const r = spawnSync(join(IMAGES, image, '.venv', 'bin', 'python'), args, {
    cwd: cwd ?? ROOT,
    encoding: 'utf8',
    timeout: 900_000,
    maxBuffer: 256 * 1024 * 1024,
    // The checkout's dfp_tools first: the code under test, not the copy uv installed.
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/root',
      TZ: 'UTC',
      PYTHONPATH: join(IMAGES, 'dfp_tools'),
      ...env,
    },
  });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', seconds: (Date.now() - started) / 1000 };
}

const json = (r: Ran) => JSON.parse(r.stdout.trim().split('\n').pop() ?? '');

function dltLoad(branch: string): Ran {
  const project = mkdtempSync(join(work, 'dlt-'));
  mkdirSync(join(project, '.dlt'));
  writeFileSync(
    join(project, '.dlt', 'config.toml'),
    readFileSync(join(ROOT, 'dist', 'dev', 'dlt', 'kronodroid-features', 'dlt-load', 'config.toml')),
  );
  return runPy(
    'dlt-runner',
    [join(IMAGES, 'dlt-runner', 'run_load.py')],
    {
      DLT_PROJECT_DIR: project,
      DLT_DATA_DIR: join(project, 'data'),
      RUNTIME__DLTHUB_TELEMETRY: 'false',
      DESTINATION__FILESYSTEM__BUCKET_URL: `s3://${REPO}/${branch}/warehouse`,
      DESTINATION__FILESYSTEM__CREDENTIALS__AWS_ACCESS_KEY_ID: creds.AWS_ACCESS_KEY_ID,
      DESTINATION__FILESYSTEM__CREDENTIALS__AWS_SECRET_ACCESS_KEY: creds.AWS_SECRET_ACCESS_KEY,
      DFP__S3__ENDPOINT_URL: lakefs.endpoint,
      DFP__SOURCE__BUCKET_URL: `s3://${REPO}/main/landing/kronodroid`,
    },
    project,
  );
}

function commitMerge(branch: string): Ran & { commitId?: string } {
  const out = join(mkdtempSync(join(work, 'cm-')), 'outputs', 'commit_id');
  const r = runPy(
    'lakefs-tools',
    [
      '-m',
      'dfp_tools.lakefs_commit_merge',
      '--repository',
      REPO,
      '--into',
      'main',
      '--branch',
      branch,
      '--commit=true',
      '--commit-id-file',
      out,
    ],
    {
      LAKEFS_ENDPOINT: lakefs.endpoint,
      LAKEFS_ACCESS_KEY_ID: lakefs.credentials.accessKeyId,
      LAKEFS_SECRET_ACCESS_KEY: lakefs.credentials.secretAccessKey,
    },
  );
  return { ...r, commitId: existsSync(out) ? readFileSync(out, 'utf8') : undefined };
}

/** The rendered DataFusion Job (staging): its command, arguments and env, against this test's lakeFS. */
function dataFusion(branch: string): Ran {
  const job = parse(
    readFileSync(join(ROOT, 'dist', 'staging', 'datafusion', 'jobs', 'kronodroid-iceberg.yaml'), 'utf8'),
  );
  const c = job.spec.template.spec.containers[0];
  const env: Record<string, string> = {};
  for (const e of c.env as { name: string; value?: string }[])
    env[e.name] = e.value ?? creds[e.name as keyof typeof creds];
  env.AWS_ENDPOINT_URL = lakefs.endpoint;
  return runPy(
    'kronodroid-datafusion',
    [
      join(IMAGES, 'kronodroid-datafusion', 'kronodroid_iceberg_job.py'),
      ...c.args,
      '--branch',
      branch,
      '--enabled',
      'true',
    ],
    env,
  );
}

/** spark-submit of the Spark job: the rendered SparkApplication's (dev) sparkConf, hadoopConf, packages; local[2]. */
function sparkJob(branch: string): Ran {
  const app = parse(
    readFileSync(join(ROOT, 'dist', 'dev', 'spark', 'applications', 'kronodroid-iceberg.yaml'), 'utf8'),
  );
  const venv = join(IMAGES, 'kronodroid-spark', '.venv');
  const conf: Record<string, string> = {
    ...app.spec.sparkConf,
    'spark.jars.ivy': IVY,
    'spark.ui.enabled': 'false',
    'spark.sql.shuffle.partitions': '2',
    'spark.driver.memory': '1g',
  };
  for (const [k, v] of Object.entries(app.spec.hadoopConf as Record<string, string>))
    conf[`spark.hadoop.${k}`] = k === 'fs.s3a.endpoint' ? lakefs.endpoint : v;
  const started = Date.now();
  const r = spawnSync(
    join(venv, 'bin', 'spark-submit'),
    [
      '--master',
      'local[2]',
      '--packages',
      app.metadata.annotations['dfp.dev/spark-packages'],
      ...Object.entries(conf).flatMap(([k, v]) => ['--conf', `${k}=${v}`]),
      join(IMAGES, 'kronodroid-spark', 'kronodroid_iceberg_job.py'),
      ...app.spec.arguments,
      '--branch',
      branch,
      '--enabled',
      'true',
    ],
    {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 1_200_000,
      maxBuffer: 512 * 1024 * 1024,
      env: {
        PATH: `${join(venv, 'bin')}:${process.env.PATH}`,
        HOME: process.env.HOME ?? '/root',
        TZ: 'UTC',
        SPARK_HOME: join(venv, 'lib', 'python3.11', 'site-packages', 'pyspark'),
        PYSPARK_PYTHON: join(venv, 'bin', 'python'),
        PYTHONPATH: join(IMAGES, 'dfp_tools'),
        ...creds,
      },
    },
  );
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', seconds: (Date.now() - started) / 1000 };
}

/** Every file the current snapshots of main's tables reference, read with pyiceberg. */
function referencedFiles(ref: string): Record<string, { location: string; files: string[] }> {
  const r = runPy(
    'kronodroid-datafusion',
    [join(IMAGES, 'kronodroid-datafusion', 'tests', 'referenced_files.py'), `s3://${REPO}/${ref}/warehouse`],
    { ...creds, AWS_ENDPOINT_URL: lakefs.endpoint, AWS_REQUEST_CHECKSUM_CALCULATION: 'when_required' },
  );
  expect(r.status, r.stderr.slice(-3000)).toBe(0);
  return json(r);
}

/** Every object of a ref under warehouse/, with its checksum (a branch's list includes its uncommitted objects). */
async function listing(ref: string): Promise<Record<string, string>> {
  return Object.fromEntries(
    (await lakefs.client.listObjects(REPO, ref, 'warehouse/')).map((o) => [o.path, `${o.checksum}/${o.size}`]),
  );
}

beforeAll(async () => {
  lakefs = await startLakeFs();
  work = mkdtempSync(join(tmpdir(), 'dfp-kronodroid-branches-'));
  creds = {
    AWS_ACCESS_KEY_ID: lakefs.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: lakefs.credentials.secretAccessKey,
  };
  await lakefs.client.createRepository(REPO, `local://${REPO}`);
  const gen = runPy('lakefs-tools', [
    '-m',
    'dfp_tools.kronodroid_synthetic',
    '--out',
    join(work, 'landing'),
    '--samples',
    String(SAMPLES),
    '--seed',
    '11',
  ]);
  expect(gen.status, gen.stderr).toBe(0);
  for (const f of readdirSync(join(work, 'landing')))
    await lakefs.client.upload(REPO, 'main', `landing/kronodroid/${f}`, readFileSync(join(work, 'landing', f)));
  await lakefs.client.commit(REPO, 'main', 'synthetic KronoDroid landing files');
  await lakefs.client.createBranch(REPO, 'load', 'main');
  const load = dltLoad('load');
  expect(load.status, load.stderr.slice(-3000)).toBe(0);
  expect(commitMerge('load').status).toBe(0);
}, 900_000);

afterAll(async () => {
  await lakefs?.stop();
});

describe('the DataFusion job run again on another branch of the same main', () => {
  it(
    'writes every file under its own branch, moves the table location there, and main after the merge ' +
      'references only objects its commit holds',
    async () => {
      await lakefs.client.createBranch(REPO, 'a', 'main');
      const first = dataFusion('a');
      expect(first.status, first.stderr.slice(-3000)).toBe(0);
      expect(commitMerge('a').status).toBe(0);

      await lakefs.client.createBranch(REPO, 'b', 'main');
      const before = { main: await listing('main'), a: await listing('a'), load: await listing('load') };
      const bBefore = await listing('b');
      const second = dataFusion('b');
      expect(second.status, second.stderr.slice(-3000)).toBe(0);
      const out = json(second);
      // Nothing outside b changed during the second run: every other branch lists what it did.
      expect({ main: await listing('main'), a: await listing('a'), load: await listing('load') }).toEqual(before);
      const bAfter = await listing('b');
      const written = Object.keys(bAfter).filter((p) => bAfter[p] !== bBefore[p]);
      expect(written.length).toBeGreaterThan(0);

      const merged = commitMerge('b');
      expect(merged.status, merged.stderr).toBe(0);
      const main = merged.commitId!;
      expect(main).toBe(await lakefs.client.resolveBranch(REPO, 'main'));

      // main's tables, as pyiceberg reads them: every file the current snapshot references.
      const tables = referencedFiles(main);
      const atMain = await listing(main);
      let count = 0;
      for (const [table, t] of Object.entries(tables)) {
        const [ns, name] = table.split('.');
        expect(t.location, table).toBe(`s3://${REPO}/b/warehouse/${ns}/${name}`);
        expect(t.files.length, table).toBeGreaterThan(2);
        for (const f of t.files) {
          // Written by the second run, on b, and held by main's commit (the key inside the ref).
          expect(f.startsWith(`s3://${REPO}/b/warehouse/`), `${table}: ${f}`).toBe(true);
          const key = f.slice(`s3://${REPO}/b/`.length);
          expect(atMain[key], `${table}: ${key} is not in main's commit ${main.slice(0, 12)}`).toBeDefined();
          expect(written, `${table}: ${key}`).toContain(key);
          count++;
        }
      }
      const versions = Object.entries(out.tables).map(([k, v]) => `${k} v${(v as { version: number }).version}`);
      console.log(
        `DataFusion job on a ${first.seconds.toFixed(1)} s, on b ${second.seconds.toFixed(1)} s ` +
          `(${versions.join(', ')}); ${written.length} objects written on b, ${count} files main's tables ` +
          `reference, all in main ${main.slice(0, 12)}`,
      );
    },
    1_800_000,
  );

  it(
    'Spark on a further branch: the table location stays where it was (a Hadoop table cannot be relocated), ' +
      'but every file the run writes is on its branch and main after the merge holds every file it references',
    async () => {
      await lakefs.client.createBranch(REPO, 'c', 'main');
      const others = async () => ({ main: await listing('main'), a: await listing('a'), b: await listing('b') });
      const before = await others();
      const cBefore = await listing('c');
      const sp = sparkJob('c');
      expect(sp.status, sp.stdout.slice(-4000) + sp.stderr.slice(-4000)).toBe(0);
      expect(await others()).toEqual(before);
      const cAfter = await listing('c');
      const written = Object.keys(cAfter).filter((p) => cAfter[p] !== cBefore[p]);

      const merged = commitMerge('c');
      expect(merged.status, merged.stderr).toBe(0);
      const main = merged.commitId!;
      const tables = referencedFiles(main);
      const atMain = await listing(main);
      let count = 0;
      for (const [table, t] of Object.entries(tables)) {
        // The DataFusion run on b moved the tables there; Spark's replace keeps the location.
        expect(t.location, table).toMatch(new RegExp(`^s3a?://${REPO}/b/warehouse/`));
        expect(t.files.length, table).toBeGreaterThan(2);
        for (const f of t.files) {
          const m = /^s3a?:\/\/[^/]+\/([^/]+)\/(.*)$/.exec(f);
          expect(m?.[1], `${table}: ${f}`).toBe('c');
          expect(atMain[m![2]!], `${table}: ${f} is not in main's commit ${main.slice(0, 12)}`).toBeDefined();
          expect(written, `${table}: ${f}`).toContain(m![2]!);
          count++;
        }
      }
      console.log(
        `Spark job on c ${sp.seconds.toFixed(1)} s (local[2], JVM start included); ${written.length} objects ` +
          `written on c, ${count} files main's tables reference, all in main ${main.slice(0, 12)}`,
      );
    },
    1_800_000,
  );
});
