/**
 * The Iris pipeline's three programs (images/iris/src/pipelines/), run as the rendered steps
 * run them (`python -m src.pipelines.<step>` with the args of dist/staging's workflow
 * template) in the iris image's uv-locked venv, against a real MLflow tracking server on
 * loopback (tests/support/mlflow.ts): processing writes the dataset artifact, training
 * registers an XGBoost model version, batch inference writes one prediction per row. Then
 * bad input for each: a one-line error naming the input, exit != 0, and no model version
 * registered, no output file written. Numbers (rows, accuracy, seconds) are printed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { LINEAGE_PYTHON, startMlflow, type MlflowServer } from './support/mlflow.ts';
import { ROOT, freePort } from './support/process.ts';

const IRIS = join(ROOT, 'images', 'iris');
const MODEL = 'iris_xgboost_classifier';

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

function step(module: string, args: string[], trackingUri?: string): Ran {
  const started = Date.now();
  const r = spawnSync(join(IRIS, '.venv', 'bin', 'python'), ['-m', `src.pipelines.${module}`, ...args], {
    // The image's working directory holds src/ (python -m src.pipelines.…).
    cwd: IRIS,
    encoding: 'utf8',
    timeout: 600_000,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: work,
      TZ: 'UTC',
      ...(trackingUri ? { MLFLOW_TRACKING_URI: trackingUri } : {}),
    },
  });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', seconds: (Date.now() - started) / 1000 };
}
const lastLine = (t: string) => t.trim().split('\n').pop() ?? '';
const out = (r: Ran) => JSON.parse(lastLine(r.stdout));

/** The rendered steps' programs and arguments (dist/staging/argo), to run exactly those. */
const template = parse(readFileSync(join(ROOT, 'dist', 'staging', 'argo', 'workflow-templates', 'iris.yaml'), 'utf8'));
const container = (name: string) => template.spec.templates.find((t: { name: string }) => t.name === name).container;

/** Reads a Parquet file with the iris venv's pandas: row count and columns. */
function parquet(path: string): { rows: number; columns: string[]; records: Record<string, unknown>[] } {
  const r = spawnSync(
    join(IRIS, '.venv', 'bin', 'python'),
    [
      '-c',
      'import sys,json,pandas as pd; d=pd.read_parquet(sys.argv[1]); print(json.dumps({"rows": len(d), ' +
        '"columns": list(d.columns), "records": json.loads(d.to_json(orient="records"))}))',
      path,
    ],
    { encoding: 'utf8' },
  );
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

/** The registry's versions of a model, through the lineage harness's MLflow client. */
function versions(trackingUri: string, name: string): string[] {
  const r = spawnSync(
    LINEAGE_PYTHON,
    [
      '-c',
      'import sys,json; from mlflow import MlflowClient; c=MlflowClient(sys.argv[1]); ' +
        'print(json.dumps(sorted(v.version for v in c.search_model_versions(f"name=\'{sys.argv[2]}\'"))))',
      trackingUri,
      name,
    ],
    { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: work } },
  );
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

let mlflow: MlflowServer;
let work: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'dfp-iris-'));
  mlflow = await startMlflow();
}, 300_000);

afterAll(async () => {
  await mlflow?.stop();
});

describe('Iris: processing, training with registration, batch inference', () => {
  const dataset = () => join(work, 'artifacts', 'dataset');
  let version = '';

  it('the rendered steps call these programs', () => {
    expect(container('process-data').command).toEqual(['python', '-m', 'src.pipelines.data_pipeline']);
    expect(container('train').command).toEqual(['python', '-m', 'src.pipelines.training_pipeline']);
    expect(container('batch-inference').command).toEqual(['python', '-m', 'src.pipelines.inference_pipeline']);
    for (const m of ['data_pipeline', 'training_pipeline', 'inference_pipeline'])
      expect(existsSync(join(IRIS, 'src', 'pipelines', `${m}.py`))).toBe(true);
  });

  it('process-data writes the 150 rows with a stratified train/test split', () => {
    const r = step('data_pipeline', ['--output', dataset()]);
    expect(r.status, r.stderr).toBe(0);
    const d = parquet(dataset());
    expect(d.rows).toBe(150);
    expect(d.columns).toEqual([
      'sample_id',
      'sepal_length_cm',
      'sepal_width_cm',
      'petal_length_cm',
      'petal_width_cm',
      'label',
      'species',
      'split',
    ]);
    expect(out(r)).toMatchObject({ rows: 150, train: 120, test: 30 });
    console.log(`iris process-data: 150 rows (120 train / 30 test) in ${r.seconds.toFixed(1)} s`);
  }, 600_000);

  it('train registers an XGBoost model version in MLflow and writes its number', () => {
    const versionFile = join(work, 'outputs', 'model_version');
    const r = step(
      'training_pipeline',
      [
        '--data',
        dataset(),
        '--model-name',
        MODEL,
        '--max-depth',
        '4',
        '--learning-rate',
        '0.1',
        '--model-version-file',
        versionFile,
      ],
      mlflow.trackingUri,
    );
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    version = readFileSync(versionFile, 'utf8');
    expect(version).toBe('1');
    expect(versions(mlflow.trackingUri, MODEL)).toEqual(['1']);
    const o = out(r);
    expect(o.accuracy).toBeGreaterThan(0.85);
    console.log(
      `iris train: accuracy ${o.accuracy.toFixed(3)}, f1 ${o.f1_macro.toFixed(3)} on 30 test rows, registered ` +
        `${MODEL} v${version}, ${r.seconds.toFixed(1)} s`,
    );
  }, 600_000);

  it('batch-inference writes one prediction per row', () => {
    const predictions = join(work, 'artifacts', 'predictions');
    const r = step(
      'inference_pipeline',
      ['--data', dataset(), '--model-name', MODEL, '--model-version', version, '--predictions', predictions],
      mlflow.trackingUri,
    );
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    const p = parquet(predictions);
    expect(p.rows).toBe(150);
    expect(new Set(p.records.map((x) => x.sample_id)).size).toBe(150);
    for (const x of p.records) {
      expect([0, 1, 2]).toContain(x.prediction);
      expect(x.model_version).toBe(1);
    }
    console.log(
      `iris batch-inference: ${p.rows} predictions, accuracy over all rows ` +
        `${out(r).accuracy_all_rows.toFixed(3)}, ${r.seconds.toFixed(1)} s`,
    );
  }, 600_000);
});

describe('Iris bad input: one line naming the input, exit != 0, nothing registered or written', () => {
  const oneLine = (r: Ran, prefix: string, pattern: RegExp) => {
    expect(r.status).not.toBe(0);
    const line = lastLine(r.stderr);
    expect(line.startsWith(prefix), r.stderr.slice(-2000)).toBe(true);
    expect(line).toMatch(pattern);
  };

  it(
    'training: missing and corrupt dataset, wrong parameter types, MLflow down: no new model version, no version ' +
      'file',
    async () => {
      const before = versions(mlflow.trackingUri, MODEL);
      const corrupt = join(work, 'corrupt.parquet');
      writeFileSync(corrupt, 'this is not parquet');
      const versionFile = join(work, 'bad', 'model_version');
      const args = (data: string, depth = '4', rate = '0.1') => [
        '--data',
        data,
        '--model-name',
        MODEL,
        '--max-depth',
        depth,
        '--learning-rate',
        rate,
        '--model-version-file',
        versionFile,
      ];
      const down = `http://127.0.0.1:${await freePort()}`;
      oneLine(
        step('training_pipeline', args(join(work, 'missing')), mlflow.trackingUri),
        'training_pipeline: ',
        /--data .*missing: no such file/,
      );
      oneLine(
        step('training_pipeline', args(corrupt), mlflow.trackingUri),
        'training_pipeline: ',
        /--data .*corrupt\.parquet is not a Parquet dataset/,
      );
      oneLine(
        step('training_pipeline', args(join(work, 'artifacts', 'dataset'), 'four'), mlflow.trackingUri),
        'training_pipeline: ',
        /--max-depth must be an integer, got 'four'/,
      );
      oneLine(
        step('training_pipeline', args(join(work, 'artifacts', 'dataset'), '4', '2.5'), mlflow.trackingUri),
        'training_pipeline: ',
        /--learning-rate must be in \(0, 1\], got 2\.5/,
      );
      oneLine(
        step('training_pipeline', args(join(work, 'artifacts', 'dataset')), down),
        'training_pipeline: ',
        /cannot reach MLflow at http:\/\/127\.0\.0\.1:\d+ \(MLFLOW_TRACKING_URI\)/,
      );
      expect(existsSync(versionFile)).toBe(false);
      expect(versions(mlflow.trackingUri, MODEL)).toEqual(before);
    },
    900_000,
  );

  it(
    'inference: a model version that does not exist, a version that is not a number, MLflow down: no predictions ' +
      'file',
    async () => {
      const predictions = join(work, 'bad', 'predictions');
      const args = (v: string) => [
        '--data',
        join(work, 'artifacts', 'dataset'),
        '--model-name',
        MODEL,
        '--model-version',
        v,
        '--predictions',
        predictions,
      ];
      oneLine(
        step('inference_pipeline', args('99'), mlflow.trackingUri),
        'inference_pipeline: ',
        /model 'iris_xgboost_classifier' version 99 is not in the MLflow registry/,
      );
      oneLine(
        step('inference_pipeline', args('latest'), mlflow.trackingUri),
        'inference_pipeline: ',
        /--model-version must be an integer, got 'latest'/,
      );
      oneLine(
        step('inference_pipeline', args('1'), `http://127.0.0.1:${await freePort()}`),
        'inference_pipeline: ',
        /cannot reach MLflow/,
      );
      expect(existsSync(predictions)).toBe(false);
    },
    900_000,
  );
});
