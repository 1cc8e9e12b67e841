/**
 * `make e2e`, Airflow: real Airflow (tests/conformance/airflow's locked venv, apache-airflow
 * 3.1.8 + apache-airflow-providers-cncf-kubernetes 10.25.0) runs prod's DAGs
 * (dist/prod/airflow/dags) with `airflow dags test`, every task a KubernetesPodOperator pod
 * on the embedded cluster (docs/cluster.md), in namespace ml-prod under Pod Security
 * `restricted`, as the ServiceAccount and Roles dfp renders.
 *
 * prod's endpoints are external (`https://*.platform.example.com`), so what runs is a variant
 * of prod rendered by `dfp synth` from a copy of the definitions in which only prod's endpoint
 * values are changed to services pods reach here (support/airflow-variant.ts); the first test
 * proves that its dist/prod differs from the committed one by exactly those values. prod's
 * engine is Spark, whose operator cannot be built here: the pipelines with a transform run a
 * second time with the engine line swapped to DataFusion (the one-line change users make),
 * and each recorded run says which engine it used.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { TRANSFORM_LAUNCHER_IMAGE } from '../../constructs/transform-step.ts';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMlflow, type MlflowServer } from '../support/mlflow.ts';
import {
  NODE_IP,
  MINIO_PORT,
  applicableObjects,
  createNamespace,
  deleteNamespace,
  ensureBucket,
  expose,
  kubeconfig,
  kubectl,
  listKeys,
  minioCredentials,
  pinnedImages,
  secret,
  serviceAccount,
  unexpose,
} from './support/airflow-cluster.ts';
import { airflowHome, dagsTest, type AirflowHome, type DagRun } from './support/airflow-run.ts';
import {
  ROOT,
  changedLines,
  endpointOnlyDiff,
  renderVariant,
  type ProdEndpoints,
  type Variant,
} from './support/airflow-variant.ts';
import { clusterLakeFs, seedKronodroid, type ClusterLakeFs } from './support/airflow-lakefs.ts';
import { importPinned } from './support/cluster-images.ts';
import { recordRun } from './support/run-table.ts';

const NAMESPACE = 'ml-prod';
const SERVICE_ACCOUNT = 'dfp-pipelines';
const ARTIFACT_BUCKET = 'dfp-artifacts-prod';
const LOGICAL_DATE = '2026-12-07';

let mlflow: MlflowServer | undefined;
let mlflowPort = 0;
let endpoints: ProdEndpoints;
let spark: Variant;
let datafusion: Variant | undefined;
let airflow: AirflowHome;
let sidecar: string;
let lakefs: ClusterLakeFs | undefined;
const temp: string[] = [];

/** The row `make e2e` prints for one DAG run. */
function record(run: DagRun, engine: string, note?: string): void {
  const states = Object.values(run.tasks);
  recordRun({
    orchestrator: 'airflow',
    environment: 'prod',
    pipeline: run.dagId,
    engine,
    steps: states.length,
    stepsSucceeded: states.filter((s) => s === 'success').length,
    status: run.state,
    seconds: run.seconds,
    note: [`run ${run.runId}`, note].filter(Boolean).join('; '),
  });
}

/** A failed run's story: the task states and the end of Airflow's output. */
function explain(run: DagRun): string {
  const lines = run.log.split('\n');
  const telling = lines
    .filter((l) => /\[base\]|\[dfp-artifacts|Event: (Failed|Error)|Error: |Exception: /.test(l))
    .slice(0, 40);
  return (
    `${run.dagId}: ${JSON.stringify(run.tasks)}; exit ${run.exitCode}; log ${run.logFile}\n${telling.join('\n')}` +
    `\n…\n${lines.slice(-15).join('\n')}`
  );
}

describe.skipIf(process.env.DFP_E2E !== '1')('Airflow runs prod (dist/prod up to its endpoints) on the cluster', () => {
  beforeAll(async () => {
    // The cluster's own lakeFS, MLflow and MinIO Services (scripts/cluster/up runs them under
    // the names dev's endpoints use) when it has them; otherwise MinIO at the bridge address
    // and an MLflow of our own on loopback, exposed to pods there. Never an outside address.
    lakefs = clusterLakeFs();
    if (lakefs) {
      endpoints = {
        s3: 'http://minio.minio.svc.cluster.local:9000',
        mlflow: 'http://mlflow.mlflow.svc.cluster.local:5000',
        lakefs: lakefs.clusterEndpoint,
      };
    } else {
      mlflow = await startMlflow();
      mlflowPort = Number(new URL(mlflow.trackingUri).port);
      expose(mlflowPort);
      endpoints = {
        s3: `http://${NODE_IP}:${MINIO_PORT}`,
        mlflow: `http://${NODE_IP}:${mlflowPort}`,
        lakefs: `http://${NODE_IP}:8000`,
      };
    }
    spark = renderVariant({ endpoints, engine: 'spark' });
    temp.push(spark.dir);
    // prod with its engine line swapped to DataFusion (the one-line change users make).
    datafusion = renderVariant({ endpoints, engine: 'datafusion' });
    temp.push(datafusion.dir);

    createNamespace(NAMESPACE);
    // What the platform provides and dfp only references: the ServiceAccount pods run as and
    // the Secrets (docs/security.md: dfp renders Secret references, never values).
    serviceAccount(NAMESPACE, SERVICE_ACCOUNT);
    const minio = minioCredentials();
    for (const name of ['minio-credentials', 'object-store-credentials'])
      secret(NAMESPACE, name, { accesskey: minio.user, secretkey: minio.password });
    ensureBucket(ARTIFACT_BUCKET);
    if (lakefs)
      secret(NAMESPACE, 'lakefs-credentials', {
        access_key_id: lakefs.accessKeyId,
        secret_access_key: lakefs.secretAccessKey,
      });
    // The DataFusion variant's objects: the same as prod's (ConfigMaps, the launcher's Role)
    // plus the transform's run template, a suspended Job, instead of the SparkApplication.
    const objects = applicableObjects(join(datafusion.dist, 'prod'));
    kubectl(['apply', '--server-side', '-f', '-'], objects.yaml);
    console.log(`airflow e2e: applied dist/prod's (DataFusion) ${JSON.stringify(objects.kinds)} in ${NAMESPACE}`);
    const refs = importPinned([
      ...pinnedImages(join(spark.dist, 'prod')),
      ...pinnedImages(join(datafusion.dist, 'prod')),
    ]);
    if (refs.missing.length)
      console.log(
        `airflow e2e: not in the cluster with the digest dist/ pins: ${refs.missing.join(', ')}\n${refs.message}`,
      );
    if (refs.imported.length) console.log(`airflow e2e: imported ${refs.imported.join(', ')}`);
    const lock = JSON.parse(readFileSync(join(ROOT, 'dfp.lock.json'), 'utf8')) as {
      images: Record<string, { digest: string }>;
    };
    sidecar = `${TRANSFORM_LAUNCHER_IMAGE}@${lock.images[TRANSFORM_LAUNCHER_IMAGE]!.digest}`;
    importPinned([sidecar]);
    airflow = airflowHome(join(spark.dist, 'prod', 'airflow', 'dags'), kubeconfig(), sidecar);
    temp.push(airflow.home);
  });

  afterAll(async () => {
    deleteNamespace(NAMESPACE);
    if (mlflowPort) unexpose(mlflowPort);
    await mlflow?.stop();
    if (process.env.DFP_E2E_KEEP !== '1') for (const d of temp) rmSync(d, { recursive: true, force: true });
  });

  it(
    "the variant's definitions change only prod's endpoint values, and its dist/prod differs from the committed " +
      'dist/prod only there',
    () => {
      const defs = changedLines(spark.originalEnvironments, spark.environments);
      expect(defs).not.toBe('line counts differ');
      expect((defs as { from: string }[]).map((d) => d.from.trim().split(':')[0])).toEqual(['lakefs', 'mlflow', 's3']);
      const diff = endpointOnlyDiff(join(spark.dist, 'prod'), join(ROOT, 'dist', 'prod'), endpoints);
      expect(diff.problems).toEqual([]);
      expect(diff.changed).toBeGreaterThan(0);
      console.log(
        `airflow e2e: the variant's dist/prod differs from dist/prod in ${diff.changed} lines, each an endpoint value`,
      );
      // Control: one more change in a DAG (its namespace) is found.
      const control = mkdtempSync(join(tmpdir(), 'dfp-e2e-control-'));
      temp.push(control);
      const dags = join(spark.dist, 'prod', 'airflow', 'dags');
      for (const f of readdirSync(dags).filter((x) => x.endsWith('.py'))) {
        const text = readFileSync(join(dags, f), 'utf8');
        writeFileSync(
          join(control, f),
          f === 'iris.py' ? text.replace('namespace="ml-prod"', 'namespace="ml-prod-2"') : text,
        );
      }
      const refused = endpointOnlyDiff(control, join(ROOT, 'dist', 'prod', 'airflow', 'dags'), endpoints);
      expect(refused.problems.join('\n')).toMatch(/^iris\.py:\d+: not an endpoint change/);
      // The DataFusion variant: the same three lines and prod's engine line, nothing else.
      const swapped = changedLines(datafusion!.originalEnvironments, datafusion!.environments);
      expect(swapped).not.toBe('line counts differ');
      expect((swapped as { from: string; to: string }[]).map((d) => d.to.trim())).toEqual([
        "engine: 'datafusion',",
        `lakefs: '${endpoints.lakefs}',`,
        `mlflow: '${endpoints.mlflow}',`,
        `s3: '${endpoints.s3}',`,
      ]);
    },
  );

  it(
    'iris: every task succeeds; its artifacts pass through MinIO, moved by the init container and sidecar dfp ' +
      'renders',
    async () => {
      const run = await dagsTest(airflow, 'iris', LOGICAL_DATE, { mlflow_tracking_uri: endpoints.mlflow });
      record(run, '-');
      expect(run.tasks, explain(run)).toEqual({
        'process-data': 'success',
        train: 'success',
        'batch-inference': 'success',
      });
      expect(run.state).toBe('success');
      // The artifacts the sidecar uploaded, under the keys the DAG's annotations name.
      const keys = listKeys(ARTIFACT_BUCKET, `pipelines/iris/${run.runId}/`);
      expect(keys.some((k) => k.includes('/process-data/dataset'))).toBe(true);
      expect(keys.some((k) => k.includes('/batch-inference/predictions'))).toBe(true);
      // Pods ran as the ServiceAccount dfp renders, and none is left behind.
      const left = kubectl(['get', 'pods', '-n', NAMESPACE, '-l', 'dag_id=iris', '-o', 'name']).trim();
      expect(left).toBe('');
    },
  );

  it.skipIf(!clusterLakeFs())(
    'kronodroid-features, engine swapped to DataFusion: dlt load, the transform as a Job copied by the ' +
      'launcher under the Role dfp renders, dbt build, lakeFS commit and merge',
    async () => {
      // The launcher's pod waits beside the Job it starts: both must fit the node at once, or the
      // Job's pod stays Pending until the step's timeout (two hours). Said now, with the numbers.
      const cpu = (q: string) => (q.endsWith('m') ? Number(q.slice(0, -1)) / 1000 : Number(q));
      const job = JSON.parse(kubectl(['get', 'job', '-n', NAMESPACE, 'kronodroid-iceberg', '-o', 'json'])) as {
        spec: { template: { spec: { containers: { resources?: { requests?: Record<string, string> } }[] } } };
      };
      const jobCpu = job.spec.template.spec.containers.reduce((n, c) => n + cpu(c.resources?.requests?.cpu ?? '0'), 0);
      const nodes = JSON.parse(kubectl(['get', 'nodes', '-o', 'json'])) as {
        items: { status: { allocatable: Record<string, string> } }[];
      };
      const allocatable = Math.max(...nodes.items.map((n) => cpu(n.status.allocatable.cpu ?? '0')));
      const launcherCpu = 0.1;
      expect(
        jobCpu + launcherCpu,
        `the transform's Job requests ${jobCpu} CPU and its launcher's pod ${launcherCpu}; the largest node ` +
          `has ${allocatable} allocatable, so the Job could never be scheduled while its launcher waits`,
      ).toBeLessThanOrEqual(allocatable);
      const branch = `airflow-e2e-${Date.now().toString(36)}`;
      const seeded = await seedKronodroid(lakefs!, 'kronodroid', 40, branch);
      const df = airflowHome(join(datafusion!.dist, 'prod', 'airflow', 'dags'), kubeconfig(), sidecar);
      temp.push(df.home);
      const run = await dagsTest(df, 'kronodroid-features', LOGICAL_DATE, {
        target_branch: branch,
        run_transform: true,
      });
      record(run, 'datafusion', `${seeded.rows} landing CSV rows; lakeFS branch ${branch}`);
      expect(run.tasks, explain(run)).toEqual({
        'dlt-load': 'success',
        'spark-transform': 'success',
        'dbt-build': 'success',
        'lakefs-commit-merge': 'success',
      });
      expect(run.state).toBe('success');
      // The transform ran as a copy of the suspended Job template (not a SparkApplication).
      expect(run.log).toMatch(/started Job ml-prod\/kronodroid-iceberg-/);
      // The merge moved main past the seeded landing commit.
      expect(await lakefs!.client.resolveBranch('kronodroid', 'main')).not.toBe(seeded.commit);
    },
  );
});
