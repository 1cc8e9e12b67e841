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
      const r = runPy(
        'kronodroid-datafusion',
        [join(IMAGES, 'kronodroid-datafusion', 'tests', 'referenced_files.py'), `s3://${REPO}/${main}/warehouse`],
        { ...creds, AWS_ENDPOINT_URL: lakefs.endpoint, AWS_REQUEST_CHECKSUM_CALCULATION: 'when_required' },
      );
      expect(r.status, r.stderr.slice(-3000)).toBe(0);
      const tables = json(r) as Record<string, { location: string; files: string[] }>;
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
});
