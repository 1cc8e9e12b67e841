/**
 * The lineage loop, end to end, against a real lakeFS and a real MLflow on 127.0.0.1:
 * a real Iceberg table (pyiceberg) is committed to lakeFS, `dfp lock` pins it, `dfp synth`
 * renders the Kronodroid training step, a stand-in training script runs with the env of
 * that rendered file and records its lineage with dfp_tools.lineage, new data moves the
 * branch, and `dfp trace` goes from the run id (and from models:/…/1) back to the old
 * data byte for byte and the weights by sha256. Then each way a trace must fail.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LINEAGE_ENV } from '../constructs/index.ts';
import { bindEnvironment } from '../constructs/model/bind-environment.ts';
import { buildModel } from '../constructs/model/build.ts';
import type { Environment } from '../constructs/model/schema.ts';
import { buildApp } from '../main.ts';
import { TARGETS } from '../targets/index.ts';
import type { TraceReport } from '../trace/report.ts';
import { LINEAGE_TAGS } from '../trace/tags.ts';
import { startLakeFs, type LakeFsServer } from './support/lakefs.ts';
import { ENV_READERS, type Env } from './support/lineage-readers.ts';
import { LINEAGE_HARNESS, LINEAGE_PYTHON, startMlflow, type MlflowServer } from './support/mlflow.ts';
import { ROOT, freePort, runTsxAsync, type Run } from './support/process.ts';

const REPO = 'kronodroid';
const TABLE = 'warehouse/kronodroid/fct_training_dataset';
const MODEL = 'kronodroid-autoencoder';
const HELPER_PATH = join(ROOT, 'images', 'dfp_tools');
const work = mkdtempSync(join(tmpdir(), 'dfp-trace-'));
const tableDir = join(work, 'table');
const lockFile = join(work, 'dfp.lock.json');
const distDir = join(work, 'dist');

let lakefs: LakeFsServer;
let mlflow: MlflowServer;
const counts = { traces: 0, controls: 0, refusals: 0 };

function python(script: string, args: string[], env: Record<string, string> = {}, input?: string): string {
  const r = spawnSync(LINEAGE_PYTHON, [join(LINEAGE_HARNESS, script), ...args], {
    encoding: 'utf8',
    input,
    timeout: 300_000,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: work,
      PYTHONPATH: HELPER_PATH,
      MLFLOW_TRACKING_URI: mlflow.trackingUri,
      ...env,
    },
  });
  if (r.status !== 0) throw new Error(`${script} failed (${r.status}): ${r.stderr}`);
  return r.stdout.trim().split('\n').pop()!;
}

/** Appends rows to the local Iceberg table as a new snapshot, uploads what is new, commits. */
const uploaded = new Set<string>();
async function commitTableVersion(
  rows: number,
  seed: number,
  message: string,
): Promise<{ commit: string; snapshot: string }> {
  const { snapshot_id } = JSON.parse(
    python('iceberg_table.py', [tableDir, 'kronodroid', 'fct_training_dataset', String(rows), String(seed)]),
  ) as { snapshot_id: string };
  for (const f of readdirSync(join(tableDir, TABLE), { recursive: true, withFileTypes: true }).filter((e) =>
    e.isFile(),
  )) {
    const rel = relative(tableDir, join(f.parentPath, f.name));
    const bytes = readFileSync(join(tableDir, rel));
    const key = `${rel}:${createHash('sha256').update(bytes).digest('hex')}`;
    if (uploaded.has(key)) continue;
    await lakefs.client.upload(REPO, 'main', rel, new Uint8Array(bytes));
    uploaded.add(key);
  }
  return { commit: (await lakefs.client.commit(REPO, 'main', message)).id, snapshot: snapshot_id };
}

function lakefsEnv(): Record<string, string> {
  return {
    LAKEFS_ENDPOINT: lakefs.endpoint,
    LAKEFS_ACCESS_KEY_ID: lakefs.credentials.accessKeyId,
    LAKEFS_SECRET_ACCESS_KEY: lakefs.credentials.secretAccessKey,
  };
}

function dfp(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return runTsxAsync('dfp.ts', {
    args,
    env: { DFP_LOCK: lockFile, DFP_DIST: distDir, MLFLOW_TRACKING_URI: mlflow.trackingUri, ...lakefsEnv(), ...env },
  });
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function filesOf(dir: string): Map<string, string> {
  return new Map(
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => {
        const path = join(e.parentPath, e.name);
        return [relative(dir, path), sha256(path)];
      }),
  );
}

/** A failure as a person sees it: exit code, one line on stderr, no stack trace, no DIR. */
function expectCleanFailure(r: Run, code: number, message: RegExp, fetchDir?: string): void {
  expect(r.status, r.stderr).toBe(code);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(message);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  if (fetchDir) {
    expect(existsSync(fetchDir)).toBe(false);
    expect(readdirSync(join(fetchDir, '..')).filter((f) => f.includes('dfp-partial'))).toEqual([]);
  }
  counts.controls++;
}

let v1: { commit: string; snapshot: string };
let v1Files: string;
let trainEnv: Env;
/** The training step's image and the digest this test pins it to, as `make images` would. */
const TRAIN_IMAGE = 'registry.dfp.internal/dfp/kronodroid-train:0.3.1';
const TRAIN_DIGEST = `sha256:${'c0'.repeat(32)}`;
let trained: { run_id: string; model_version: string; tags: Record<string, string> };

beforeAll(async () => {
  [lakefs, mlflow] = await Promise.all([startLakeFs(), startMlflow()]);
  await lakefs.client.createRepository(REPO, `local://${REPO}`);
  mkdirSync(tableDir);
  v1 = await commitTableVersion(40, 1, 'kronodroid: first load');
  v1Files = join(work, 'table-at-v1');
  cpSync(join(tableDir, 'warehouse'), join(v1Files, 'warehouse'), { recursive: true });

  // As a data bump is done: pin the branch, render, and take the step from the rendered file.
  // The training image is pinned as `make images` pins it (`dfp lock --images`), and the
  // lakeFS lock that follows keeps that pin.
  writeFileSync(join(work, 'train.digest'), `${TRAIN_IMAGE} ${TRAIN_DIGEST}\n`);
  const images = await dfp(['lock', '--images', join(work, 'train.digest')]);
  expect(images.status, images.stderr).toBe(0);
  const lock = await dfp(['lock']);
  expect(lock.status, lock.stderr).toBe(0);
  const synth = await dfp(['synth']);
  expect(synth.status, synth.stderr).toBe(0);
  const dags = new Map([
    [`dags/${MODEL}.py`, readFileSync(join(distDir, 'prod', 'airflow', 'dags', `${MODEL}.py`), 'utf8')],
  ]);
  trainEnv = ENV_READERS.airflow!(dags, MODEL, 'train');
}, 600_000);

afterAll(async () => {
  await Promise.all([lakefs?.stop(), mlflow?.stop()]);
  console.log(
    `trace: ${counts.traces} traces against real MLflow and lakeFS, ${counts.controls} failure controls, ` +
      `${counts.refusals} helper refusals`,
  );
});

describe('the lineage loop: from a rendered step to MLflow and back', () => {
  it('the rendered training step reads the pinned commit, and the stand-in training records it', () => {
    expect(trainEnv[LINEAGE_ENV.ref]).toBe(v1.commit);
    // The platform's lakeFS is not reachable here: only its address is swapped for the
    // test server's (as a port-forward would); every other stamp is the rendered one.
    expect(trainEnv[LINEAGE_ENV.lakefsEndpoint]).toBe('https://lakefs.platform.example.com');
    const lineageNames = new Set<string>(Object.values(LINEAGE_ENV));
    const stamps = Object.fromEntries(Object.entries(trainEnv).filter(([k]) => lineageNames.has(k)));
    const out = python('train_standin.py', [join(work, 'train'), MODEL], { ...stamps, ...lakefsEnv() });
    trained = JSON.parse(out);
    expect(trained.model_version).toBe('1');
    expect(trained.tags['data.lakefs_ref']).toBe(v1.commit);
    expect(trained.tags['data.iceberg_snapshot_id']).toBe(v1.snapshot);
    expect(trained.tags['dfp.environment']).toBe('prod');
    expect(trained.tags['dfp.definitions_sha256']).toBe(trainEnv[LINEAGE_ENV.definitions]);
    // The store-neutral feature stamps, and the Feast names of the same values.
    expect(trained.tags['features.feature_view']).toBe('kronodroid_autoencoder_features');
    expect(trained.tags['features.defs_sha256']).toMatch(/^[0-9a-f]{64}$/);
    expect(trained.tags['feast.defs_sha256']).toBe(trained.tags['features.defs_sha256']);
    expect(trained.tags['dfp.weights/executorch/model.pte']).toBe(sha256(join(work, 'train', 'model.pte')));
    // The image, by the digest the lock pins: rendered into the step, recorded by the run.
    expect(trainEnv[LINEAGE_ENV.image]).toBe(`${TRAIN_IMAGE}@${TRAIN_DIGEST}`);
    expect(trained.tags['code.image']).toBe(`${TRAIN_IMAGE}@${TRAIN_DIGEST}`);
  });

  it('new data moves the branch; trace --fetch returns the data as it was and the weights', async () => {
    const v2 = await commitTableVersion(25, 2, 'kronodroid: daily refresh');
    expect((await lakefs.client.getBranch(REPO, 'main')).commit_id).toBe(v2.commit);
    expect(v2.commit).not.toBe(v1.commit);

    const dir = join(work, 'fetched-run');
    const r = await dfp(['trace', trained.run_id, '--fetch', dir]);
    expect(r.status, r.stderr).toBe(0);
    counts.traces++;
    console.log(`dfp trace ${trained.run_id} --fetch DIR:\n${r.stdout}${r.stderr}`);
    expect(r.stdout).toContain(`lakeFS:               ${REPO} @ ${v1.commit}`);
    expect(r.stdout).toContain(`snapshot:           ${v1.snapshot}`);
    expect(r.stdout).toContain(`image:                ${TRAIN_IMAGE}@${TRAIN_DIGEST}\n`);
    expect(r.stderr).toMatch(/fetched 1\/\d+ \(/);
    // Byte for byte the files at the old commit, and none of the new snapshot's.
    expect(filesOf(join(dir, 'data'))).toEqual(filesOf(v1Files));
    expect(readFileSync(join(dir, 'data', TABLE, 'metadata', 'version-hint.text'), 'utf8')).toBe('1');
    expect(filesOf(join(dir, 'weights'))).toEqual(
      new Map([
        ['executorch/model.pte', sha256(join(work, 'train', 'model.pte'))],
        ['model/config.json', sha256(join(work, 'train', 'model', 'config.json'))],
        ['model/weights.bin', sha256(join(work, 'train', 'model', 'weights.bin'))],
      ]),
    );
    const report = JSON.parse(readFileSync(join(dir, 'lineage.json'), 'utf8')) as TraceReport;
    expect(report.lakefs.commit).toBe(v1.commit);
    expect(report.table.snapshotId).toBe(v1.snapshot);
    expect(report.image).toEqual({ ref: `${TRAIN_IMAGE}@${TRAIN_DIGEST}`, digest: TRAIN_DIGEST });
    // One digest of the store-neutral definitions: Feast's repos and Chronon's hold it alike.
    expect(report.featureStore?.definitionsSha256).toBe(trained.tags['features.defs_sha256']);
    expect(report.featureStore?.renderedIn).toEqual(
      [
        'dev/feast/dfp_dev/definitions.sha256',
        'prod/feast/dfp_prod/definitions.sha256',
        'staging/chronon/dfp_staging/definitions.sha256',
      ].map((p) => join(distDir, p)),
    );
    // The digest is the same in every environment's rendering of the pipeline.
    expect(report.definitions.renderedIn).toEqual(
      [
        `dev/kubeflow/manifests/${MODEL}.yaml`,
        `dev/kubeflow/pipelines/${MODEL}.yaml`,
        `prod/airflow/dags/${MODEL}.py`,
        `staging/argo/workflow-templates/${MODEL}.yaml`,
      ].map((p) => join(distDir, p)),
    );
    expect(report.metrics).toEqual({ test_loss: 0.25, val_loss: 0.125 });
  }, 300_000);

  it('models:/…/1 traces to the same run, data and weights', async () => {
    const [byRun, byModel] = await Promise.all([
      dfp(['trace', trained.run_id, '--json']),
      dfp(['trace', `models:/${MODEL}/1`, '--json', '--fetch', join(work, 'fetched-model')]),
    ]);
    expect(byModel.status, byModel.stderr).toBe(0);
    counts.traces += 2;
    const a = JSON.parse(byRun.stdout) as TraceReport;
    const { modelVersion, ...b } = JSON.parse(byModel.stdout) as TraceReport;
    expect(modelVersion).toEqual({ name: MODEL, version: '1' });
    expect(b).toEqual(a);
    expect(filesOf(join(work, 'fetched-model', 'data'))).toEqual(filesOf(v1Files));
    expect(filesOf(join(work, 'fetched-model', 'weights'))).toEqual(filesOf(join(work, 'fetched-run', 'weights')));
  }, 300_000);
});

describe('the helper: the same stamps from every orchestrator, and nothing logged half', () => {
  it('the same tags from the Argo, Kubeflow and Airflow renderings of the step; bad stamps refused', async () => {
    const model = buildModel(buildApp({ lockFile }));
    const prod = model.environments.find((e) => e.name === 'prod')!;
    const envs: Record<string, Env> = {};
    for (const orchestrator of ['argo', 'kubeflow', 'airflow'] as const) {
      const env: Environment = { ...prod, orchestrator };
      const files = new Map(
        TARGETS.find((t) => t.name === orchestrator)!
          .render(bindEnvironment(model, env), env)
          .map((f) => [f.path, f.content]),
      );
      const all = ENV_READERS[orchestrator]!(files, MODEL, 'train');
      envs[orchestrator] = {
        ...Object.fromEntries(Object.entries(all).filter(([k]) => k in LINEAGE_TAGS)),
        ...lakefsEnv(),
      };
    }
    const { DATASET_TRAIN_ID: _dropped, ...noTrainId } = envs.airflow!;
    const refuse = {
      'no split id': noTrainId,
      'a branch as LAKEFS_REF': { ...envs.airflow!, LAKEFS_REF: 'main' },
      'a commit lakeFS lacks': { ...envs.airflow!, LAKEFS_REF: 'f'.repeat(64) },
      'no definitions digest': { ...envs.airflow!, DFP_DEFINITIONS_SHA256: '' },
      'a Feast name that disagrees': { ...envs.airflow!, FEAST_DEFS_SHA256: 'f'.repeat(64) },
    };
    const out = JSON.parse(python('helper_checks.py', [], lakefsEnv(), JSON.stringify({ stamps: envs, refuse }))) as {
      contract: [string, string][];
      stamps: Record<string, Record<string, string>>;
      refuse: Record<string, { error: string | null; tags: string[] }>;
    };
    // The helper and dfp trace agree on the contract's names.
    expect(Object.fromEntries(out.contract)).toEqual(LINEAGE_TAGS);
    expect(out.stamps.argo).toEqual(out.stamps.airflow);
    expect(out.stamps.kubeflow).toEqual(out.stamps.airflow);
    const { 'dfp.lakefs_endpoint': _e, ...recorded } = Object.fromEntries(
      Object.entries(trained.tags).filter(([k]) => !k.startsWith('dfp.weights/')),
    );
    const { 'dfp.lakefs_endpoint': _f, ...fromArgo } = out.stamps.argo!;
    expect(fromArgo).toEqual(recorded);
    expect(out.refuse['no split id']!.error).toMatch(/^DATASET_TRAIN_ID is not set, but DATASET_VAL_ID is/);
    expect(out.refuse['a branch as LAKEFS_REF']!.error).toMatch(
      /^LAKEFS_REF is 'main', which is not a 64-hex lakeFS commit id/,
    );
    expect(out.refuse['a commit lakeFS lacks']!.error).toMatch(
      /has no Iceberg table metadata under warehouse\/kronodroid\/fct_training_dataset\/metadata\//,
    );
    expect(out.refuse['no definitions digest']!.error).toMatch(/^DFP_DEFINITIONS_SHA256 is not set/);
    expect(out.refuse['a Feast name that disagrees']!.error).toMatch(
      /^FEATURE_DEFS_SHA256 is '[0-9a-f]{64}' but FEAST_DEFS_SHA256 is 'f{64}'/,
    );
    for (const [name, r] of Object.entries(out.refuse)) expect(r.tags, name).toEqual([]);
    counts.refusals += Object.keys(out.refuse).length;
  }, 300_000);
});

describe('trace: each broken pin or service is one clear line, exit ≠ 0, nothing in DIR', () => {
  async function mlflowPost(path: string, body: unknown): Promise<Record<string, unknown>> {
    const r = await fetch(`${mlflow.trackingUri}/api/2.0/mlflow/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(r.status, await r.clone().text()).toBe(200);
    return (await r.json()) as Record<string, unknown>;
  }
  async function runWithTags(tags: Record<string, string>): Promise<string> {
    const experiment = (
      (await mlflowPost('experiments/create', { name: `controls-${Object.keys(tags).length}-${Date.now()}` })) as {
        experiment_id: string;
      }
    ).experiment_id;
    const run = (
      (await mlflowPost('runs/create', { experiment_id: experiment })) as { run: { info: { run_id: string } } }
    ).run.info.run_id;
    if (Object.keys(tags).length)
      await mlflowPost('runs/log-batch', {
        run_id: run,
        tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
      });
    return run;
  }

  it('a run without lineage tags, a commit lakeFS lacks, MLflow down, lakeFS down, bad credentials', async () => {
    const untagged = await runWithTags({});
    const wrongCommit = await runWithTags({ ...trained.tags, 'data.lakefs_ref': 'e'.repeat(64) });
    const closed = `http://127.0.0.1:${await freePort()}`;
    const dir = (name: string) => join(work, 'control', name);
    mkdirSync(join(work, 'control'));
    const [a, b, c, d, e, f] = await Promise.all([
      dfp(['trace', untagged, '--fetch', dir('untagged')]),
      dfp(['trace', wrongCommit, '--fetch', dir('commit')]),
      dfp(['trace', trained.run_id, '--fetch', dir('mlflow-down'), '--mlflow', closed]),
      dfp(['trace', trained.run_id, '--fetch', dir('lakefs-down'), '--lakefs', closed]),
      dfp(['trace', trained.run_id, '--fetch', dir('credentials')], { LAKEFS_SECRET_ACCESS_KEY: 'not-the-secret' }),
      dfp(['trace', 'models:/no-such-model/3', '--fetch', dir('model')]),
    ]);
    expectCleanFailure(
      a,
      1,
      new RegExp(`run '${untagged}' has no lineage tags .*not recorded with dfp_tools\\.lineage`),
      dir('untagged'),
    );
    expectCleanFailure(
      b,
      1,
      new RegExp(`records lakeFS commit e{64} \\(data\\.lakefs_ref\\), which repository 'kronodroid' .* has no commit`),
      dir('commit'),
    );
    expectCleanFailure(
      c,
      4,
      /cannot reach MLflow at http:\/\/127\.0\.0\.1:\d+ \(connection refused\)/,
      dir('mlflow-down'),
    );
    expectCleanFailure(
      d,
      4,
      /cannot reach lakeFS at http:\/\/127\.0\.0\.1:\d+ \(connection refused\)/,
      dir('lakefs-down'),
    );
    expectCleanFailure(e, 4, /lakeFS at .* rejected the credentials \(401/, dir('credentials'));
    expectCleanFailure(f, 1, /MLflow at .* has no model version models:\/no-such-model\/3/, dir('model'));
  }, 300_000);

  it(
    'servers swapped: MLflow given as lakeFS and lakeFS as MLflow are called what they are (exit 4), also as ' +
      '--json',
    async () => {
      const [asMlflow, asLakefs, json] = await Promise.all([
        dfp(['trace', trained.run_id, '--mlflow', lakefs.endpoint]),
        dfp(['trace', trained.run_id, '--lakefs', mlflow.trackingUri]),
        dfp(['trace', trained.run_id, '--json', '--mlflow', lakefs.endpoint]),
      ]);
      expectCleanFailure(
        asMlflow,
        4,
        /is http:\/\/127\.0\.0\.1:\d+ an MLflow tracking server \(e\.g\. http:\/\/mlflow:5000\)\?$/,
      );
      expectCleanFailure(
        asLakefs,
        4,
        /is http:\/\/127\.0\.0\.1:\d+ a lakeFS server( \(e\.g\. http:\/\/lakefs:8000\))?\?$/,
      );
      for (const r of [asMlflow, asLakefs]) expect(r.stderr).not.toMatch(/<[a-z!]/i); // no HTML printed
      expect(json.status).toBe(4);
      expect(json.stderr).toBe('');
      expect(JSON.parse(json.stdout).error).toMatchObject({ exit: 4, kind: 'service' });
    },
    120_000,
  );

  it('a DIR with files in it is refused before anything is downloaded', async () => {
    const full = join(work, 'not-empty');
    mkdirSync(full);
    writeFileSync(join(full, 'mine.txt'), 'keep me');
    const r = await dfp(['trace', trained.run_id, '--fetch', full]);
    expectCleanFailure(r, 1, /--fetch .*not-empty is not empty; name a new or empty folder/);
    expect(readdirSync(full)).toEqual(['mine.txt']);
  }, 120_000);

  // Last: it changes the run's artifact for good.
  it('a weight file changed after training is caught by its sha256', async () => {
    const stored = readdirSync(mlflow.artifactsDir, { recursive: true, withFileTypes: true }).find(
      (e) => e.isFile() && e.name === 'weights.bin' && join(e.parentPath, e.name).includes(trained.run_id),
    )!;
    const path = join(stored.parentPath, stored.name);
    const bytes = readFileSync(path);
    bytes[100] = bytes[100]! ^ 0xff;
    writeFileSync(path, bytes);
    const dir = join(work, 'fetched-tampered');
    const r = await dfp(['trace', trained.run_id, '--fetch', dir]);
    // Progress lines precede the failure; the failure itself is the last line, alone.
    expect(r.status, r.stderr).toBe(1);
    const last = r.stderr.trim().split('\n').pop()!;
    expect(last).toMatch(
      new RegExp(
        /weights model\/weights\.bin of run '[0-9a-f]+' have /.source +
          /sha256 [0-9a-f]{64}, but the run recorded [0-9a-f]{64}: /.source +
          /the artifact was changed after training/.source,
      ),
    );
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(existsSync(dir)).toBe(false);
    counts.controls++;
  }, 120_000);
});
