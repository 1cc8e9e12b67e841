/**
 * The lineage contract: the training step of Kronodroid receives the same lineage env
 * vars (lakeFS repository and commit, source table, Feast view, dataset split ids) in
 * every orchestrator's output, because they are computed once in the model. Each
 * target's rendering is read back in its own format and reduced to name -> value, where
 * a run-time value becomes `output:<step>.<output>`.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { ContainerStep, LINEAGE_ENV, Pipeline, datasetId } from '../constructs/index.ts';
import { DfpError } from '../constructs/model/errors.ts';
import { buildModel } from '../constructs/model/build.ts';
import type { Environment, Model } from '../constructs/model/schema.ts';
import { buildApp } from '../main.ts';
import { TARGETS } from '../targets/index.ts';
import { IMAGE, modelOrError, testApp } from './support/fixtures.ts';

type Env = Record<string, string>;

/** A DAG file's train task env (literal name/value pairs), read with Python's own parser. */
const AIRFLOW_ENV = `
import ast, json, sys
tree = ast.parse(sys.stdin.read())
for node in ast.walk(tree):
    if isinstance(node, ast.Call) and any(k.arg == "task_id" and isinstance(k.value, ast.Constant) and k.value.value == "train" for k in node.keywords):
        env = next(k.value for k in node.keywords if k.arg == "env_vars")
        pairs = {}
        for item in env.elts:
            kw = {k.arg: k.value for k in item.keywords}
            if isinstance(kw.get("value"), ast.Constant):
                pairs[kw["name"].value] = kw["value"].value
        print(json.dumps(pairs))
`;

/** Per orchestrator: the train step's env, read back from the rendered files. */
const READERS: Record<string, (files: Map<string, string>) => Env> = {
  airflow(files) {
    const r = spawnSync('python3', ['-c', AIRFLOW_ENV], { input: files.get('dags/kronodroid-autoencoder.py')!, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    const env = JSON.parse(r.stdout) as Env;
    return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.replace(/^\{\{ ti\.xcom_pull\(task_ids='([a-z0-9-]+)'\)\['([a-z0-9_]+)'\] \| dfp_text \}\}$/, 'output:$1.$2')]));
  },
  argo(files) {
    const wt = parse(files.get('workflow-templates/kronodroid-autoencoder.yaml')!);
    const t = wt.spec.templates.find((x: { name: string }) => x.name === 'train');
    return Object.fromEntries(
      (t.container.env as { name: string; value?: string }[])
        .filter((e) => e.value !== undefined)
        .map((e) => [e.name, e.value!.replace(/^\{\{inputs\.parameters\.([a-z0-9_]+)\}\}$/, 'input:$1')]),
    );
  },
  kubeflow(files) {
    const [spec] = parseAllDocuments(files.get('pipelines/kronodroid-autoencoder.yaml')!).map((d) => d.toJS());
    const c = spec.deploymentSpec.executors['exec-train'].container;
    const env: Env = Object.fromEntries((c.env ?? []).map((e: { name: string; value: string }) => [e.name, e.value]));
    const command: string[] = c.command;
    if (command[0] === 'env') {
      for (const a of command.slice(1)) {
        const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(a);
        if (!m) break;
        env[m[1]!] = m[2]!.replace(/^\{\{\$\.inputs\.parameters\['([a-z0-9_]+)'\]\}\}$/, 'input:$1');
      }
    }
    return env;
  },
};

const model = buildModel(buildApp());
const trainStep = model.pipelines.find((p) => p.name === 'kronodroid-autoencoder')!.steps.find((s) => s.name === 'train')!;
/** `input:<step input>` -> `output:<step>.<output>`, the form every reader reduces to. */
function bySource(env: Env): Env {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => {
    const m = /^input:(.+)$/.exec(v);
    const src = m ? trainStep.inputs.parameters.find((i) => i.name === m[1])?.source : undefined;
    return [k, src?.kind === 'taskOutput' ? `output:${src.step}.${src.output}` : v];
  }));
}
const orchestrators = TARGETS.filter((t) => READERS[t.name]);

function rendered(m: Model, orchestrator: string): Map<string, string> {
  const env: Environment = { ...m.environments[0]!, orchestrator: orchestrator as Environment['orchestrator'] };
  const target = TARGETS.find((t) => t.name === orchestrator)!;
  return new Map(target.render(m, env).map((f) => [f.path, f.content]));
}

describe('lineage: the same stamps in every orchestrator', () => {
  const envs = Object.fromEntries(orchestrators.map((t) => [t.name, bySource(READERS[t.name]!(rendered(model, t.name)))]));
  const lineageOnly = (env: Env) => Object.fromEntries(Object.entries(env).filter(([k]) => (Object.values(LINEAGE_ENV) as string[]).includes(k)).sort());

  it('covers every orchestrator target with a reader', () => {
    expect(orchestrators.map((t) => t.name).sort()).toEqual(Object.keys(READERS).sort());
  });

  it('the training step carries the contract', () => {
    for (const [name, env] of Object.entries(envs)) {
      expect(lineageOnly(env), name).toEqual({
        DATASET_TEST_ID: datasetId(kronodroidSpec(), 'test'),
        DATASET_TRAIN_ID: datasetId(kronodroidSpec(), 'train'),
        DATASET_VAL_ID: datasetId(kronodroidSpec(), 'val'),
        DATA_SOURCE_TABLE: 'fct_training_dataset',
        FEAST_FEATURE_VIEW: 'kronodroid_autoencoder_features',
        LAKEFS_REF: 'output:lakefs-commit-merge.commit_id',
        LAKEFS_REPOSITORY: 'kronodroid',
      });
    }
  });

  it('identically in each orchestrator', () => {
    const [first, ...rest] = Object.values(envs).map(lineageOnly);
    for (const other of rest) expect(other).toEqual(first);
  });

  it('LAKEFS_REF is the merge commit, an output of the commit-merge step, never the branch', () => {
    const train = model.pipelines.find((p) => p.name === 'kronodroid-autoencoder')!.steps.find((s) => s.name === 'train')!;
    const input = train.inputs.parameters.find((i) => i.name === 'lakefs_commit_merge_commit_id')!;
    expect(input.source).toEqual({ kind: 'taskOutput', step: 'lakefs-commit-merge', output: 'commit_id' });
  });
});

describe('lineage: dataset ids', () => {
  it('are stable for the same spec whatever its key order, and change with it', () => {
    expect(datasetId({ a: 1, b: [1, 2] }, 'train')).toBe(datasetId({ b: [1, 2], a: 1 }, 'train'));
    expect(datasetId({ a: 1 }, 'train')).not.toBe(datasetId({ a: 2 }, 'train'));
    expect(datasetId({ a: 1 }, 'train')).not.toBe(datasetId({ a: 1 }, 'val'));
    expect(datasetId({ a: 1 }, 'test')).toMatch(/^test-[0-9a-f]{16}$/);
  });
});

describe('lineage: bad declarations fail with the construct path', () => {
  function problems(lineage: ConstructorParameters<typeof ContainerStep>[2]['lineage'], env?: Record<string, string>): string {
    const app = testApp();
    const p = new Pipeline(app, 'p');
    new ContainerStep(p, 'train', { image: IMAGE, command: ['train'], lineage, env });
    const result = modelOrError(app);
    expect(result).toBeInstanceOf(DfpError);
    return (result as DfpError).message;
  }
  const base = { lakefsRepository: 'repo', lakefsRef: 'a'.repeat(64), sourceTable: 't' };

  it('a branch name instead of a commit', () => {
    expect(problems({ ...base, lakefsRef: 'main' })).toMatch(/p\/train: lineage\.lakefsRef 'main' is not a lakeFS commit id; pin a 64-hex commit id/);
  });
  it('a definitions digest that is not a sha256, and a non-numeric snapshot id', () => {
    const message = problems({ ...base, feast: { featureView: 'v', definitionsSha256: 'abc' }, icebergSnapshotId: 'latest' });
    expect(message).toMatch(/p\/train: lineage\.feast\.definitionsSha256 'abc' is not a sha256/);
    expect(message).toMatch(/p\/train: lineage\.icebergSnapshotId 'latest' is not an Iceberg snapshot id/);
  });
  it('an env var the lineage also sets', () => {
    expect(problems(base, { LAKEFS_REF: 'x' })).toMatch(/p\/train: env\.LAKEFS_REF is also set by lineage; remove it from env/);
  });
});

function kronodroidSpec() {
  return { table: 'kronodroid.fct_training_dataset', splitColumn: 'split', splits: { train: 'train', val: 'validation', test: 'test' }, label: 'is_malware' };
}
