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
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KronodroidLake, REPO, json, runPy } from './support/kronodroid-lake.ts';

const TABLE = 'warehouse/raw_kronodroid/samples';

let lake: KronodroidLake;
const landed = (branch: string) => `s3://${REPO}/${branch}/landing/kronodroid`;

/** Synthetic landing files (seed, samples) uploaded to `branch`, as the exports land; their CSV rows. */
async function landing(branch: string, seed: number, samples: number): Promise<number> {
  const dir = join(lake.work, `landing-${seed}`);
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
    await lake.lakefs.client.upload(REPO, branch, `landing/kronodroid/${f}`, readFileSync(join(dir, f)));
  const files = (json(gen) as { files: Record<string, number> }).files;
  return Object.values(files).reduce((a, b) => a + b, 0);
}

beforeAll(async () => {
  // main holds the seed-7 landing files, committed.
  lake = await KronodroidLake.start({ samples: 240, seed: 7, workPrefix: 'dfp-raw-branch-' });
}, 900_000);

afterAll(async () => {
  await lake?.stop();
});

/** Every object of a ref under warehouse/, with its checksum (a branch's list includes its uncommitted objects). */
async function listing(ref: string): Promise<Record<string, string>> {
  return Object.fromEntries(
    (await lake.lakefs.client.listObjects(REPO, ref, 'warehouse/')).map((o) => [o.path, `${o.checksum}/${o.size}`]),
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
  const names = (await lake.lakefs.client.listObjects(REPO, ref, `${TABLE}/metadata/`)).map((o) =>
    o.path.split('/').pop()!,
  );
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
      lake.lakefs.endpoint,
      lake.creds.AWS_ACCESS_KEY_ID,
      lake.creds.AWS_SECRET_ACCESS_KEY,
    ],
    { AWS_REQUEST_CHECKSUM_CALCULATION: 'when_required', AWS_RESPONSE_CHECKSUM_VALIDATION: 'when_required' },
  );
  expect(r.status, r.stderr.slice(-3000)).toBe(0);
  return json(r) as RawTable;
}

describe('the dlt load on a branch of a main that holds the raw table', () => {
  it("writes the branch's rows on the branch, and the transform on the branch reads them, not main's", async () => {
    const seed7 = lake.csvRows;
    await lake.lakefs.client.createBranch(REPO, 'run1', 'main');
    const first = lake.dltLoad('run1', landed('run1'));
    expect(first.status, first.stderr.slice(-3000)).toBe(0);
    expect(lake.commitMerge(['--branch', 'run1', '--commit=true']).status).toBe(0);
    const atMain = await rawTable('main');
    expect(atMain.rows).toBe(seed7);

    await lake.lakefs.client.createBranch(REPO, 'b', 'main');
    const seed11 = await landing('b', 11, 240);
    expect(seed11).not.toBe(seed7);
    const before = { main: await listing('main'), run1: await listing('run1') };
    const second = lake.dltLoad('b', landed('b'));
    expect(second.status, second.stderr.slice(-3000)).toBe(0);
    // Nothing outside b changed: the rows of b's load are on b. (Soft, as the next: the checks
    // after them say what the transform then reads.)
    expect.soft({ main: await listing('main'), run1: await listing('run1') }).toEqual(before);

    const onB = await rawTable('b');
    expect.soft(onB.location).toBe(`s3://${REPO}/b/${TABLE}`);
    expect.soft(onB.rows).toBe(seed11);
    for (const f of onB.files) expect.soft(f.startsWith(`s3://${REPO}/b/${TABLE}/`), f).toBe(true);

    const df = lake.dataFusion(['--branch', 'b', '--enabled', 'true']);
    expect(df.status, df.stderr.slice(-3000)).toBe(0);
    expect(json(df).raw_rows).toBe(seed11);

    // After the merge, main's raw table is b's, and its commit holds every file it references.
    const merged = lake.commitMerge(['--branch', 'b', '--commit=true']);
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
