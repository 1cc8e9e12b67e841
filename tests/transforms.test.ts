/**
 * Transforms and their engines:
 * - every SparkApplication in dist/ and in the golden fixture passes the Spark Operator's
 *   API models (kubeflow-spark-api 2.4.0) strictly, and mutated copies are refused;
 * - the DataFusion Jobs and both engines' RBAC pass the Kubernetes 1.28 schema strictly;
 * - switching one environment to `engine: 'datafusion'` changes only that environment's
 *   engine folder (spark/ -> datafusion/) and its Argo CD Application for it;
 * - mistakes are reported with the construct path.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import {
  ContainerStep,
  Environment,
  IcebergTable,
  Pipeline,
  Transform,
  TransformCode,
  TransformStep,
  type EnvironmentProps,
} from '../constructs/index.ts';
import { DfpApp } from '../app/dfp-app.ts';
import { buildModel } from '../constructs/model/build.ts';
import { DfpError } from '../constructs/model/errors.ts';
import { buildApp } from '../main.ts';
import { renderAll } from '../synth/render.ts';
import { readTree } from '../synth/writer.ts';
import { TARGETS } from '../targets/index.ts';
import { CREDENTIALS, IMAGES, tableProps, transformsApp } from './fixtures/transforms.ts';
import { envProps, FIXTURE_LOCK, modelOrError, testApp } from './support/fixtures.ts';
import { validateKubernetes } from './support/kubernetes.ts';
import { ROOT } from './support/process.ts';
import { validateSparkApplications } from './support/spark-operator.ts';

type Json = Record<string, any>;

/** Every document of every YAML file under `root` whose path matches. */
function documents(root: string, label: string, match: RegExp): Map<string, Json> {
  const out = new Map<string, Json>();
  for (const [path, content] of readTree(root)) {
    if (!match.test(path)) continue;
    parseAllDocuments(content).forEach((d, i) => out.set(`${label}/${path}#${i}`, d.toJS() as Json));
  }
  return out;
}

const failures = (rs: readonly { name: string; ok: boolean; path: string | null; error: string | null }[]) =>
  rs
    .filter((r) => !r.ok)
    .map((r) => `${r.name} ${r.path}: ${r.error}`)
    .join('\n');

describe('SparkApplications pass the Spark Operator API models, strictly', () => {
  const apps = new Map([
    ...documents(join(ROOT, 'dist'), 'dist', /^[^/]+\/spark\/applications\//),
    ...documents(join(ROOT, 'tests', 'golden', 'transforms'), 'golden', /^[^/]+\/spark\/applications\//),
  ]);
  const results = validateSparkApplications([...apps].map(([name, object]) => ({ name, object })));

  it("finds Kronodroid's in every environment and the fixture's SQL and entrypoint transforms", () => {
    expect([...apps.keys()]).toEqual(
      expect.arrayContaining([
        'dist/dev/spark/applications/kronodroid-iceberg.yaml#0',
        'dist/prod/spark/applications/kronodroid-iceberg.yaml#0',
        'golden/on-spark/spark/applications/join-orders.yaml#0',
        'golden/on-spark/spark/applications/load-orders.yaml#0',
      ]),
    );
  });

  it('every one is valid', () => {
    expect(results).toHaveLength(apps.size);
    expect(failures(results)).toBe('');
  });

  it('carries Avro tables, the lakeFS catalog, pinned packages and Secret references only', () => {
    const app = apps.get('dist/dev/spark/applications/kronodroid-iceberg.yaml#0')!;
    expect(app.spec.sparkConf['spark.sql.catalog.lakefs.table-override.write.format.default']).toBe('avro');
    expect(app.spec.sparkConf['spark.sql.catalog.lakefs.warehouse']).toBe('s3a://kronodroid/main/warehouse');
    expect(app.spec.hadoopConf['fs.s3a.endpoint']).toBe('http://lakefs.lakefs.svc.cluster.local:8000');
    // The jars come with the image (on the classpath), never from Maven at start-up.
    const packages = app.metadata.annotations['dfp.dev/spark-packages'].split(',');
    expect(packages.every((p: string) => /^[\w.-]+:[\w.-]+:\d+\.\d+\.\d+$/.test(p))).toBe(true);
    expect(app.spec.deps).toBeUndefined();
    expect(Object.keys(app.spec.sparkConf).filter((k) => k.startsWith('spark.jars'))).toEqual([]);
    expect(app.spec.sparkConf['spark.driver.extraClassPath']).toBe('/opt/dfp/jars/*');
    expect(app.spec.sparkConf['spark.executor.extraClassPath']).toBe('/opt/dfp/jars/*');
    expect(app.spec.suspend).toBe(true);
    // The only env: lakeFS's S3 keys, each a Secret reference (a literal value or another variable fails).
    const secretRef = (name: string, key: string) => ({
      name,
      valueFrom: { secretKeyRef: { name: 'lakefs-credentials', key } },
    });
    for (const role of ['driver', 'executor']) {
      expect(app.spec[role].env).toEqual([
        secretRef('AWS_ACCESS_KEY_ID', 'access_key_id'),
        secretRef('AWS_SECRET_ACCESS_KEY', 'secret_access_key'),
      ]);
    }
  });

  it('refuses an unknown field, a misspelt field, a wrong type and a missing required field', () => {
    const app = apps.get('dist/dev/spark/applications/kronodroid-iceberg.yaml#0')!;
    const mutate = (change: (o: Json) => void) => {
      const copy = structuredClone(app);
      change(copy);
      return copy;
    };
    const [unknown, misspelt, wrongType, missing, snake] = validateSparkApplications([
      {
        name: 'unknown',
        object: mutate((o) => {
          o.spec.driver.gpuCount = 1;
        }),
      },
      {
        name: 'misspelt',
        object: mutate((o) => {
          o.spec.sparkConfig = o.spec.sparkConf;
          delete o.spec.sparkConf;
        }),
      },
      {
        name: 'wrongType',
        object: mutate((o) => {
          o.spec.executor.instances = 'two';
        }),
      },
      {
        name: 'missing',
        object: mutate((o) => {
          delete o.spec.sparkVersion;
        }),
      },
      {
        name: 'snake',
        object: mutate((o) => {
          o.spec.main_application_file = o.spec.mainApplicationFile;
          delete o.spec.mainApplicationFile;
        }),
      },
    ]);
    expect(unknown).toMatchObject({ ok: false, path: 'spec.driver.gpuCount' });
    expect(misspelt).toMatchObject({ ok: false, path: 'spec.sparkConfig' });
    expect(wrongType).toMatchObject({ ok: false, path: 'spec.executor.instances' });
    expect(missing).toMatchObject({ ok: false, path: 'spec.sparkVersion' });
    expect(snake).toMatchObject({ ok: false, path: 'spec.main_application_file' });
  });
});

describe("the engines' Kubernetes objects pass the Kubernetes schema, strictly", () => {
  const objects = new Map([
    ...documents(join(ROOT, 'dist'), 'dist', /^[^/]+\/(spark\/rbac|datafusion\/.*)\.yaml$/),
    ...documents(join(ROOT, 'tests', 'golden', 'transforms'), 'golden', /^[^/]+\/(spark\/rbac|datafusion\/.*)\.yaml$/),
  ]);

  it("finds the Jobs (staging's Kronodroid transform and the fixture's two) and the Roles and RoleBindings", () => {
    const kinds = [...objects.values()].map((o) => o.kind);
    expect(objects.get('dist/staging/datafusion/jobs/kronodroid-iceberg.yaml#0')?.kind).toBe('Job');
    expect(kinds.filter((k) => k === 'Job')).toHaveLength(3);
    expect(kinds.filter((k) => k === 'Role').length).toBeGreaterThanOrEqual(3);
    expect(kinds.filter((k) => k === 'RoleBinding').length).toBeGreaterThanOrEqual(3);
  });

  it('every one is valid', () => {
    expect(failures(validateKubernetes([...objects].map(([name, object]) => ({ name, object }))))).toBe('');
  });

  it(
    "staging's DataFusion Job carries what the platform needs: Avro tables, the lakeFS warehouse, its lakeFS, " +
      'Secret references only',
    () => {
      const container = objects.get('dist/staging/datafusion/jobs/kronodroid-iceberg.yaml#0')!.spec.template.spec
        .containers[0];
      const env = Object.fromEntries((container.env as Json[]).map((e) => [e.name, e.value ?? e.valueFrom]));
      expect(env.DFP_WRITE_FORMAT).toBe('avro');
      expect(env.DFP_WAREHOUSE).toBe('s3://kronodroid/main/warehouse');
      expect(env.AWS_ENDPOINT_URL).toBe('http://lakefs.lakefs-staging.svc.cluster.local:8000');
      expect(env.AWS_SECRET_ACCESS_KEY.secretKeyRef).toEqual({ name: 'lakefs-credentials', key: 'secret_access_key' });
      expect(container.image).toMatch(/kronodroid-datafusion:\d+\.\d+\.\d+(@sha256:[0-9a-f]{64})?$/);
    },
  );
});

describe('switching one environment to DataFusion changes only its transform output', () => {
  // The real app, once as committed and once with prod's engine line changed.
  const render = (swap: boolean) => {
    const distDir = join(mkdtempSync(join(tmpdir(), 'dfp-swap-')), 'dist');
    const app = buildApp({ distDir });
    if (swap) {
      const prod = app.node.findAll().find((c): c is Environment => c instanceof Environment && c.node.id === 'prod')!;
      (prod as { props: EnvironmentProps }).props = { ...prod.props, engine: 'datafusion' };
    }
    app.synth();
    return readTree(distDir);
  };
  const before = render(false);
  const after = render(true);
  const changed = [...new Set([...before.keys(), ...after.keys()])]
    .filter((p) => before.get(p) !== after.get(p))
    .sort();

  it('spark/ becomes datafusion/ in prod, with its Argo CD Application; nothing else changes', () => {
    expect(changed).toEqual([
      'prod/argocd/apps/datafusion.yaml',
      'prod/argocd/apps/spark.yaml',
      'prod/datafusion/jobs/kronodroid-iceberg.yaml',
      'prod/datafusion/rbac.yaml',
      'prod/spark/applications/kronodroid-iceberg.yaml',
      'prod/spark/rbac.yaml',
    ]);
    expect(after.has('prod/spark/applications/kronodroid-iceberg.yaml')).toBe(false);
    expect(before.has('prod/datafusion/jobs/kronodroid-iceberg.yaml')).toBe(false);
  });

  it('the pipeline step runs the transform by the same name on either engine', () => {
    const job = parse(after.get('prod/datafusion/jobs/kronodroid-iceberg.yaml')!);
    const app = parse(before.get('prod/spark/applications/kronodroid-iceberg.yaml')!);
    expect(job.metadata.name).toBe(app.metadata.name);
    expect(after.get('prod/airflow/dags/kronodroid-features.py')).toContain('"kronodroid-iceberg"');
  });
});

describe('transform mistakes are reported with the construct path', () => {
  const messages = (define: (app: DfpApp) => void, env: Partial<EnvironmentProps> = {}): string[] => {
    const app = testApp(false);
    new Environment(app, 'test', envProps(env));
    define(app);
    const r = modelOrError(app);
    return r instanceof DfpError ? r.problems.map((p) => `${p.path}: ${p.message}`) : [];
  };
  const table = (app: DfpApp, id: string, fields: Record<string, string> = { id: 'string' }) =>
    new IcebergTable(app, id, tableProps(fields));
  const base = { code: TransformCode.entrypoint('/opt/test/job.py'), images: IMAGES, credentials: CREDENTIALS };

  it('a valid transform and step build', () => {
    expect(
      messages((app) => {
        const t = new Transform(app, 'ok', { ...base, outputs: [table(app, 'a')] });
        new TransformStep(new Pipeline(app, 'p'), 'run', { transform: t });
      }),
    ).toEqual([]);
    const app = new DfpApp({ lockFile: FIXTURE_LOCK });
    transformsApp(app);
    expect(buildModel(app).pipelines[0]!.steps.map((s) => s.transform)).toEqual(['load-orders', 'join-orders']);
  });

  it('an output that is not an IcebergTable, a table of another app, no outputs', () => {
    const other = testApp(false);
    const foreign = table(other, 'foreign');
    expect(
      messages((app) => {
        new Transform(app, 'not-a-table', {
          ...base,
          outputs: [new ContainerStep(app, 'x', { image: IMAGES.spark }) as unknown as IcebergTable],
        });
        new Transform(app, 'unknown-table', { ...base, outputs: [foreign] });
        new Transform(app, 'nothing', { ...base, outputs: [] });
      }).sort(),
    ).toEqual([
      'not-a-table: outputs[0] is not an IcebergTable; pass the table construct (new IcebergTable(...))',
      'nothing: outputs: name at least one IcebergTable the transform writes',
      "unknown-table: outputs[0] 'foreign' is not a table of this app; create it under the same app",
      // The step passed as an output sits outside any pipeline, which is refused too (rules-usability.ts).
      'x: this step is created under the app, so no orchestrator would run it; create it in a Pipeline (new ' +
        "ContainerStep(pipeline, 'x', {...})) or in a Condition or ParallelFor of one",
    ]);
  });

  it(
    'an engine without an image, an unpinned image, a table written twice, two locations, a reserved key, a bad ' +
      'name',
    () => {
      const problems = messages(
        (app) => {
          const a = table(app, 'a');
          const elsewhere = new IcebergTable(app, 'b', { ...tableProps({ id: 'string' }), ref: { branch: 'dev' } });
          new Transform(app, 'spark-only', { ...base, images: { spark: IMAGES.spark }, outputs: [a] });
          new Transform(app, 'latest', {
            ...base,
            images: { datafusion: 'registry.dfp.internal/test/datafusion:latest' },
            outputs: [table(app, 'c')],
          });
          new Transform(app, 'again', { ...base, outputs: [a] });
          new Transform(app, 'two-places', {
            ...base,
            inputs: [elsewhere],
            outputs: [table(app, 'd')],
            sparkConf: { 'spark.sql.catalog.lakefs.type': 'rest' },
          });
          new Transform(app, 'Bad_Name', { ...base, outputs: [table(app, 'e')] });
        },
        { engine: 'datafusion' },
      );
      expect(problems).toEqual(
        expect.arrayContaining([
          "spark-only: environment 'test' runs transforms on datafusion, but this transform has an image for " +
            "spark only; add images.datafusion or change the environment's engine",
          "latest: images.datafusion: image 'registry.dfp.internal/test/datafusion:latest' is not pinned, but " +
            "environment 'test' forbids untagged and ':latest' images (imageTagPolicy 'no-latest'); give it a " +
            'version tag or a digest',
          'again: output shop.a is also written by spark-only; let one transform own each table',
          'two-places: shop.d is in catalog lakefs in lakeFS shop@main but shop.b is in lakefs in lakeFS ' +
            'shop@dev; a transform works in one catalog and lakeFS location, so split it',
          "two-places: sparkConf 'spark.sql.catalog.lakefs.type' is set by dfp (catalog, S3A, the image's jars); " +
            'leave it out',
        ]),
      );
      expect(problems.some((p) => p.startsWith("Bad_Name: transform name 'Bad_Name' must be a DNS-1123 label"))).toBe(
        true,
      );
      expect(problems).toHaveLength(6);
    },
  );

  it('empty SQL, a relative entrypoint, a table both read and written, bad sizes and secrets', () => {
    expect(
      messages((app) => {
        const a = table(app, 'a');
        new Transform(app, 'empty-sql', {
          ...base,
          code: TransformCode.sql({ 'shop.b': ' ', 'shop.x': 'SELECT 1' }),
          outputs: [table(app, 'b'), table(app, 'f')],
        });
        new Transform(app, 'relative', {
          ...base,
          code: TransformCode.entrypoint('job.py'),
          outputs: [table(app, 'c')],
        });
        new Transform(app, 'in-place', { ...base, inputs: [a], outputs: [a] });
        new Transform(app, 'sizes', {
          ...base,
          outputs: [table(app, 'd')],
          resources: { driver: { memory: '2GB' }, executors: { instances: 0 } },
          retries: -1,
          credentials: { ...CREDENTIALS, secretAccessKey: { secret: 'Lakefs', key: 'a/b' } },
        });
      }),
    ).toEqual([
      'empty-sql: code: the query for shop.b is empty',
      "empty-sql: code: a query for 'shop.x', which is not an output; key each query by an output's " +
        'namespace.table (shop.b, shop.f)',
      'empty-sql: code: no query for output shop.f; give one SELECT per output table',
      "relative: code: entrypoint 'job.py' must be an absolute path in the image ('/opt/dfp/job.py') or a " +
        'local:/// or s3a:// URI',
      'in-place: shop.a is both an input and an output; a transform reads one version of a table and writes ' +
        'the next, so list it once, as an output',
      "sizes: credentials secret 'Lakefs' must be a DNS-1123 subdomain: lower-case letters, digits, '-' and " +
        "'.' (e.g. 'lakefs')",
      "sizes: key 'a/b' of secret 'Lakefs' may only hold letters, digits, '-', '_' and '.'",
      'sizes: resources.executors.instances 0 must be a whole number of at least 1',
      'sizes: retries -1 must be a whole number of at least 0',
      "sizes: resources.driver.memory '2GB' is not a Kubernetes quantity; write it like '2Gi'",
    ]);
  });

  it('renders every transform on the engine its environment chose', () => {
    const app = new DfpApp({ lockFile: FIXTURE_LOCK });
    transformsApp(app);
    const paths = renderAll(buildModel(app), TARGETS)
      .map((f) => f.path)
      .filter((p) => /\/(spark|datafusion)\//.test(p));
    expect(paths).toEqual([
      'on-datafusion/datafusion/jobs/join-orders.yaml',
      'on-datafusion/datafusion/jobs/load-orders.yaml',
      'on-datafusion/datafusion/rbac.yaml',
      'on-spark/spark/applications/join-orders.yaml',
      'on-spark/spark/applications/load-orders.yaml',
      'on-spark/spark/rbac.yaml',
    ]);
  });
});
