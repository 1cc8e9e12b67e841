/**
 * The lineage contract: the training step of Kronodroid receives the same lineage env
 * vars (lakeFS repository and commit, source table, feature view and digest, dataset split ids) in
 * every orchestrator's output, because they are computed once in the model. Each
 * target's rendering is read back in its own format and reduced to name -> value, where
 * a run-time value becomes `output:<step>.<output>`.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ContainerStep, IcebergTable, LINEAGE_ENV, Pipeline, datasetId } from '../constructs/index.ts';
import { DfpError } from '../constructs/model/errors.ts';
import { buildModel } from '../constructs/model/build.ts';
import { bindEnvironment, definitionsDigest } from '../constructs/model/bind-environment.ts';
import type { Environment, Model } from '../constructs/model/schema.ts';
import { buildApp } from '../main.ts';
import { join } from 'node:path';
import { renderAll } from '../synth/render.ts';
import { TARGETS } from '../targets/index.ts';
import { readLock } from '../constructs/model/lock-file.ts';
import { IMAGE, modelOrError, testApp } from './support/fixtures.ts';
import { ENV_READERS, type Env } from './support/lineage-readers.ts';
import { ROOT } from './support/process.ts';

/** Per orchestrator: the train step's env, read back from the rendered files. */
const READERS: Record<string, (files: Map<string, string>) => Env> = Object.fromEntries(
  Object.entries(ENV_READERS).map(([name, read]) => [
    name,
    (files: Map<string, string>) => read(files, 'kronodroid-autoencoder', 'train'),
  ]),
);

const model = buildModel(buildApp());
const trainStep = model.pipelines
  .find((p) => p.name === 'kronodroid-autoencoder')!
  .steps.find((s) => s.name === 'train')!;
/** `input:<step input>` -> `output:<step>.<output>`, the form every reader reduces to. */
function bySource(env: Env): Env {
  return Object.fromEntries(
    Object.entries(env).map(([k, v]) => {
      const m = /^input:(.+)$/.exec(v);
      const src = m ? trainStep.inputs.parameters.find((i) => i.name === m[1])?.source : undefined;
      return [k, src?.kind === 'taskOutput' ? `output:${src.step}.${src.output}` : v];
    }),
  );
}
const orchestrators = TARGETS.filter((t) => READERS[t.name]);
const lockedCommit = readLock(join(ROOT, 'dfp.lock.json')).refs['kronodroid@main']!.commit;
const feastDigest = readFileSync(join(ROOT, 'dist/dev/feast/dfp_dev/definitions.sha256'), 'utf8').trim();

function rendered(m: Model, orchestrator: string): Map<string, string> {
  const env: Environment = { ...m.environments[0]!, orchestrator: orchestrator as Environment['orchestrator'] };
  const target = TARGETS.find((t) => t.name === orchestrator)!;
  return new Map(target.render(bindEnvironment(m, env), env).map((f) => [f.path, f.content]));
}

describe('lineage: the same stamps in every orchestrator', () => {
  const envs = Object.fromEntries(
    orchestrators.map((t) => [t.name, bySource(READERS[t.name]!(rendered(model, t.name)))]),
  );
  const lineageOnly = (env: Env) =>
    Object.fromEntries(
      Object.entries(env)
        .filter(([k]) => (Object.values(LINEAGE_ENV) as string[]).includes(k))
        .sort(),
    );

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
        DFP_DEFINITIONS_SHA256: definitionsDigest(model.pipelines.find((p) => p.name === 'kronodroid-autoencoder')!),
        DFP_ENVIRONMENT: model.environments[0]!.name,
        // The step's image as the model has it: by digest when dfp.lock.json pins it.
        DFP_IMAGE: model.pipelines
          .find((p) => p.name === 'kronodroid-autoencoder')!
          .steps.find((s) => s.name === 'train')!.image,
        DFP_PIPELINE: 'kronodroid-autoencoder',
        FEAST_DEFS_SHA256: feastDigest,
        FEAST_FEATURE_VIEW: 'kronodroid_autoencoder_features',
        FEATURE_DEFS_SHA256: feastDigest,
        FEATURE_VIEW: 'kronodroid_autoencoder_features',
        ICEBERG_TABLE: 'kronodroid.fct_training_dataset',
        ICEBERG_TABLE_LOCATION: 'warehouse/kronodroid/fct_training_dataset',
        LAKEFS_ENDPOINT: model.environments[0]!.endpoints.lakefs,
        LAKEFS_REF: lockedCommit,
        LAKEFS_REPOSITORY: 'kronodroid',
      });
    }
  });

  it('identically in each orchestrator', () => {
    const [first, ...rest] = Object.values(envs).map(lineageOnly);
    for (const other of rest) expect(other).toEqual(first);
  });

  it('LAKEFS_REF is the commit dfp.lock.json pins kronodroid@main to: a literal, not a branch', () => {
    expect(lockedCommit).toMatch(/^[0-9a-f]{64}$/);
    expect(trainStep.inputs.parameters.map((i) => i.name)).not.toContain('lakefs_commit_merge_commit_id');
    expect(trainStep.env.find((e) => e.name === 'LAKEFS_REF')!.value).toEqual([
      { kind: 'literal', value: lockedCommit },
    ]);
  });

  it(
    'FEATURE_DEFS_SHA256 (and FEAST_DEFS_SHA256) is the digest every feature-store target writes in ' +
      'definitions.sha256',
    () => {
      const all = renderAll(model, TARGETS);
      const stores = new Set<string>();
      for (const env of model.environments) {
        const written = all.find(
          (f) => f.path === `${env.name}/${env.featureStore}/dfp_${env.name}/definitions.sha256`,
        )!;
        expect(written.content, env.name).toBe(`${feastDigest}\n`);
        stores.add(env.featureStore);
      }
      expect([...stores].sort()).toEqual(['chronon', 'feast']);
    },
  );

  it('the stamps do not depend on the feature store: Feast and Chronon render the same step env', () => {
    const feast = model.environments.find((e) => e.featureStore === 'feast')!;
    const asStore = (featureStore: Environment['featureStore']) => {
      const env: Environment = { ...feast, featureStore };
      const files = new Map(
        TARGETS.find((t) => t.name === env.orchestrator)!
          .render(bindEnvironment(model, env), env)
          .map((f) => [f.path, f.content]),
      );
      return READERS[env.orchestrator]!(files);
    };
    expect(asStore('chronon')).toEqual(asStore('feast'));
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
  function problems(
    lineage: ConstructorParameters<typeof ContainerStep>[2]['lineage'],
    env?: Record<string, string>,
  ): string {
    const app = testApp();
    const p = new Pipeline(app, 'p');
    new ContainerStep(p, 'train', { image: IMAGE, command: ['train'], lineage, env });
    const result = modelOrError(app);
    expect(result).toBeInstanceOf(DfpError);
    return (result as DfpError).message;
  }
  const base = { lakefsRepository: 'repo', lakefsRef: 'a'.repeat(64), sourceTable: 't' };

  it('a branch name instead of a commit', () => {
    expect(problems({ ...base, lakefsRef: 'main' })).toMatch(
      /p\/train: lineage\.lakefsRef 'main' is not a lakeFS commit id; pin a 64-hex commit id/,
    );
  });
  it('a definitions digest that is not a sha256, and a non-numeric snapshot id', () => {
    const message = problems({
      ...base,
      feast: { featureView: 'v', definitionsSha256: 'abc' },
      icebergSnapshotId: 'latest',
    });
    expect(message).toMatch(/p\/train: lineage\.feast\.definitionsSha256 'abc' is not a sha256/);
    expect(message).toMatch(/p\/train: lineage\.icebergSnapshotId 'latest' is not an Iceberg snapshot id/);
  });
  it('a bad digest under the neutral name, and both names at once', () => {
    const message = problems({
      ...base,
      features: { featureView: 'v', definitionsSha256: 'abc' },
      feast: { featureView: 'v' },
    });
    expect(message).toMatch(/p\/train: lineage\.features\.definitionsSha256 'abc' is not a sha256/);
    expect(message).toMatch(/p\/train: lineage\.feast is the former name of lineage\.features; give only 'features'/);
  });
  it('a table whose branch the lock does not pin, at the table and at the step that reads it', () => {
    const app = testApp();
    const t = new IcebergTable(app, 'events', {
      namespace: 'ns',
      lakefsRepository: 'repo',
      ref: { branch: 'not-locked' },
      fields: { id: 'string', ts: 'timestamp' },
      timestampField: 'ts',
    });
    const p = new Pipeline(app, 'p');
    new ContainerStep(p, 'train', {
      image: IMAGE,
      command: ['train'],
      lineage: { lakefsRepository: 'repo', lakefsRef: t.pinnedCommit, sourceTable: 'events' },
    });
    const message = (modelOrError(app) as DfpError).message;
    expect(message).toMatch(
      / {2}events: lakeFS ref repo@not-locked is not pinned in tests\/fixtures\/fixtures\.lock\.json; run 'dfp lock'/,
    );
    expect(message).toMatch(
      / {2}p\/train: lineage\.lakefsRef: table 'events' reads repo@not-locked, which is not pinned/,
    );
  });
  it('an env var the lineage also sets, or one each environment adds', () => {
    expect(problems(base, { LAKEFS_REF: 'x' })).toMatch(
      /p\/train: env\.LAKEFS_REF is also set by lineage; remove it from env/,
    );
    expect(problems(base, { DFP_ENVIRONMENT: 'x' })).toMatch(
      /p\/train: env\.DFP_ENVIRONMENT is also set by lineage; remove it from env/,
    );
  });
  it('a source table other than the one lakefsRef pins', () => {
    const app = testApp();
    const fields = { id: 'string', ts: 'timestamp' };
    const a = new IcebergTable(app, 'a', {
      namespace: 'ns',
      lakefsRepository: 'repo',
      ref: { commit: 'a'.repeat(64) },
      fields,
      timestampField: 'ts',
    });
    const b = new IcebergTable(app, 'b', {
      namespace: 'ns',
      lakefsRepository: 'repo',
      ref: { commit: 'b'.repeat(64) },
      fields,
      timestampField: 'ts',
    });
    const p = new Pipeline(app, 'p');
    new ContainerStep(p, 'train', {
      image: IMAGE,
      command: ['train'],
      lineage: { lakefsRepository: 'repo', lakefsRef: a.pinnedCommit, sourceTable: b },
    });
    expect((modelOrError(app) as DfpError).message).toMatch(
      /p\/train: lineage\.sourceTable 'b' is not the table lakefsRef pins \('a'\); read both from the same table/,
    );
  });
});

function kronodroidSpec() {
  return {
    table: 'kronodroid.fct_training_dataset',
    splitColumn: 'split',
    splits: { train: 'train', val: 'validation', test: 'test' },
    label: 'is_malware',
  };
}

describe('lineage: the helper records the feature stamps under both names', () => {
  /** `python -m dfp_tools.lineage stamps`: the real helper, the tags it would record (no MLflow). */
  function helperTags(env: Env): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync('python3.11', ['-m', 'dfp_tools.lineage', 'stamps'], {
      encoding: 'utf8',
      // Without the table location the helper asks lakeFS nothing (the snapshot id is not resolved).
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        PYTHONPATH: join(ROOT, 'images', 'dfp_tools'),
        PYTHONDONTWRITEBYTECODE: '1',
        ...env,
      },
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }
  const stamped = (env: Environment) => {
    const files = new Map(
      TARGETS.find((t) => t.name === env.orchestrator)!
        .render(bindEnvironment(model, env), env)
        .map((f) => [f.path, f.content]),
    );
    const { ICEBERG_TABLE_LOCATION: _l, ...rest } = bySource(READERS[env.orchestrator]!(files));
    return Object.fromEntries(
      Object.entries(rest).filter(([k]) => (Object.values(LINEAGE_ENV) as string[]).includes(k)),
    );
  };

  it('features.* and feast.* name the same view and digest, in the Chronon environment as in the Feast ones', () => {
    for (const env of model.environments) {
      const r = helperTags(stamped(env));
      expect(r.status, r.stderr).toBe(0);
      const tags = JSON.parse(r.stdout) as Record<string, string>;
      expect(tags['features.feature_view'], env.name).toBe('kronodroid_autoencoder_features');
      expect(tags['features.defs_sha256'], env.name).toBe(feastDigest);
      expect(tags['feast.defs_sha256'], env.name).toBe(feastDigest);
      expect(tags['dfp.environment']).toBe(env.name);
    }
  });

  it('control: a Feast name that disagrees with the neutral one, or a digest without its view, is refused', () => {
    const env = stamped(model.environments.find((e) => e.featureStore === 'chronon')!);
    const disagree = helperTags({ ...env, FEAST_DEFS_SHA256: 'f'.repeat(64) });
    expect(disagree.status).not.toBe(0);
    expect(disagree.stderr).toMatch(
      new RegExp(
        /FEATURE_DEFS_SHA256 is '[0-9a-f]{64}' but /.source +
          /FEAST_DEFS_SHA256 is 'f{64}'; the former /.source +
          /name must hold the same value/.source,
      ),
    );
    const { FEATURE_VIEW: _v, ...noView } = env;
    const orphan = helperTags(noView);
    expect(orphan.status).not.toBe(0);
    expect(orphan.stderr).toMatch(/FEATURE_VIEW is not set, but FEATURE_DEFS_SHA256 is/);
  });
});
