/**
 * DataHub: every MCP file of dist/ and of the goldens is read back by the real
 * acryl-datahub package (tests/conformance/datahub, uv-locked): `check_mce_file` (what
 * `datahub check metadata-file` runs: its file source), `MetadataChangeProposalWrapper`
 * with `validate()`, every URN through `Urn.from_string`, and DataHub's own serialisation
 * of each MCP equal to the bytes dfp wrote. Each recipe passes DataHub's config loader and
 * config models and runs, as a real ingestion Pipeline, over the files as the Job mounts
 * them (the ConfigMap written out by its volume items), into a file sink. The lineage edges
 * DataHub reads back equal the model's data flow: every step's datasets and dependsOn.
 * Mutation controls (a broken aspect, a malformed URN, a fabric DataHub lacks, a recipe
 * typo) make the real reader fail.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { ContainerStep, Entity, Environment, FeatureView, IcebergTable, Pipeline } from '../constructs/index.ts';
import { DfpApp } from '../app/dfp-app.ts';
import { buildModel } from '../constructs/model/build.ts';
import { DATAHUB_IMAGE } from '../constructs/model/images.ts';
import { imageTagAndDigest } from '../constructs/model/names.ts';
import type { Model } from '../constructs/model/schema.ts';
import { buildApp } from '../main.ts';
import { renderAll } from '../synth/render.ts';
import { readTree } from '../synth/writer.ts';
import { datahubTarget } from '../targets/datahub/index.ts';
import { fabricOf } from '../targets/datahub/urns.ts';
import { TARGETS } from '../targets/index.ts';
import { airflowControlFlowApp } from './fixtures/airflow-control-flow.ts';
import { controlFlowApp } from './fixtures/control-flow.ts';
import { featuresApp } from './fixtures/features.ts';
import { kubeflowFlowApp } from './fixtures/kubeflow-flow.ts';
import { tableProps, transformsApp } from './fixtures/transforms.ts';
import { envProps, FIXTURE_LOCK, IMAGE, testApp } from './support/fixtures.ts';
import { ROOT, run } from './support/process.ts';

type Json = Record<string, any>;
const PYTHON = join(ROOT, 'tests', 'conformance', 'datahub', '.venv', 'bin', 'python');
const READ_BACK = join(ROOT, 'tests', 'conformance', 'datahub', 'read_back.py');

interface Edge {
  flow: [string, string, string];
  job: string;
  kind: 'reads' | 'writes' | 'after';
  platform?: string;
  name: string;
  fabric?: string;
  flow_urn?: string;
}
interface FileReport {
  file: string;
  ok: boolean;
  errors: string[];
  mcps: number;
  edges: Edge[];
  owners: [string, string, string][];
  tags: [string, string][];
  entities: [string, string, string][];
}
interface RecipeReport {
  recipe: string;
  ok: boolean;
  errors: string[];
  stateful?: boolean;
  source?: string;
  sink?: string;
  server?: string;
  token_from_env?: boolean;
  path?: string;
  records?: number;
}
interface Report {
  files: FileReport[];
  recipes: RecipeReport[];
}

const scratch = mkdtempSync(join(tmpdir(), 'dfp-datahub-'));
const write = (rel: string, content: string) => {
  const p = join(scratch, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, content);
  return p;
};

/** The ConfigMap's files where the Job's volume items put them, under `dir`. */
function mount(sync: string, dir: string): { recipe: string; metadata: string; configMap: Json; job: Json } {
  const [configMap, job] = parseAllDocuments(sync).map((d) => d.toJS() as Json);
  const volume = job!.spec.template.spec.volumes.find((v: Json) => v.configMap);
  for (const item of volume.configMap.items as { key: string; path: string }[])
    write(join(dir, item.path), configMap!.data[item.key]);
  return {
    recipe: join(scratch, dir, 'recipe.yml'),
    metadata: join(scratch, dir, 'metadata'),
    configMap: configMap!,
    job: job!,
  };
}

// ---------------------------------------------------------------- what is read back

const trees = { dist: readTree(join(ROOT, 'dist')), golden: readTree(join(ROOT, 'tests', 'golden')) };
const mcpFiles = Object.entries(trees).flatMap(([root, tree]) =>
  [...tree]
    .filter(([p]) => /\/datahub\/metadata\/[^/]+\.json$/.test(p))
    .map(([p, c]) => ({
      name: `${root}/${p}`,
      path: join(ROOT, root === 'dist' ? 'dist' : 'tests/golden', p),
      content: c,
    })),
);
const hooks = Object.entries(trees).flatMap(([root, tree]) =>
  [...tree]
    .filter(([p]) => /\/datahub\/sync\/datahub-ingest\.yaml$/.test(p))
    .map(([p, c]) => ({
      name: `${root}/${p}`,
      dir: `mount/${root}/${p.replace(/\/sync\/.*$/, '')}`,
      content: c,
      tree,
      base: p.replace(/\/sync\/.*$/, ''),
    })),
);

/** Mutation controls: each must make the real reader fail. */
const dev = (f: string) => trees.dist.get(`dev/datahub/metadata/${f}`)!;
const mutate = (f: string, change: (mcps: Json[]) => void) => {
  const mcps = JSON.parse(dev(f)) as Json[];
  change(mcps);
  return JSON.stringify(mcps, null, 2);
};
const CONTROLS: Record<string, string> = {
  'broken aspect: a schema field whose nullable is a string': mutate('datasets.json', (m) => {
    m.find((x) => x.aspectName === 'schemaMetadata')!.aspect.json.fields[0].nullable = 'yes';
  }),
  'broken aspect: dataFlowInfo without its name': mutate('pipeline.kronodroid-features.json', (m) => {
    delete m.find((x) => x.aspectName === 'dataFlowInfo')!.aspect.json.name;
  }),
  'an aspect name DataHub does not know': mutate('pipeline.kronodroid-features.json', (m) => {
    m[0]!.aspectName = 'dataFlowInfos';
  }),
  'malformed URN: an unbalanced dataset URN in the lineage': mutate('pipeline.kronodroid-features.json', (m) => {
    const io = m.find((x) => x.aspectName === 'dataJobInputOutput' && x.aspect.json.outputDatasets.length)!;
    io.aspect.json.outputDatasets[0] = io.aspect.json.outputDatasets[0].replace(/\)$/, '');
  }),
  'malformed URN: a name with an unencoded comma': mutate('datasets.json', (m) => {
    m[0]!.entityUrn = m[0]!.entityUrn.replace('kronodroid.', 'kronodroid,');
  }),
  'a fabric DataHub lacks': mutate('datasets.json', (m) => {
    m[0]!.entityUrn = m[0]!.entityUrn.replace(',DEV)', ',STAGING)');
  }),
  'not a list of MCPs': '{"entityUrn": "urn:li:dataset:(urn:li:dataPlatform:iceberg,a.b,DEV)"}',
};
const recipeControl = (change: (r: Json) => void) => {
  const r = parse(trees.dist.get('dev/datahub/recipe.yml')!) as Json;
  change(r);
  return JSON.stringify(r);
};
const RECIPE_CONTROLS: Record<string, string> = {
  'a misspelt source option': recipeControl((r) => {
    r.source.config.paht = r.source.config.path;
    delete r.source.config.path;
  }),
  'a sink DataHub does not have': recipeControl((r) => {
    r.sink.type = 'datahub-rst';
  }),
};

// URN-breaking free text: an owner and tags with DataHub's reserved characters and '%'.
const HOSTILE = { owner: 'ml, (core) team 100%', tag: 'x(1),y%2C', team: 'a,b' };
function hostileModel(): Model {
  const app = testApp(false);
  new Environment(app, 'dev', envProps());
  const table = new IcebergTable(app, 'orders', tableProps({ customer_id: 'string', amount: 'float64' }));
  new FeatureView(app, 'order_stats', {
    source: table,
    entities: [new Entity(app, 'customer', { joinKey: 'customer_id' })],
    features: ['amount'],
    owner: HOSTILE.owner,
    tags: { note: HOSTILE.tag },
  });
  const p = new Pipeline(app, 'p', { tags: [HOSTILE.tag.replace(',', ''), `team:${HOSTILE.team.replace(',', ';')}`] });
  new ContainerStep(p, 'step', { image: IMAGE });
  // Text that breaks naive JSON, YAML or URN handling, as owner, tag and description.
  EXTRA.forEach((x, i) => {
    new FeatureView(app, `v${i}`, {
      source: table,
      entities: [new Entity(app, `e${i}`, { joinKey: 'customer_id' })],
      features: ['amount'],
      owner: x,
      tags: { note: x },
      description: x,
    });
    new ContainerStep(new Pipeline(app, `p${i}`, { description: x }), 'step', { image: IMAGE, description: x });
  });
  return buildModel(app);
}
const EXTRA = [
  'a\nb',
  ' ',
  '\u2028x',
  '"q"',
  '\\',
  '{{ 7*7 }}',
  '${x}',
  '%2C',
  'é🚀👩‍👩‍👧',
  'valueOf',
  '__proto__',
  'team:',
  'team:a(b)',
  'urn:li:corpuser:x',
  '\u241f',
  ':',
  '((',
  '))',
  ',,',
];

let report: Report;
const controlFiles = Object.keys(CONTROLS).map((k, i) => write(`controls/${i}.json`, CONTROLS[k]!));
const hostileFiles = datahubTarget
  .render(hostileModel(), hostileModel().environments[0]!)
  .filter((f) => f.path.endsWith('.json'))
  .map((f) => write(`hostile/${f.path}`, f.content));
const mounts = hooks.map((h) => ({ ...h, ...mount(h.content, h.dir) }));

beforeAll(() => {
  const started = Date.now();
  const recipeControls = Object.values(RECIPE_CONTROLS).map((c, i) => ({
    recipe: write(`recipe-controls/${i}.yml`, c),
    metadata: mounts[0]!.metadata,
  }));
  const request = {
    files: [
      ...mcpFiles.map((f) => f.path),
      ...mounts.flatMap((m) => [...readTree(m.metadata).keys()].map((k) => join(m.metadata, k))),
      ...controlFiles,
      ...hostileFiles,
    ],
    recipes: [...mounts.map((m) => ({ recipe: m.recipe, metadata: m.metadata })), ...recipeControls],
  };
  const r = run(PYTHON, [READ_BACK, write('request.json', JSON.stringify(request))], { timeoutMs: 600_000 });
  if (r.status !== 0) throw new Error(`read_back.py failed (${r.status}):\n${r.stderr}`);
  report = JSON.parse(r.stdout) as Report;
  const files = report.files.slice(0, mcpFiles.length);
  const edges = files.reduce((n, f) => n + f.edges.length, 0);
  console.log(
    `datahub: ${files.reduce((n, f) => n + f.mcps, 0)} MCPs in ${files.length} files read back (dist/ and ` +
      `goldens), ${edges} edges; ` +
      (`${mounts.length} recipes run over their mounted ConfigMaps (` +
        `${report.recipes.slice(0, mounts.length).reduce((n, x) => n + (x.records ?? 0), 0)} records); `) +
      `${controlFiles.length + recipeControls.length} controls; ${Date.now() - started} ms`,
  );
}, 600_000);

const fileReport = (path: string) => report.files.find((f) => f.file === path)!;

describe('every DataHub MCP file is read back by acryl-datahub', () => {
  it('dist/ has the metadata of every environment, and the goldens of every fixture', () => {
    const model = buildModel(buildApp());
    for (const env of model.environments) {
      expect(trees.dist.has(`${env.name}/datahub/metadata/datasets.json`)).toBe(true);
      for (const p of model.pipelines)
        expect(trees.dist.has(`${env.name}/datahub/metadata/pipeline.${p.name}.json`), `${env.name} ${p.name}`).toBe(
          true,
        );
    }
    expect(mcpFiles.filter((f) => f.name.startsWith('golden/')).length).toBeGreaterThan(5);
  });

  for (const f of mcpFiles) {
    it(`${f.name}: read by the file source, validated, and written back byte-equal by DataHub`, () => {
      const r = fileReport(f.path);
      expect(r.errors).toEqual([]);
      expect(r.mcps).toBe((JSON.parse(f.content) as unknown[]).length);
    });
  }

  it('the files as the Job mounts them are the same files, and read back the same', () => {
    for (const m of mounts) {
      for (const [name, content] of readTree(m.metadata)) {
        expect(content, `${m.name} ${name}`).toBe(m.tree.get(`${m.base}/metadata/${name}`));
        expect(fileReport(join(m.metadata, name)).errors).toEqual([]);
      }
    }
  });

  for (const [i, what] of Object.keys(CONTROLS).entries()) {
    it(`control: ${what} is refused by the reader`, () => {
      const r = fileReport(controlFiles[i]!);
      expect(r.ok).toBe(false);
      expect(r.errors.length).toBeGreaterThan(0);
    });
  }
});

/** The edges the model holds for one environment, as `<flow>/<job> <kind> <what>`. */
function modelEdges(model: Model, envName: string): string[] {
  const env = model.environments.find((e) => e.name === envName)!;
  const fabric = fabricOf(env);
  const expected: string[] = [];
  for (const p of model.pipelines) {
    for (const s of p.exitHandler ? [...p.steps, p.exitHandler] : p.steps) {
      const job = `${env.orchestrator},${p.name},${fabric}/${s.name}`;
      for (const d of s.datasets?.reads ?? []) expected.push(`${job} reads ${d.platform}:${d.name}@${fabric}`);
      for (const d of s.datasets?.writes ?? []) expected.push(`${job} writes ${d.platform}:${d.name}@${fabric}`);
      for (const d of s.dependsOn) expected.push(`${job} after ${d}`);
    }
  }
  return expected.sort();
}

/** The edges DataHub read back from the MCP files under `dir`. */
function readEdges(dir: string): string[] {
  return report.files
    .filter((f) => f.file.startsWith(`${dir}/`))
    .flatMap((f) => f.edges)
    .map((e) => {
      const job = `${e.flow.join(',')}/${e.job}`;
      if (e.kind === 'after') {
        expect(e.flow_urn).toBe(`urn:li:dataFlow:(${e.flow.join(',')})`); // the upstream job is in the same flow
        return `${job} after ${e.name}`;
      }
      return `${job} ${e.kind} ${e.platform}:${e.name}@${e.fabric}`;
    })
    .sort();
}

const GOLDEN_APPS: [string, (app: DfpApp) => void][] = [
  ['control-flow', controlFlowApp],
  ['kubeflow-flow', kubeflowFlowApp],
  ['airflow-control-flow', airflowControlFlowApp],
  ['transforms', transformsApp],
  ['features', featuresApp],
];

describe("the lineage DataHub reads back is the model's data flow", () => {
  it("dist/: every step's datasets and dependsOn, per environment, and nothing else", () => {
    const model = buildModel(buildApp());
    for (const env of model.environments) {
      const read = readEdges(join(ROOT, 'dist', env.name, 'datahub'));
      expect(read).toEqual(modelEdges(model, env.name));
      expect(read.length).toBeGreaterThan(5);
    }
  });

  for (const [name, define] of GOLDEN_APPS) {
    it(`golden ${name}: the same, for each of its environments`, () => {
      const app = new DfpApp({ lockFile: FIXTURE_LOCK });
      define(app);
      const model = buildModel(app);
      for (const env of model.environments) {
        const dir = join(ROOT, 'tests', 'golden', name, env.name, 'datahub');
        expect(
          report.files.some((f) => f.file.startsWith(`${dir}/`)),
          `${dir} was read`,
        ).toBe(true);
        expect(readEdges(dir)).toEqual(modelEdges(model, env.name));
      }
    });
  }

  it('control: a model with one read dropped or one dependency added no longer matches what DataHub read', () => {
    const model = structuredClone(buildModel(buildApp())) as Model;
    const read = readEdges(join(ROOT, 'dist', 'dev', 'datahub'));
    const reader = model.pipelines.flatMap((p) => p.steps).find((s) => (s.datasets?.reads.length ?? 0) > 0)!;
    const reads = reader.datasets!.reads;
    (reader.datasets as { reads: unknown[] }).reads = reads.slice(1);
    expect(read).not.toEqual(modelEdges(model, 'dev'));
    (reader.datasets as { reads: unknown[] }).reads = reads;
    expect(read).toEqual(modelEdges(model, 'dev'));
    (reader.dependsOn as string[]).push('not-a-step');
    expect(read).not.toEqual(modelEdges(model, 'dev'));
  });

  it('the transforms golden reads and writes tables, and runs steps after others', () => {
    const read = readEdges(join(ROOT, 'tests', 'golden', 'transforms', 'on-spark', 'datahub'));
    for (const kind of [' reads iceberg:', ' writes iceberg:', ' after '])
      expect(
        read.some((e) => e.includes(kind)),
        kind,
      ).toBe(true);
  });

  it("the model holds the transform's tables and the lineage source table", () => {
    const model = buildModel(buildApp());
    const steps = model.pipelines.flatMap((p) => p.steps.map((s) => [`${p.name}/${s.name}`, s.datasets] as const));
    const transform = steps.find(([path, d]) => path.endsWith('/spark-transform') && (d?.writes.length ?? 0) > 0)!;
    expect(transform[1]!.writes.map((d) => d.name)).toContain('kronodroid.fct_training_dataset');
    const lineage = model.pipelines.flatMap((p) => p.steps).filter((s) => s.lineage);
    expect(lineage.length).toBeGreaterThan(0);
    for (const s of lineage)
      expect(s.datasets?.reads, s.path).toContainEqual({
        platform: 'iceberg',
        name: 'kronodroid.fct_training_dataset',
      });
    for (const [, d] of steps)
      if (d)
        for (const list of [d.reads, d.writes])
          expect(list.map((x) => `${x.platform}\u0000${x.name}`)).toEqual(
            list.map((x) => `${x.platform}\u0000${x.name}`).sort(),
          );
  });

  it('every table is a Dataset with its schema, its fields mapped to DataHub types', () => {
    const model = buildModel(buildApp());
    const datasets = JSON.parse(trees.dist.get('dev/datahub/metadata/datasets.json')!) as Json[];
    for (const t of model.data.tables) {
      const schema = datasets.find(
        (m) =>
          m.aspectName === 'schemaMetadata' &&
          m.entityUrn === `urn:li:dataset:(urn:li:dataPlatform:iceberg,${t.name},DEV)`,
      );
      expect(schema, t.name).toBeDefined();
      expect(schema!.aspect.json.fields.map((f: Json) => f.fieldPath)).toEqual(t.fields.map((f) => f.name));
      const ts = schema!.aspect.json.fields.find((f: Json) => f.fieldPath === t.timestampField);
      expect(ts.type.type).toEqual({ 'com.linkedin.schema.TimeType': {} });
      expect(ts.nullable).toBe(false);
    }
  });
});

describe('URN-breaking free text is encoded as DataHub encodes it, and reads back whole', () => {
  it('owners and tags with , ( ) % parse as URNs and decode to the text as written', () => {
    const decode = (s: string) => s.replace(/%(2C|28|29|25|E2%90%9F)/gi, (m) => decodeURIComponent(m));
    const reports = hostileFiles.map(fileReport);
    for (const r of reports) expect(r.errors).toEqual([]);
    const owners = reports.flatMap((r) => r.owners).map(([, type, id]) => [type, decode(id)]);
    expect(owners).toContainEqual(['corpuser', HOSTILE.owner]);
    expect(owners).toContainEqual(['corpGroup', HOSTILE.team.replace(',', ';')]);
    const tags = reports.flatMap((r) => r.tags).map(([, id]) => decode(id));
    expect(tags).toContain(`note:${HOSTILE.tag}`);
    expect(tags).toContain(HOSTILE.tag.replace(',', ''));
    const asWritten = owners.map(([type, id]) => (type === 'corpGroup' ? `team:${id}` : id));
    for (const x of EXTRA) {
      expect(asWritten, JSON.stringify(x)).toContain(x);
      expect(tags, JSON.stringify(x)).toContain(`note:${x}`);
    }
  });

  it('a dataset name that would split its URN is refused at the step that declares it', () => {
    const model = hostileModel() as Json;
    const bad = structuredClone(model);
    bad.pipelines[0].steps[0].datasets = {
      reads: [{ platform: 'dbt', name: 'shop.orders(v2)' }],
      writes: [{ platform: 'iceberg', name: 'a,b' }],
    };
    // The check reports every such name, before anything is rendered.
    const urn = (name: string, platform: string) => ({
      path: 'p/step',
      message:
        `dataset '${name}' (${platform}) cannot be a DataHub URN: its name must be non-empty and hold none of ` +
        ', ( ) ␟; rename the table, model or resource',
    });
    expect(datahubTarget.check!(bad as Model, bad.environments[0]).filter((p) => p.path === 'p/step')).toEqual([
      urn('shop.orders(v2)', 'dbt'),
      urn('a,b', 'iceberg'),
    ]);
    expect(() => datahubTarget.render(bad as Model, bad.environments[0])).toThrow(
      /dataset 'shop.orders\(v2\)' \(dbt\) cannot be a DataHub URN: .* hold none of , \( \) ␟; rename/,
    );
    try {
      datahubTarget.render(bad as Model, bad.environments[0]);
    } catch (e) {
      expect((e as { path: string }).path).toBe('p/step');
    }
  });

  it('fabrics: a FabricType name as it is, common aliases, NON_PROD otherwise', () => {
    const f = (name: string) => fabricOf({ name });
    expect([
      f('dev'),
      f('prod'),
      f('qa'),
      f('staging'),
      f('production'),
      f('non-prod'),
      f('eu-west'),
      f('valueOf'),
    ]).toEqual(['DEV', 'PROD', 'QA', 'STG', 'PROD', 'NON_PROD', 'NON_PROD', 'NON_PROD']);
  });
});

describe('the recipe and the ingest Job', () => {
  it("every recipe passes DataHub's config models and runs over the mounted files, token from the environment", () => {
    for (const [i, m] of mounts.entries()) {
      const r = report.recipes[i]!;
      expect(r.errors, m.name).toEqual([]);
      expect([r.source, r.sink, r.path, r.token_from_env, r.stateful]).toEqual([
        'file',
        'datahub-rest',
        '/datahub/metadata',
        true,
        true,
      ]);
      const records = [...readTree(m.metadata).values()].reduce((n, c) => n + (JSON.parse(c) as unknown[]).length, 0);
      expect(r.records).toBe(records);
    }
    const model = buildModel(buildApp());
    for (const env of model.environments)
      expect(report.recipes.find((r) => r.recipe.includes(`/dist/${env.name}/`))?.server).toBe(env.endpoints.datahub);
  });

  for (const [i, what] of Object.keys(RECIPE_CONTROLS).entries()) {
    it(`control: a recipe with ${what} is refused by DataHub's config`, () => {
      expect(report.recipes[mounts.length + i]!.ok).toBe(false);
    });
  }

  for (const m of mounts) {
    it(
      `${m.name}: a Sync-hook Job with a pinned image, the token by Secret reference, the ConfigMap a wave ` +
        'earlier',
      () => {
        expect(m.configMap.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('-1');
        expect(m.job.metadata.annotations['argocd.argoproj.io/hook']).toBe('Sync');
        expect(m.job.metadata.annotations['dfp.dev/metadata-sha256']).toBe(
          m.configMap.metadata.annotations['dfp.dev/metadata-sha256'],
        );
        const [container] = m.job.spec.template.spec.containers;
        expect(container.command).toEqual(['datahub', 'ingest', '-c', '/datahub/recipe.yml']);
        // DataHub's ingestion image at its tag; by digest too where the lock pins it (dist/, not the goldens).
        const { tag, digest } = imageTagAndDigest(container.image);
        expect(container.image.split(/[:@]/)[0]).toBe(DATAHUB_IMAGE.split(':')[0]);
        expect(tag).toBe(DATAHUB_IMAGE.split(':')[1]);
        if (digest !== undefined) expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
        const token = container.env.find((e: Json) => e.name === 'DATAHUB_GMS_TOKEN');
        expect(token.value).toBeUndefined();
        expect(token.valueFrom.secretKeyRef.name).toMatch(/^datahub-/);
        expect(m.configMap.data['recipe.yml']).toContain('token: ${DATAHUB_GMS_TOKEN}');
      },
    );
  }

  it('Argo CD syncs only the sync/ folder, never the JSON files', () => {
    for (const env of ['dev', 'prod']) {
      const app = parse(trees.dist.get(`${env}/argocd/apps/datahub.yaml`)!) as Json;
      expect(app.spec.source.path).toBe(`dist/${env}/datahub/sync`);
    }
  });

  it('an environment without endpoints.datahub gets the metadata files only: no recipe, no Job', () => {
    const app = testApp(false);
    new Environment(
      app,
      'offline',
      envProps({ endpoints: { lakefs: 'http://lakefs:8000', mlflow: 'http://mlflow:5000', s3: 'http://minio:9000' } }),
    );
    new ContainerStep(new Pipeline(app, 'p'), 'step', { image: IMAGE });
    const paths = renderAll(buildModel(app), TARGETS)
      .map((f) => f.path)
      .filter((p) => p.includes('datahub'));
    expect(paths).toEqual(['offline/datahub/metadata/datasets.json', 'offline/datahub/metadata/pipeline.p.json']);
  });

  it('the same definitions give the same bytes', () => {
    const a = renderAll(buildModel(buildApp()), TARGETS).filter((f) => f.path.includes('/datahub/'));
    const b = renderAll(buildModel(buildApp()), TARGETS).filter((f) => f.path.includes('/datahub/'));
    expect(a).toEqual(b);
    for (const f of a) expect(f.content, f.path).toBe(trees.dist.get(f.path));
  });

  it('an environment that demands digests refuses the tag-pinned DataHub image, at its path', () => {
    const app = testApp(false);
    new Environment(app, 'strict', envProps({ imageTagPolicy: 'digest' }));
    expect(() => renderAll(buildModel(app), TARGETS)).toThrow(
      new RegExp(
        /strict: cannot render for datahub in environment 'strict': /.source +
          /the DataHub ingest Job's image 'registry.dfp.internal\/dfp\/datahub-ingestion:1.7.0.17' /.source +
          /has no digest/.source,
      ),
    );
  });
});
