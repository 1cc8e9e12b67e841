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
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAGES, KronodroidLake, REPO, json, runPy } from './support/kronodroid-lake.ts';

const SAMPLES = 300;

let lake: KronodroidLake;

/** Every file the current snapshots of main's tables reference, read with pyiceberg. */
function referencedFiles(ref: string): Record<string, { location: string; files: string[] }> {
  const r = runPy(
    'kronodroid-datafusion',
    [join(IMAGES, 'kronodroid-datafusion', 'tests', 'referenced_files.py'), `s3://${REPO}/${ref}/warehouse`],
    { ...lake.creds, AWS_ENDPOINT_URL: lake.lakefs.endpoint, AWS_REQUEST_CHECKSUM_CALCULATION: 'when_required' },
  );
  expect(r.status, r.stderr.slice(-3000)).toBe(0);
  return json(r);
}

/** Every object of a ref under warehouse/, with its checksum (a branch's list includes its uncommitted objects). */
async function listing(ref: string): Promise<Record<string, string>> {
  return Object.fromEntries(
    (await lake.lakefs.client.listObjects(REPO, ref, 'warehouse/')).map((o) => [o.path, `${o.checksum}/${o.size}`]),
  );
}

beforeAll(async () => {
  lake = await KronodroidLake.start({ samples: SAMPLES, seed: 11, workPrefix: 'dfp-kronodroid-branches-' });
  await lake.lakefs.client.createBranch(REPO, 'load', 'main');
  const load = lake.dltLoad('load');
  expect(load.status, load.stderr.slice(-3000)).toBe(0);
  expect(lake.commitMerge(['--branch', 'load', '--commit=true']).status).toBe(0);
}, 900_000);

afterAll(async () => {
  await lake?.stop();
});

describe('the DataFusion job run again on another branch of the same main', () => {
  it(
    'writes every file under its own branch, moves the table location there, and main after the merge ' +
      'references only objects its commit holds',
    async () => {
      await lake.lakefs.client.createBranch(REPO, 'a', 'main');
      const first = lake.dataFusion(['--branch', 'a', '--enabled', 'true']);
      expect(first.status, first.stderr.slice(-3000)).toBe(0);
      expect(lake.commitMerge(['--branch', 'a', '--commit=true']).status).toBe(0);

      await lake.lakefs.client.createBranch(REPO, 'b', 'main');
      const before = { main: await listing('main'), a: await listing('a'), load: await listing('load') };
      const bBefore = await listing('b');
      const second = lake.dataFusion(['--branch', 'b', '--enabled', 'true']);
      expect(second.status, second.stderr.slice(-3000)).toBe(0);
      const out = json(second);
      // Nothing outside b changed during the second run: every other branch lists what it did.
      expect({ main: await listing('main'), a: await listing('a'), load: await listing('load') }).toEqual(before);
      const bAfter = await listing('b');
      const written = Object.keys(bAfter).filter((p) => bAfter[p] !== bBefore[p]);
      expect(written.length).toBeGreaterThan(0);

      const merged = lake.commitMerge(['--branch', 'b', '--commit=true']);
      expect(merged.status, merged.stderr).toBe(0);
      const main = merged.commitId!;
      expect(main).toBe(await lake.lakefs.client.resolveBranch(REPO, 'main'));

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
      await lake.lakefs.client.createBranch(REPO, 'c', 'main');
      const others = async () => ({ main: await listing('main'), a: await listing('a'), b: await listing('b') });
      const before = await others();
      const cBefore = await listing('c');
      const sp = lake.sparkJob(['--branch', 'c', '--enabled', 'true']);
      expect(sp.status, sp.stdout.slice(-4000) + sp.stderr.slice(-4000)).toBe(0);
      expect(await others()).toEqual(before);
      const cAfter = await listing('c');
      const written = Object.keys(cAfter).filter((p) => cAfter[p] !== cBefore[p]);

      const merged = lake.commitMerge(['--branch', 'c', '--commit=true']);
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
