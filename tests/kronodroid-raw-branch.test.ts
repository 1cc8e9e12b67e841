/**
 * The dlt load of kronodroid-features on a branch of a `main` that already holds the raw table,
 * for real (a real lakeFS; dlt's load, dfp_tools.lakefs_commit_merge and the DataFusion job in
 * their uv-locked venvs), as `make e2e` runs it after other suites:
 *
 *   landing (seed 7) on main → dlt load on `run1` → merge into main → branch `b` from main →
 *   b's own landing (seed 11, the same file names) → dlt load on b → the DataFusion job on b.
 *
 * The raw table main holds records `run1` in its Iceberg `location`, and pyiceberg writes new
 * files under the location: the load on b wrote b's rows onto run1 (uncommitted) and left b's
 * table at main's snapshot, so the transform on b read the 348 rows of seed 7, not b's 334
 * (the Spark e2e failure `raw_rows` 348 ≠ 334). The load must write b's rows on b: nothing
 * outside b changes, b's current raw metadata (dlt's rule, the transform's too) is at b's
 * location and holds b's rows, the transform reads them, and after the merge main's raw table
 * references only files main's commit holds.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startLakeFs, type LakeFsServer } from './support/lakefs.ts';
import { ROOT } from './support/process.ts';

const IMAGES = join(ROOT, 'images');
const REPO = 'kronodroid';
const TABLE = 'warehouse/raw_kronodroid/samples';

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
      DFP__SOURCE__BUCKET_URL: `s3://${REPO}/${branch}/landing/kronodroid`,
    },
    project,
  );
}

async function landing(branch: string, seed: number, samples: number): Promise<number> {
  const dir = join(work, `landing-${seed}`);
  const gen = runPy('lakefs-tools', [
    '-m',
    'dfp_tools.kronodroid_synthetic',
    '--out',
    dir,
    '--samples',
    String(samples),
    '--seed',
    String(seed),
  ]);
  expect(gen.status, gen.stderr).toBe(0);
  for (const f of readdirSync(dir))
    await lakefs.client.upload(REPO, branch, `landing/kronodroid/${f}`, readFileSync(join(dir, f)));
  const files = (json(gen) as { files: Record<string, number> }).files;
  return Object.values(files).reduce((a, b) => a + b, 0);
}

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

beforeAll(async () => {
  lakefs = await startLakeFs();
  work = mkdtempSync(join(tmpdir(), 'dfp-raw-branch-'));
  creds = {
    AWS_ACCESS_KEY_ID: lakefs.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: lakefs.credentials.secretAccessKey,
  };
  await lakefs.client.createRepository(REPO, `local://${REPO}`);
}, 900_000);

afterAll(async () => {
  await lakefs?.stop();
});

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

/** Every object of a ref under warehouse/, with its checksum (a branch's list includes its uncommitted objects). */
async function listing(ref: string): Promise<Record<string, string>> {
  return Object.fromEntries(
    (await lakefs.client.listObjects(REPO, ref, 'warehouse/')).map((o) => [o.path, `${o.checksum}/${o.size}`]),
  );
}

interface RawTable {
  metadata: string;
  location: string;
  rows: number;
  files: string[];
}

/** The raw table at `ref` as the transforms read it: its metadata file by newest_dlt_metadata, read with pyiceberg. */
async function rawTable(ref: string): Promise<RawTable> {
  const names = (await lakefs.client.listObjects(REPO, ref, `${TABLE}/metadata/`)).map((o) => o.path.split('/').pop()!);
  const script = [
    'import json, sys',
    'from pyiceberg.table import StaticTable',
    'from dfp_tools.kronodroid import newest_dlt_metadata',
    'url, names, endpoint, key, secret = sys.argv[1:6]',
    'props = {"s3.endpoint": endpoint, "s3.access-key-id": key, "s3.secret-access-key": secret,',
    '         "s3.region": "us-east-1"}',
    'name = newest_dlt_metadata(names.split(","))',
    't = StaticTable.from_metadata(f"{url}/{name}", properties=props)',
    's = t.current_snapshot()',
    'ms = s.manifests(t.io)',
    'files = [s.manifest_list] + [m.manifest_path for m in ms]',
    'for m in ms: files += [e.data_file.file_path for e in m.fetch_manifest_entry(t.io, discard_deleted=True)]',
    'rows = t.scan().to_arrow().num_rows',
    'print(json.dumps({"metadata": name, "location": t.metadata.location, "rows": rows, "files": files}))',
  ].join('\n');
  const r = runPy(
    'dlt-runner',
    [
      '-c',
      script,
      `s3://${REPO}/${ref}/${TABLE}/metadata`,
      names.join(','),
      lakefs.endpoint,
      creds.AWS_ACCESS_KEY_ID,
      creds.AWS_SECRET_ACCESS_KEY,
    ],
    { AWS_REQUEST_CHECKSUM_CALCULATION: 'when_required', AWS_RESPONSE_CHECKSUM_VALIDATION: 'when_required' },
  );
  expect(r.status, r.stderr.slice(-3000)).toBe(0);
  return json(r) as RawTable;
}

describe('the dlt load on a branch of a main that holds the raw table', () => {
  it("writes the branch's rows on the branch, and the transform on the branch reads them, not main's", async () => {
    const seed7 = await landing('main', 7, 240);
    await lakefs.client.commit(REPO, 'main', 'landing, seed 7');
    await lakefs.client.createBranch(REPO, 'run1', 'main');
    const first = dltLoad('run1');
    expect(first.status, first.stderr.slice(-3000)).toBe(0);
    expect(commitMerge('run1').status).toBe(0);
    const atMain = await rawTable('main');
    expect(atMain.rows).toBe(seed7);

    await lakefs.client.createBranch(REPO, 'b', 'main');
    const seed11 = await landing('b', 11, 240);
    expect(seed11).not.toBe(seed7);
    const before = { main: await listing('main'), run1: await listing('run1') };
    const second = dltLoad('b');
    expect(second.status, second.stderr.slice(-3000)).toBe(0);
    // Nothing outside b changed: the rows of b's load are on b. (Soft, as the next: the checks
    // after them say what the transform then reads.)
    expect.soft({ main: await listing('main'), run1: await listing('run1') }).toEqual(before);

    const onB = await rawTable('b');
    expect.soft(onB.location).toBe(`s3://${REPO}/b/${TABLE}`);
    expect.soft(onB.rows).toBe(seed11);
    for (const f of onB.files) expect.soft(f.startsWith(`s3://${REPO}/b/${TABLE}/`), f).toBe(true);

    const df = dataFusion('b');
    expect(df.status, df.stderr.slice(-3000)).toBe(0);
    expect(json(df).raw_rows).toBe(seed11);

    // After the merge, main's raw table is b's, and its commit holds every file it references.
    const merged = commitMerge('b');
    expect(merged.status, merged.stderr).toBe(0);
    const main = await rawTable('main');
    expect(main.rows).toBe(seed11);
    const committed = await listing('main');
    for (const f of main.files) expect(committed[f.slice(`s3://${REPO}/b/`.length)], f).toBeDefined();
    console.log(
      `raw table on b: ${onB.metadata} (${onB.rows} rows, seed 11; main had ${atMain.metadata}, ${atMain.rows} rows, ` +
        `seed 7); dlt load on run1 ${first.seconds.toFixed(1)} s, on b ${second.seconds.toFixed(1)} s; ` +
        `DataFusion on b read ${json(df).raw_rows} rows`,
    );
  }, 1_800_000);
});
