/**
 * The Kronodroid ML steps for real, in their images' locked venvs (images/kronodroid-train,
 * images/executorch-export), with the commands, args and env dfp renders for them
 * (dist/staging/argo/workflow-templates/kronodroid-autoencoder.yaml), against a real lakeFS
 * and a real MLflow on 127.0.0.1:
 *
 * - a synthetic training table (seeded, 2,000 rows, the table's schema) is written with
 *   pyiceberg and committed to lakeFS; only the commit and the servers' addresses differ
 *   from the rendered env;
 * - train: 2 epochs of the Lightning autoencoder on CPU, ONNX and TFLite exports, MLflow
 *   params/metrics, a registered model version with the lineage tags;
 * - export-executorch: the .pte (XNNPACK) runs in the ExecuTorch runtime, the ONNX model in
 *   ONNX Runtime and the TFLite model in LiteRT, each within 1e-4 of PyTorch;
 * - aggregate-metrics joins the training metrics and the runtime results;
 * - torch: both venvs import it with no CUDA device and without the packages left out;
 * - bad input to each program: one line naming the input, exit != 0, nothing logged.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLakeFs, type LakeFsServer } from './support/lakefs.ts';
import { LINEAGE_HARNESS, LINEAGE_PYTHON, startMlflow, type MlflowServer } from './support/mlflow.ts';
import { ROOT, freePort, inParallel, runTsxAsync } from './support/process.ts';

const TRAIN_IMAGE = join(ROOT, 'images', 'kronodroid-train');
const EXPORT_IMAGE = join(ROOT, 'images', 'executorch-export');
const TRAIN_PY = join(TRAIN_IMAGE, '.venv', 'bin', 'python');
const EXPORT_PY = join(EXPORT_IMAGE, '.venv', 'bin', 'python');
const PIPELINE = 'kronodroid-autoencoder';
const RENDERED = join(ROOT, 'dist', 'staging', 'argo', 'workflow-templates', `${PIPELINE}.yaml`);
const REPO = 'kronodroid';
const MODEL = 'kronodroid-autoencoder';
const ROWS = 2000;
const PARAMS: Record<string, string> = { max_epochs: '2', latent_dim: '16', batch_size: '64', max_rows_per_split: '0' };

const work = mkdtempSync(join(tmpdir(), 'dfp-kronodroid-ml-'));
let lakefs: LakeFsServer;
let mlflow: MlflowServer;
const commits: Record<'noTable' | 'good' | 'corruptMetadata' | 'corruptData', string> = {
  noTable: '',
  good: '',
  corruptMetadata: '',
  corruptData: '',
};
let snapshot = '';
let tableRows: Record<string, number> = {};
const numbers: string[] = [];

interface Step {
  command: string[];
  args: string[];
  env: Record<string, string>;
}

/**
 * A step of the rendered WorkflowTemplate: command, args (parameters filled in, /tmp/dfp/ moved into the test's folder)
 * and literal env.
 */
function renderedStep(name: string, dir: string, extra: Record<string, string> = {}): Step {
  const wt = parse(readFileSync(RENDERED, 'utf8'));
  const t = wt.spec.templates.find((x: { name: string }) => x.name === name);
  const fill = (s: string) =>
    s
      .replace(/\{\{inputs\.parameters\.([a-z0-9_]+)\}\}/g, (_m, p: string) => {
        const v = { ...PARAMS, ...extra }[p];
        if (v === undefined) throw new Error(`no test value for parameter ${p} of ${name}`);
        return v;
      })
      .replace(/^\/tmp\/dfp(-outputs)?\//, (_m, out?: string) => `${dir}/${out ? 'outputs/' : ''}`);
  const env = Object.fromEntries(
    (t.container.env as { name: string; value?: string }[])
      .filter((e) => e.value !== undefined)
      .map((e) => [e.name, fill(e.value!)]),
  );
  return { command: t.container.command, args: (t.container.args as string[]).map(fill), env };
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

function runPython(python: string, step: Step, env: Record<string, string>, extraArgs: string[] = []): Promise<Run> {
  expect(step.command.slice(0, 2)).toEqual(['python', '-m']);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(python, [...step.command.slice(1), ...step.args, ...extraArgs], {
      cwd: work,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: work,
        MLFLOW_DISABLE_TELEMETRY: 'true',
        DO_NOT_TRACK: 'true',
        ...step.env,
        ...env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr, seconds: (Date.now() - started) / 1000 }));
  });
}

function lakefsEnv(): Record<string, string> {
  return {
    LAKEFS_ENDPOINT: lakefs.endpoint,
    LAKEFS_ACCESS_KEY_ID: lakefs.credentials.accessKeyId,
    LAKEFS_SECRET_ACCESS_KEY: lakefs.credentials.secretAccessKey,
  };
}

/** fetch, once more on a fresh connection when the server closed a kept-alive one under us. */
async function fetchAgain(url: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (e) {
    if ((e as { cause?: { code?: string } }).cause?.code !== 'UND_ERR_SOCKET') throw e;
    return fetch(url, init);
  }
}

async function mlflowGet(path: string, query: Record<string, string>): Promise<Record<string, unknown>> {
  const r = await fetchAgain(`${mlflow.trackingUri}/api/2.0/mlflow/${path}?${new URLSearchParams(query)}`);
  expect(r.status, await r.clone().text()).toBe(200);
  return (await r.json()) as Record<string, unknown>;
}

async function mlflowPost(path: string, body: unknown): Promise<Record<string, unknown>> {
  const r = await fetchAgain(`${mlflow.trackingUri}/api/2.0/mlflow/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(r.status, await r.clone().text()).toBe(200);
  return (await r.json()) as Record<string, unknown>;
}

type Tags = Record<string, string>;
const asTags = (list: unknown): Tags =>
  Object.fromEntries(((list ?? []) as { key: string; value: string }[]).map((t) => [t.key, t.value]));

/** Every run of every experiment and every model version: what "nothing logged" is checked against. */
async function mlflowState(): Promise<{ runs: string[]; versions: string[]; metrics: number; artifacts: string[] }> {
  const experiments = ((await mlflowPost('experiments/search', { max_results: 1000 })).experiments ?? []) as {
    experiment_id: string;
  }[];
  const runs = experiments.length
    ? (((
        await mlflowPost('runs/search', { experiment_ids: experiments.map((e) => e.experiment_id), max_results: 1000 })
      ).runs ?? []) as { info: { run_id: string }; data: { metrics?: unknown[] } }[])
    : [];
  const versions = ((await mlflowGet('model-versions/search', { max_results: '1000' })).model_versions ?? []) as {
    name: string;
    version: string;
  }[];
  const artifacts: string[] = [];
  for (const r of runs) artifacts.push(...(await listArtifacts(r.info.run_id)).map((a) => `${r.info.run_id}/${a}`));
  return {
    runs: runs.map((r) => r.info.run_id).sort(),
    versions: versions.map((v) => `${v.name}/${v.version}`).sort(),
    metrics: runs.reduce((n, r) => n + (r.data.metrics?.length ?? 0), 0),
    artifacts: artifacts.sort(),
  };
}

async function listArtifacts(runId: string, path = ''): Promise<string[]> {
  const out = await mlflowGet('artifacts/list', { run_id: runId, ...(path ? { path } : {}) });
  const files = (out.files ?? []) as { path: string; is_dir: boolean; file_size?: string }[];
  const all: string[] = [];
  for (const f of files) all.push(...(f.is_dir ? await listArtifacts(runId, f.path) : [f.path]));
  return all;
}

function upload(dir: string, branch: string): Promise<void[]> {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)));
  return inParallel(
    files
      .filter((f) => f.startsWith('warehouse/'))
      .map((f) => () => lakefs.client.upload(REPO, branch, f, new Uint8Array(readFileSync(join(dir, f))))),
    4,
  );
}

function sizeOf(path: string): number {
  const r = spawnSync('du', ['-sb', path], { encoding: 'utf8' });
  return Number(r.stdout.split('\t')[0]);
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

beforeAll(async () => {
  // The images' locked venvs and the harness with MLflow's server and pyiceberg's writer
  // (no-ops when current; a cold machine downloads torch and its CUDA libraries once).
  for (const folder of [TRAIN_IMAGE, EXPORT_IMAGE, LINEAGE_HARNESS]) {
    const r = spawnSync(join(ROOT, 'scripts', 'python-env.sh'), [folder], { encoding: 'utf8', timeout: 40 * 60_000 });
    if (r.status !== 0) throw new Error(`scripts/python-env.sh ${folder} failed: ${r.stderr}`);
  }
  [lakefs, mlflow] = await Promise.all([startLakeFs(), startMlflow()]);
  await lakefs.client.createRepository(REPO, `local://${REPO}`);
  // A commit before the table exists: training must say there is no table there.
  await lakefs.client.upload(REPO, 'main', 'README.md', 'Kronodroid tables, written by the test.\n');
  commits.noTable = (await lakefs.client.commit(REPO, 'main', 'kronodroid: repository created')).id;

  const tableDir = join(work, 'table');
  mkdirSync(tableDir);
  const g = spawnSync(
    LINEAGE_PYTHON,
    [join(LINEAGE_HARNESS, 'kronodroid_training_table.py'), tableDir, String(ROWS), '28'],
    { encoding: 'utf8', timeout: 300_000 },
  );
  if (g.status !== 0) throw new Error(`kronodroid_training_table.py failed: ${g.stderr}`);
  const written = JSON.parse(g.stdout.trim().split('\n').pop()!) as {
    snapshot_id: string;
    rows: Record<string, number>;
  };
  snapshot = written.snapshot_id;
  tableRows = written.rows;
  await upload(tableDir, 'main');
  commits.good = (await lakefs.client.commit(REPO, 'main', 'kronodroid: synthetic training table')).id;

  // Two broken copies of the table on branches: its metadata, and one data file.
  const location = 'warehouse/kronodroid/fct_training_dataset';
  await lakefs.client.createBranch(REPO, 'corrupt-metadata', 'main');
  await lakefs.client.upload(
    REPO,
    'corrupt-metadata',
    `${location}/metadata/v1.metadata.json`,
    '{"format-version": 2, "table-uuid": ',
  );
  commits.corruptMetadata = (await lakefs.client.commit(REPO, 'corrupt-metadata', 'truncated metadata')).id;
  await lakefs.client.createBranch(REPO, 'corrupt-data', 'main');
  const dataFile = readdirSync(join(tableDir, location, 'data'), { recursive: true, withFileTypes: true }).find(
    (e) => e.isFile() && e.parentPath.includes('split=train'),
  )!;
  await lakefs.client.upload(
    REPO,
    'corrupt-data',
    relative(tableDir, join(dataFile.parentPath, dataFile.name)),
    'not a parquet file',
  );
  commits.corruptData = (await lakefs.client.commit(REPO, 'corrupt-data', 'a data file overwritten')).id;
}, 60 * 60_000);

afterAll(async () => {
  await Promise.all([lakefs?.stop(), mlflow?.stop()]);
  console.log(`kronodroid ML steps, measured on this machine:\n${numbers.map((n) => `  ${n}`).join('\n')}`);
});

let runId = '';
let trainDir = '';

describe('the Kronodroid ML steps, run as dfp renders them', () => {
  it(
    'train: 2 epochs on 2,000 synthetic rows read at the commit, exports, MLflow run and a model version with ' +
      'the lineage tags',
    async () => {
      trainDir = join(work, 'train');
      const step = renderedStep('train', trainDir, { mlflow_tracking_uri: '' });
      // Only the commit (this lakeFS's) and the servers' addresses differ from the rendered env.
      expect(step.env.LAKEFS_REF).toMatch(/^[0-9a-f]{64}$/);
      const r = await runPython(TRAIN_PY, step, {
        ...lakefsEnv(),
        LAKEFS_REF: commits.good,
        MLFLOW_TRACKING_URI: mlflow.trackingUri,
      });
      expect(r.status, r.stderr).toBe(0);
      runId = readFileSync(join(trainDir, 'outputs', 'parameters', 'mlflow_run_id'), 'utf8');
      expect(runId).toMatch(/^[0-9a-f]{32}$/);
      const metrics = JSON.parse(readFileSync(join(trainDir, 'outputs', 'artifacts', 'metrics'), 'utf8')) as {
        metrics: Record<string, number>;
        model_bytes: Record<string, number>;
        epochs: unknown[];
      };
      expect(metrics.epochs).toHaveLength(2);
      expect(
        (metrics.metrics.rows_train ?? 0) + (metrics.metrics.rows_val ?? 0) + (metrics.metrics.rows_test ?? 0),
      ).toBe(ROWS);
      expect({
        train: metrics.metrics.rows_train,
        validation: metrics.metrics.rows_val,
        test: metrics.metrics.rows_test,
      }).toEqual(tableRows);
      for (const k of ['train_loss', 'val_loss', 'test_loss']) expect(Number.isFinite(metrics.metrics[k])).toBe(true);

      const model = join(trainDir, 'outputs', 'artifacts', 'model');
      expect(readdirSync(model).sort()).toEqual([
        'config.json',
        'model.onnx',
        'model.pt2',
        'model.tflite',
        'reference_inputs.npy',
      ]);
      expect(readFileSync(join(model, 'model.tflite')).subarray(4, 8).toString()).toBe('TFL3');

      const run = (await mlflowGet('runs/get', { run_id: runId })).run as {
        info: { status: string; experiment_id: string };
        data: { tags: unknown; params: { key: string; value: string }[]; metrics: { key: string }[] };
      };
      expect(run.info.status).toBe('FINISHED');
      const tags = asTags(run.data.tags);
      expect(tags['data.lakefs_repository']).toBe(REPO);
      expect(tags['data.lakefs_ref']).toBe(commits.good);
      expect(tags['data.iceberg_snapshot_id']).toBe(snapshot);
      expect(tags['data.source_table']).toBe('fct_training_dataset');
      for (const k of ['dataset.train_id', 'dataset.val_id', 'dataset.test_id'])
        expect(tags[k]).toBe(step.env[`DATASET_${k.split('.')[1]!.replace('_id', '').toUpperCase()}_ID`]);
      expect(tags['features.defs_sha256']).toBe(step.env.FEATURE_DEFS_SHA256);
      expect(tags['dfp.definitions_sha256']).toBe(step.env.DFP_DEFINITIONS_SHA256);
      expect(tags['dfp.weights/onnx/model.onnx']).toMatch(/^[0-9a-f]{64}$/);
      expect(tags['dfp.weights/tflite/model.tflite']).toMatch(/^[0-9a-f]{64}$/);
      expect(Object.fromEntries(run.data.params.map((p) => [p.key, p.value]))).toMatchObject({
        max_epochs: '2',
        latent_dim: '16',
        batch_size: '64',
        device: 'cpu',
        torch: '2.14.0',
      });
      expect(run.data.metrics.map((m) => m.key)).toEqual(
        expect.arrayContaining(['train_loss', 'val_loss', 'test_loss', 'train_seconds']),
      );
      // Where the Android benchmark fetches them (pipelines/kronodroid-autoencoder.ts).
      expect(await listArtifacts(runId)).toEqual(
        expect.arrayContaining(['onnx/model.onnx', 'tflite/model.tflite', 'model/model.pt2', 'model/config.json']),
      );

      const version = (await mlflowGet('model-versions/get', { name: MODEL, version: '1' })).model_version as {
        run_id: string;
        source: string;
        tags: unknown;
      };
      expect(version.run_id).toBe(runId);
      const versionTags = asTags(version.tags);
      for (const k of [
        'data.lakefs_ref',
        'data.iceberg_snapshot_id',
        'dataset.train_id',
        'dataset.val_id',
        'dataset.test_id',
        'features.feature_view',
        'dfp.pipeline',
      ])
        expect(versionTags[k]).toBe(tags[k]);

      const history = (await mlflowGet('metrics/get-history', { run_id: runId, metric_key: 'val_loss' }))
        .metrics as unknown[];
      expect(history).toHaveLength(2);
      numbers.push(
        `train: ${ROWS} rows (${tableRows.train} train / ${tableRows.validation} val / ${tableRows.test} ` +
          `test), 2 epochs in ${metrics.metrics.train_seconds!.toFixed(1)} s (process ${r.seconds.toFixed(0)} s ` +
          'with imports, read and MLflow); ' +
          (`val_loss ${metrics.metrics.val_loss!.toFixed(4)}, test_loss ${metrics.metrics.test_loss!.toFixed(4)}` +
            `, test AUC ${metrics.metrics.test_auc_reconstruction_error?.toFixed(3)}`),
        `model sizes: model.pt2 ${metrics.model_bytes.model_bytes_pt2} B, model.onnx ` +
          `${metrics.model_bytes.model_bytes_onnx} B, model.tflite ${metrics.model_bytes.model_bytes_tflite} B`,
      );
    },
    20 * 60_000,
  );

  it(
    'export-executorch: the .pte in the ExecuTorch runtime, ONNX Runtime and LiteRT all match PyTorch within ' +
      '1e-4; results and .pte on the run',
    async () => {
      expect(runId).not.toBe('');
      const dir = join(work, 'export');
      cpSync(join(trainDir, 'outputs', 'artifacts', 'model'), join(dir, 'inputs', 'artifacts', 'model'), {
        recursive: true,
      });
      const step = renderedStep('export-executorch', dir, { train_mlflow_run_id: runId, mlflow_tracking_uri: '' });
      const resultsFile = join(dir, 'host-results.json');
      const r = await runPython(EXPORT_PY, step, { MLFLOW_TRACKING_URI: mlflow.trackingUri }, [
        '--results',
        resultsFile,
      ]);
      expect(r.status, r.stderr).toBe(0);
      const pte = join(dir, 'outputs', 'artifacts', 'pte');
      expect(readFileSync(pte).subarray(4, 8).toString()).toBe('ET12');
      const results = JSON.parse(readFileSync(resultsFile, 'utf8')) as {
        format: string;
        executorch: { delegated_subgraphs: number };
        runtimes: Record<
          string,
          { max_abs_diff: number; outputs_compared: number; model_bytes: number; latency_ms: Record<string, number> }
        >;
      };
      expect(results.format).toBe('dfp.runtime-benchmark/v1');
      expect(Object.keys(results.runtimes).sort()).toEqual(['executorch', 'onnxruntime', 'pytorch', 'tflite']);
      // Lowered to XNNPACK, not left on the portable kernels.
      expect(results.executorch.delegated_subgraphs).toBeGreaterThan(0);
      for (const rt of ['executorch', 'onnxruntime', 'tflite']) {
        expect(results.runtimes[rt]!.outputs_compared).toBeGreaterThan(0);
        expect(results.runtimes[rt]!.max_abs_diff).toBeLessThanOrEqual(1e-4);
      }
      expect(await listArtifacts(runId)).toEqual(
        expect.arrayContaining(['executorch/model.pte', 'host-cpu/results.json']),
      );
      const run = (await mlflowGet('runs/get', { run_id: runId })).run as { data: { metrics: { key: string }[] } };
      expect(run.data.metrics.map((m) => m.key)).toEqual(
        expect.arrayContaining([
          'host.executorch.latency_ms_p50',
          'host.onnxruntime.max_abs_diff',
          'host.tflite.latency_ms_p50',
        ]),
      );
      numbers.push(
        `export: .pte ${statSync(pte).size} B (XNNPACK, ${results.executorch.delegated_subgraphs} delegated ` +
          `subgraph(s)); process ${r.seconds.toFixed(0)} s`,
        ...Object.entries(results.runtimes).map(
          ([rt, v]) =>
            `${rt.padEnd(12)} latency p50 ${v.latency_ms.p50!.toFixed(4)} ms, mean ` +
            `${v.latency_ms.mean!.toFixed(4)} ms (batch 1, 1 thread); max |diff| vs PyTorch ` +
            `${v.max_abs_diff.toExponential(2)} over ${v.outputs_compared} outputs; model ${v.model_bytes} B`,
        ),
      );
      writeFileSync(join(work, 'host-results.json'), readFileSync(resultsFile));
    },
    20 * 60_000,
  );

  it(
    'aggregate-metrics: joins the training metrics and the runtime results, logs the summary on the run',
    async () => {
      expect(existsSync(join(work, 'host-results.json'))).toBe(true);
      const dir = join(work, 'aggregate');
      mkdirSync(join(dir, 'inputs', 'artifacts'), { recursive: true });
      cpSync(join(trainDir, 'outputs', 'artifacts', 'metrics'), join(dir, 'inputs', 'artifacts', 'training_metrics'));
      cpSync(join(work, 'host-results.json'), join(dir, 'inputs', 'artifacts', 'benchmark_results'));
      const step = renderedStep('aggregate-metrics', dir, { train_mlflow_run_id: runId, mlflow_tracking_uri: '' });
      const r = await runPython(TRAIN_PY, step, { MLFLOW_TRACKING_URI: mlflow.trackingUri });
      expect(r.status, r.stderr).toBe(0);
      const summary = JSON.parse(readFileSync(join(dir, 'outputs', 'artifacts', 'summary'), 'utf8')) as {
        training: Record<string, number>;
        runtimes: Record<string, { latency_ms_p50: number }>;
        fastest_runtime: string;
      };
      expect(Object.keys(summary.runtimes).sort()).toEqual(['executorch', 'onnxruntime', 'pytorch', 'tflite']);
      expect(summary.training.val_loss).toBeGreaterThan(0);
      expect(await listArtifacts(runId)).toEqual(expect.arrayContaining(['summary/summary']));
      const run = (await mlflowGet('runs/get', { run_id: runId })).run as { data: { metrics: { key: string }[] } };
      expect(run.data.metrics.map((m) => m.key)).toEqual(
        expect.arrayContaining(['summary.training.val_loss', 'summary.executorch.latency_ms_p50']),
      );
    },
    10 * 60_000,
  );

  it(
    'aggregate-metrics: a skipped emulator benchmark (run_android_benchmark=false) is said in the summary and the log',
    async () => {
      const dir = join(work, 'aggregate-skipped');
      mkdirSync(join(dir, 'inputs', 'artifacts'), { recursive: true });
      cpSync(join(trainDir, 'outputs', 'artifacts', 'metrics'), join(dir, 'inputs', 'artifacts', 'training_metrics'));
      // What the emulator step writes with --run-benchmark false (android/README.md).
      writeFileSync(
        join(dir, 'inputs', 'artifacts', 'benchmark_results'),
        JSON.stringify({ skipped: true, reason: '--run-benchmark false' }),
      );
      const step = renderedStep('aggregate-metrics', dir, { train_mlflow_run_id: runId, mlflow_tracking_uri: '' });
      const r = await runPython(TRAIN_PY, step, { MLFLOW_TRACKING_URI: mlflow.trackingUri });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toContain('android benchmark: skipped (--run-benchmark false)');
      const summary = JSON.parse(readFileSync(join(dir, 'outputs', 'artifacts', 'summary'), 'utf8')) as {
        android_benchmark: string;
        runtimes: object;
        training: Record<string, number>;
      };
      expect(summary.android_benchmark).toBe('skipped');
      expect(summary.runtimes).toEqual({});
      expect(summary.training.val_loss).toBeGreaterThan(0);
    },
    10 * 60_000,
  );
});

describe('dfp trace on the trained model', () => {
  it(
    'goes from models:/kronodroid-autoencoder/1 back to the table at the commit and the weights, every ' +
      'checksum matching',
    async () => {
      expect(runId).not.toBe('');
      const dir = join(work, 'traced');
      const r = await runTsxAsync('dfp.ts', {
        args: ['trace', `models:/${MODEL}/1`, '--json', '--fetch', dir],
        env: { MLFLOW_TRACKING_URI: mlflow.trackingUri, ...lakefsEnv() },
      });
      expect(r.status, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as {
        lakefs: { commit: string };
        table: { snapshotId: string };
        weights: { path: string; sha256: string }[];
      };
      expect(report.lakefs.commit).toBe(commits.good);
      expect(report.table.snapshotId).toBe(snapshot);
      // The model folder, byte for byte as the train step wrote it.
      const model = join(trainDir, 'outputs', 'artifacts', 'model');
      for (const f of readdirSync(model))
        expect(readFileSync(join(dir, 'weights', 'model', f)).equals(readFileSync(join(model, f))), f).toBe(true);
      expect(
        readFileSync(join(dir, 'weights', 'onnx', 'model.onnx')).equals(readFileSync(join(model, 'model.onnx'))),
      ).toBe(true);
    },
    10 * 60_000,
  );
});

describe('torch: CPU-only and without what a CPU run never loads', () => {
  it(
    'both venvs import torch 2.14.0, train and run a step on CPU with no CUDA device, and lack triton, ' +
      'cuda-bindings and cusolver',
    () => {
      const probe = `
import importlib.metadata as md, importlib.util, json, torch
x = torch.nn.Linear(8, 4)
loss = x(torch.ones(2, 8)).sum(); loss.backward()
present = lambda n: importlib.util.find_spec(n) is not None
def installed(n):
    try:
        md.version(n); return True
    except md.PackageNotFoundError:
        return False
print(json.dumps({"torch": torch.__version__, "cuda": torch.cuda.is_available(), "grad": x.weight.grad is not None,
  "triton": present("triton"), "cuda_bindings": installed("cuda-bindings"),
  "cusolver": installed("nvidia-cusolver"), "cuda_toolkit": installed("cuda-toolkit")}))
`;
      for (const [name, python, image] of [
        ['kronodroid-train', TRAIN_PY, TRAIN_IMAGE],
        ['executorch-export', EXPORT_PY, EXPORT_IMAGE],
      ] as const) {
        const r = spawnSync(python, ['-c', probe], {
          encoding: 'utf8',
          timeout: 600_000,
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work },
        });
        expect(r.status, r.stderr).toBe(0);
        const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
        expect(out).toEqual({
          torch: '2.14.0+cu130',
          cuda: false,
          grad: true,
          triton: false,
          cuda_bindings: false,
          cusolver: false,
          cuda_toolkit: false,
        });
        const site = join(image, '.venv', 'lib', 'python3.11', 'site-packages');
        numbers.push(
          `${name} venv: ${mb(sizeOf(join(image, '.venv')))} (torch ${mb(sizeOf(join(site, 'torch')))}, CUDA ` +
            `libraries torch links ${mb(sizeOf(join(site, 'nvidia')))})`,
        );
      }
    },
    20 * 60_000,
  );
});

describe('Avro data files (the platform writes write.format.default=avro; pyiceberg writes only Parquet)', () => {
  it('an Iceberg Avro data file of the training schema is read back by the training reader value for value', () => {
    const dir = mkdtempSync(join(work, 'avro-'));
    const r = spawnSync(TRAIN_PY, [join(TRAIN_IMAGE, 'tests', 'check_avro_reader.py'), dir], {
      encoding: 'utf8',
      timeout: 300_000,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work },
    });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { rows: number; equal: boolean; columns: string[] };
    expect(out).toMatchObject({ rows: 300, equal: true });
    expect([...out.columns].sort()).toEqual([
      'api_level',
      'detection_ratio',
      'is_malware',
      'permission_count',
      'sample_id',
      'split',
      'syscall_frequencies',
    ]);
  }, 300_000);
});

describe('bad input: one line naming the input, exit != 0, nothing logged or registered', () => {
  it(
    'train, export-executorch and aggregate-metrics refuse each bad input before touching MLflow',
    async () => {
      expect(runId).not.toBe('');
      const before = await mlflowState();
      const closed = `http://127.0.0.1:${await freePort()}`;
      const trainStep = (dir: string) => renderedStep('train', join(work, 'bad', dir), { mlflow_tracking_uri: '' });
      const trainEnv = (extra: Record<string, string> = {}) => ({
        ...lakefsEnv(),
        LAKEFS_REF: commits.good,
        MLFLOW_TRACKING_URI: mlflow.trackingUri,
        ...extra,
      });
      const withArg = (step: Step, flag: string, value: string): Step => ({
        ...step,
        args: step.args.map((a, i) => (step.args[i - 1] === flag ? value : a)),
      });

      const modelDir = join(trainDir, 'outputs', 'artifacts', 'model');
      const brokenModel = join(work, 'bad', 'broken-model');
      cpSync(modelDir, brokenModel, { recursive: true });
      writeFileSync(join(brokenModel, 'model.pt2'), 'not a torch.export archive');
      const exportStep = (dir: string, model = modelDir) => {
        const s = renderedStep('export-executorch', join(work, 'bad', dir), {
          train_mlflow_run_id: runId,
          mlflow_tracking_uri: '',
        });
        return withArg(s, '--model-dir', model);
      };
      const aggDir = join(work, 'bad', 'aggregate');
      mkdirSync(join(aggDir, 'inputs', 'artifacts'), { recursive: true });
      cpSync(
        join(trainDir, 'outputs', 'artifacts', 'metrics'),
        join(aggDir, 'inputs', 'artifacts', 'training_metrics'),
      );
      writeFileSync(join(aggDir, 'not-json'), '{"format": "dfp.runtime-benchmark/v1", ');
      writeFileSync(join(aggDir, 'other-format'), JSON.stringify({ results: [] }));
      const aggStep = (results: string) =>
        withArg(
          renderedStep('aggregate-metrics', aggDir, { train_mlflow_run_id: runId, mlflow_tracking_uri: '' }),
          '--benchmark-results',
          join(aggDir, results),
        );
      cpSync(join(work, 'host-results.json'), join(aggDir, 'good-results'));

      const cases: [string, () => Promise<Run>, number, RegExp][] = [
        [
          'train: a word for an int parameter',
          () => runPython(TRAIN_PY, withArg(trainStep('t1'), '--max-epochs', 'two'), trainEnv()),
          2,
          /^train_kronodroid_autoencoder: argument --max-epochs: --max-epochs must be an integer, got 'two'$/,
        ],
        [
          'train: a batch size of 0',
          () => runPython(TRAIN_PY, withArg(trainStep('t2'), '--batch-size', '0'), trainEnv()),
          2,
          /argument --batch-size: --batch-size must be > 0, got 0$/,
        ],
        [
          'train: a lakeFS commit that does not exist',
          () => runPython(TRAIN_PY, trainStep('t3'), trainEnv({ LAKEFS_REF: 'e'.repeat(64) })),
          1,
          /LAKEFS_REF is e{64}, which lakeFS repository 'kronodroid' has no commit of/,
        ],
        [
          'train: a branch as LAKEFS_REF',
          () => runPython(TRAIN_PY, trainStep('t4'), trainEnv({ LAKEFS_REF: 'main' })),
          1,
          /LAKEFS_REF is 'main', which is not a 64-hex lakeFS commit id/,
        ],
        [
          'train: no table at the commit',
          () => runPython(TRAIN_PY, trainStep('t5'), trainEnv({ LAKEFS_REF: commits.noTable })),
          1,
          new RegExp(
            /no Iceberg table kronodroid\.fct_training_dataset at lakeFS kronodroid@[0-9a-f]{64}: /.source +
              /nothing at warehouse\/kronodroid\/fct_training_dataset\/metadata\//.source,
          ),
        ],
        [
          'train: corrupt table metadata',
          () => runPython(TRAIN_PY, trainStep('t6'), trainEnv({ LAKEFS_REF: commits.corruptMetadata })),
          1,
          /v1\.metadata\.json .*is not Iceberg table metadata/,
        ],
        [
          'train: a corrupt data file',
          () => runPython(TRAIN_PY, trainStep('t7'), trainEnv({ LAKEFS_REF: commits.corruptData })),
          1,
          new RegExp(
            /data file .*split=train.*\.parquet of table /.source +
              /kronodroid\.fct_training_dataset at lakeFS kronodroid@[0-9a-f]{64} /.source +
              /cannot be read/.source,
          ),
        ],
        [
          'train: MLflow down',
          () => runPython(TRAIN_PY, trainStep('t8'), trainEnv({ MLFLOW_TRACKING_URI: closed })),
          1,
          /cannot reach MLflow at http:\/\/127\.0\.0\.1:\d+ \(.*refused.*\); is MLFLOW_TRACKING_URI right\?/,
        ],
        [
          'export: no model folder',
          () =>
            runPython(EXPORT_PY, exportStep('e1', join(work, 'bad', 'nothing-here')), {
              MLFLOW_TRACKING_URI: mlflow.trackingUri,
            }),
          1,
          /--model-dir .*nothing-here has no config\.json/,
        ],
        [
          'export: a corrupt exported program',
          () => runPython(EXPORT_PY, exportStep('e2', brokenModel), { MLFLOW_TRACKING_URI: mlflow.trackingUri }),
          1,
          /--model-dir .*broken-model: model\.pt2 is not a torch\.export program/,
        ],
        [
          'export: a backend this image lacks',
          () =>
            runPython(EXPORT_PY, withArg(exportStep('e3'), '--backend', 'vulkan'), {
              MLFLOW_TRACKING_URI: mlflow.trackingUri,
            }),
          2,
          /argument --backend: 'vulkan' is not available in this image/,
        ],
        [
          'export: a word for an int parameter',
          () =>
            runPython(EXPORT_PY, exportStep('e4'), { MLFLOW_TRACKING_URI: mlflow.trackingUri }, [
              '--iterations',
              'many',
            ]),
          2,
          /argument --iterations: --iterations must be an integer, got 'many'$/,
        ],
        [
          'export: MLflow down',
          () => runPython(EXPORT_PY, exportStep('e5'), { MLFLOW_TRACKING_URI: closed }),
          1,
          /cannot reach MLflow at http:\/\/127\.0\.0\.1:\d+/,
        ],
        [
          'export: a run MLflow does not have',
          () =>
            runPython(EXPORT_PY, withArg(exportStep('e6'), '--mlflow-run-id', 'f'.repeat(32)), {
              MLFLOW_TRACKING_URI: mlflow.trackingUri,
            }),
          1,
          /--mlflow-run-id f{32}: MLflow has no such run/,
        ],
        [
          'aggregate: results that are not JSON',
          () => runPython(TRAIN_PY, aggStep('not-json'), { MLFLOW_TRACKING_URI: mlflow.trackingUri }),
          1,
          /--benchmark-results .*not-json is not JSON/,
        ],
        [
          'aggregate: results in another format',
          () => runPython(TRAIN_PY, aggStep('other-format'), { MLFLOW_TRACKING_URI: mlflow.trackingUri }),
          1,
          /--benchmark-results is not a dfp\.runtime-benchmark\/v1 document/,
        ],
        [
          'aggregate: MLflow down',
          () => runPython(TRAIN_PY, aggStep('good-results'), { MLFLOW_TRACKING_URI: closed }),
          1,
          /cannot reach MLflow at http:\/\/127\.0\.0\.1:\d+/,
        ],
      ];
      const runs = await inParallel(
        cases.map(([, run]) => run),
        2,
      );
      cases.forEach(([name, , code, message], i) => {
        const r = runs[i]!;
        const lines = r.stderr.trim().split('\n');
        expect({ name, status: r.status }, r.stderr).toEqual({ name, status: code });
        expect(lines, `${name}: ${r.stderr}`).toHaveLength(1);
        expect(lines[0], name).toMatch(message);
        expect(r.stderr, name).not.toMatch(/Traceback|^\s+at /m);
      });
      // Nothing new anywhere in MLflow: no run, no metric, no artifact, no model version.
      expect(await mlflowState()).toEqual(before);
      expect(before.versions).toEqual([`${MODEL}/1`]);
      numbers.push(
        `bad input: ${cases.length} cases refused with one line each, MLflow unchanged (${before.runs.length} ` +
          `run, ${before.versions.length} model version)`,
      );
    },
    30 * 60_000,
  );
});
