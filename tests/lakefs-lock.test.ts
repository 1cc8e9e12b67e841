/**
 * `dfp lock` against a real lakeFS (built by scripts/lakefs-build.sh, started on
 * 127.0.0.1 by tests/support/lakefs.ts), and synth reading only the lock: the pinned
 * commit is the one the server reports, it reaches the training step's LAKEFS_REF in
 * every orchestrator's output, and every failure leaves dfp.lock.json byte for byte as it was.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { formatLock, readLock } from '../constructs/model/lock-file.ts';
import { readTree } from '../synth/writer.ts';
import { startLakeFs, type LakeFsServer } from './support/lakefs.ts';
import { ENV_READERS } from './support/lineage-readers.ts';
import { projectCopy, runTsx, type Run } from './support/process.ts';

const REPO = 'kronodroid';
let server: LakeFsServer;

/** Puts one object on `branch` and commits it; returns the commit id lakeFS gives. */
async function commitOn(branch: string, path: string, content: string): Promise<string> {
  await server.client.upload(REPO, branch, path, content);
  return (await server.client.commit(REPO, branch, `dfp test: ${path}`)).id;
}

/** The branch head as the server reports it now. */
const head = async (branch: string, repo = REPO) => (await server.client.getBranch(repo, branch)).commit_id;

beforeAll(async () => {
  server = await startLakeFs();
  await server.client.createRepository(REPO, `local://${REPO}`, 'main');
  await commitOn('main', 'warehouse/kronodroid/fct_training_dataset/data/part-00000.avro', 'rows, first load');
  await server.client.createTag(REPO, 'first-load', 'main');
  await server.client.createBranch(REPO, 'refresh', 'main');
  await commitOn('refresh', 'warehouse/kronodroid/fct_training_dataset/data/part-00001.avro', 'rows, refresh');
}, 45 * 60_000);

afterAll(async () => {
  await server?.stop();
});

/** `dfp lock` in `dir` with the server's endpoint and the admin's keys, unless overridden. */
function lock(dir: string, args: string[] = [], env: Record<string, string> = {}): Run {
  return runTsx('dfp.ts', {
    cwd: dir,
    args: ['lock', ...args],
    env: {
      LAKEFS_ENDPOINT: server.endpoint,
      LAKEFS_ACCESS_KEY_ID: server.credentials.accessKeyId,
      LAKEFS_SECRET_ACCESS_KEY: server.credentials.secretAccessKey,
      ...env,
    },
  });
}

/**
 * A project copy whose app also reads `repository@branch` (or a tag, `{ tag: name }`)
 * through one more table, so a test can have a second ref, or one lakeFS does not know.
 */
function copyReading(repository: string, ref: string | { tag: string }): string {
  const dir = projectCopy();
  const main = join(dir, 'main.ts');
  const name = typeof ref === 'string' ? ref : ref.tag;
  const refProp = typeof ref === 'string' ? `{ branch: '${name}' }` : `{ tag: '${name}' }`;
  const table =
    `new IcebergTable(app, 'probe_${name.replace(/-/g, '_')}', { namespace: 'probe', lakefsRepository: '` +
    `${repository}', ref: ${refProp}, fields: { id: 'string', ts: 'timestamp' }, timestampField: 'ts' });`;
  const text = readFileSync(main, 'utf8')
    .replace(
      "import { DfpApp, type DfpAppProps } from './app/dfp-app.ts';",
      "import { DfpApp, type DfpAppProps } from './app/dfp-app.ts';\nimport { IcebergTable } from " +
        "'./constructs/index.ts';",
    )
    .replace('  kronodroidBenchmark(app);\n', `  kronodroidBenchmark(app);\n  ${table}\n`);
  expect(text).toContain(table);
  writeFileSync(main, text);
  return dir;
}

/** Expects a failed lock: non-zero, one clear message, no stack trace, the lock file's bytes unchanged. */
function expectRefused(dir: string, before: string, r: Run, message: RegExp): void {
  expect(r.status, r.stdout + r.stderr).not.toBe(0);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).toContain('dfp.lock.json was left unchanged.');
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(readFileSync(join(dir, 'dfp.lock.json'), 'utf8')).toBe(before);
}

describe('dfp lock against a real lakeFS', () => {
  it("pins kronodroid@main to the server's commit, in canonical form; drops pins nothing reads", async () => {
    const dir = projectCopy();
    writeFileSync(
      join(dir, 'dfp.lock.json'),
      formatLock({ version: 1, refs: { 'retired-repo@main': { commit: 'c'.repeat(64) } } }),
    );
    const r = lock(dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('retired-repo@main removed (no table reads it)');
    const text = readFileSync(join(dir, 'dfp.lock.json'), 'utf8');
    expect(readLock(join(dir, 'dfp.lock.json'))).toEqual({
      version: 1,
      refs: { 'kronodroid@main': { commit: await head('main') } },
    });
    expect(text).toBe(formatLock(JSON.parse(text)));
    expect(r.stdout).toContain(`kronodroid@main -> ${await head('main')}`);
    // Locking again against unchanged data rewrites nothing.
    const again = lock(dir);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain('kept');
    expect(readFileSync(join(dir, 'dfp.lock.json'), 'utf8')).toBe(text);
  });

  it("renders the locked commit as the training step's LAKEFS_REF in Argo, Kubeflow and Airflow output", async () => {
    const dir = projectCopy();
    expect(lock(dir).status).toBe(0);
    const commit = await head('main');
    const synth = runTsx('dfp.ts', { cwd: dir, args: ['synth'] });
    expect(synth.status, synth.stderr).toBe(0);
    const dist = readTree(join(dir, 'dist'));
    // The committed environments render Kubeflow (dev), Airflow (prod) and Argo (staging).
    const under = (prefix: string) =>
      new Map([...dist].filter(([p]) => p.startsWith(prefix)).map(([p, c]) => [p.slice(prefix.length), c]));
    const refs = {
      argo: ENV_READERS.argo!(under('staging/argo/'), 'kronodroid-autoencoder', 'train').LAKEFS_REF,
      kubeflow: ENV_READERS.kubeflow!(under('dev/kubeflow/'), 'kronodroid-autoencoder', 'train').LAKEFS_REF,
      airflow: ENV_READERS.airflow!(under('prod/airflow/'), 'kronodroid-autoencoder', 'train').LAKEFS_REF,
    };
    expect(refs).toEqual({ argo: commit, kubeflow: commit, airflow: commit });
    // Feast reads the table at the same commit.
    const feast = parse(dist.get('dev/feast/dfp_dev/feature_store.yaml')!);
    expect(feast.offline_store.spark_conf['spark.sql.catalog.lakefs.warehouse']).toBe(
      `s3a://kronodroid/${commit}/warehouse`,
    );
  });

  it('--update re-pins only the ref it names', async () => {
    const dir = copyReading(REPO, 'refresh');
    expect(lock(dir).status).toBe(0);
    const first = readLock(join(dir, 'dfp.lock.json'));
    expect(Object.keys(first.refs)).toEqual(['kronodroid@main', 'kronodroid@refresh']);

    // Both branches move; only main is asked for.
    const newMain = await commitOn(
      'main',
      'warehouse/kronodroid/fct_training_dataset/data/part-00002.avro',
      'rows, second load',
    );
    await commitOn('refresh', 'warehouse/kronodroid/fct_training_dataset/data/part-00003.avro', 'rows, second refresh');
    const r = lock(dir, ['--update', 'kronodroid@main']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`was ${first.refs['kronodroid@main']!.commit}`);
    expect(readLock(join(dir, 'dfp.lock.json')).refs).toEqual({
      'kronodroid@main': { commit: newMain },
      'kronodroid@refresh': first.refs['kronodroid@refresh'],
    });
    expect(newMain).not.toBe(first.refs['kronodroid@main']!.commit);

    // A tag is pinned like a branch, to the commit the server says it names.
    const tagged = copyReading(REPO, { tag: 'first-load' });
    expect(lock(tagged).status).toBe(0);
    expect(readLock(join(tagged, 'dfp.lock.json')).refs['kronodroid@first-load']).toEqual({
      commit: (await server.client.getTag(REPO, 'first-load')).commit_id,
    });

    const unknown = lock(dir, ['--update', 'kronodroid@nope']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(
      /no table reads 'kronodroid@nope'; the definitions read kronodroid@main, kronodroid@refresh/,
    );
  });
});

describe('dfp lock refuses, and leaves the lock file as it was', () => {
  let dir: string;
  let before: string;
  beforeAll(() => {
    dir = projectCopy();
    expect(lock(dir).status).toBe(0);
    before = readFileSync(join(dir, 'dfp.lock.json'), 'utf8');
  });

  it('bad credentials', () => {
    const r = lock(dir, [], { LAKEFS_SECRET_ACCESS_KEY: 'not-the-secret' });
    expectRefused(dir, before, r, /lakeFS at http:\/\/127\.0\.0\.1:\d+ rejected the credentials \(401/);
    expect(r.status).toBe(4);
  });

  it('an unknown repository', () => {
    const other = copyReading('no-such-repo', 'main');
    const text = readFileSync(join(other, 'dfp.lock.json'), 'utf8');
    expectRefused(other, text, lock(other), /has no repository 'no-such-repo'/);
  });

  it('an unknown tag', () => {
    const other = copyReading(REPO, { tag: 'no-such-tag' });
    const text = readFileSync(join(other, 'dfp.lock.json'), 'utf8');
    expectRefused(
      other,
      text,
      lock(other),
      /lakeFS repository 'kronodroid' at http:\/\/127\.0\.0\.1:\d+ has no tag 'no-such-tag'/,
    );
  });

  it('an unknown branch', () => {
    const other = copyReading(REPO, 'no-such-branch');
    const text = readFileSync(join(other, 'dfp.lock.json'), 'utf8');
    expectRefused(
      other,
      text,
      lock(other),
      /lakeFS repository 'kronodroid' at http:\/\/127\.0\.0\.1:\d+ has no branch 'no-such-branch'/,
    );
  });

  it('a server that accepts the connection and never answers (timeout)', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => {
      sockets.push(s);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const r = lock(dir, ['--timeout', '1'], { LAKEFS_ENDPOINT: `http://127.0.0.1:${port}` });
      expectRefused(dir, before, r, /lakeFS at http:\/\/127\.0\.0\.1:\d+ did not answer within 1 s/);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('no credentials at all is a usage error', () => {
    const r = lock(dir, [], { LAKEFS_ACCESS_KEY_ID: '' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/lock needs lakeFS credentials/);
    expect(readFileSync(join(dir, 'dfp.lock.json'), 'utf8')).toBe(before);
  });

  it('the secret access key from --secret-access-key-file, none in the environment, never a flag', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'dfp-secret-')), 'lakefs-secret');
    writeFileSync(file, `${server.credentials.secretAccessKey}\n`);
    const r = lock(dir, ['--secret-access-key-file', file], { LAKEFS_SECRET_ACCESS_KEY: '' });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'dfp.lock.json'), 'utf8')).toBe(before);
    const flag = lock(dir, ['--secret-access-key', server.credentials.secretAccessKey], {
      LAKEFS_SECRET_ACCESS_KEY: '',
    });
    expect(flag.status).toBe(2);
    expect(flag.stderr).not.toContain(server.credentials.secretAccessKey);
  });

  it('the lakeFS server stopped (runs last: it stops the shared server)', async () => {
    await server.stop();
    const r = lock(dir);
    expectRefused(
      dir,
      before,
      r,
      new RegExp(
        `cannot reach lakeFS at ${server.endpoint.replace(/\./g, '\\.')} \\(connection refused\\); is lakeFS ` +
          `running at ${server.endpoint.replace(/\./g, '\\.')}\\?`,
      ),
    );
  });
});

describe('synth reads only the lock', () => {
  it('a ref missing from the lock fails synth at the construct path, and dist/ is unchanged', () => {
    const dir = projectCopy();
    writeFileSync(join(dir, 'dfp.lock.json'), formatLock({ version: 1, refs: {} }));
    const before = readTree(join(dir, 'dist'));
    const r = runTsx('dfp.ts', { cwd: dir, args: ['synth'] });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      / {2}fct_training_dataset: lakeFS ref kronodroid@main is not pinned in dfp\.lock\.json; run 'dfp lock'/,
    );
    expect(r.stderr).toMatch(
      / {2}kronodroid-autoencoder\/train: lineage\.lakefsRef: table 'fct_training_dataset' reads kronodroid@main/,
    );
    expect(r.stderr).toContain('dist/ was left unchanged.');
    expect(readTree(join(dir, 'dist'))).toEqual(before);
  });

  it('a lock file that is not one fails synth with the file named', () => {
    const dir = projectCopy();
    writeFileSync(join(dir, 'dfp.lock.json'), '{"version": 1, "refs": {"kronodroid@main": {"commit": "main"}}}\n');
    const r = runTsx('dfp.ts', { cwd: dir, args: ['synth'] });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /dfp\.lock\.json is not a dfp lock file \(refs\.kronodroid@main\.commit: a commit is 64 lowercase hex digits\)/,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
