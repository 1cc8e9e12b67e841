/**
 * `make e2e`, Spark (issue 25): the Spark step of kronodroid-features run for real in its
 * image on the embedded cluster, without the Spark operator (its Go modules are refused, so
 * a SparkApplication cannot run as an object here).
 *
 * The driver runs as a Pod built from dev's rendered SparkApplication
 * (dist/dev/spark/applications/kronodroid-iceberg.yaml; dev is the Spark environment whose
 * endpoints the embedded cluster serves under their own names) by tests/support/spark-application.ts:
 * its image by digest, the spark-submit command line the operator would give the driver
 * (mainApplicationFile, arguments, every sparkConf and hadoopConf entry, the driver's
 * memory and cores), the driver's env (Secret references), ServiceAccount, labels and
 * security contexts, in a namespace that enforces Pod Security `restricted`; then the run's
 * arguments the transform launcher appends (`--branch B --enabled true`). The one
 * difference from an operator run: the executors are threads of the driver's JVM
 * (local[instances × cores]), not pods. The jars come from the image (/opt/dfp/jars on the
 * rendered classpath): the pod has no route to Maven, and the application asks it nothing.
 *
 * Its input is what the step before it writes: synthetic landing CSVs on a branch of this
 * run in the cluster's lakeFS (repository kronodroid), loaded on that branch by the dlt load
 * (images/dlt-runner/run_load.py in its locked venv, with dist/dev's dlt config, against
 * lakeFS at the bridge address). The row of the `make e2e` table says
 * engine=spark(in-image, no operator).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { driverPod, localThreads, type SparkApplication } from '../support/spark-application.ts';
import { LakeFsError } from '../../lakefs/client.ts';
import { clusterLakeFs, type ClusterLakeFs } from './support/airflow-lakefs.ts';
import { createNamespace, deleteNamespace, secret, serviceAccount } from './support/airflow-cluster.ts';
import { importPinned } from './support/cluster-images.ts';
import { getJson, kubectl, waitFor } from './support/kube.ts';
import { recordRun } from './support/run-table.ts';

const ROOT = join(import.meta.dirname, '..', '..');
// dev: the Spark environment whose endpoints this cluster serves under their own names
// (lakefs.lakefs.svc.cluster.local); prod's are external (https://*.platform.example.com),
// and a driver given them retries an unresolvable host for many minutes.
const ENV = 'dev';
const NS = 'dfp-e2e-spark';
const REPO = 'kronodroid';
const POD = 'kronodroid-iceberg-driver';
const APP_FILE = join(ROOT, 'dist', ENV, 'spark', 'applications', 'kronodroid-iceberg.yaml');
const TABLES = [
  'stg_kronodroid.emulator_samples',
  'stg_kronodroid.real_device_samples',
  'kronodroid.fct_training_dataset',
];

interface PodStatus {
  status?: {
    phase?: string;
    startTime?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }[];
    containerStatuses?: { state?: { terminated?: { exitCode: number; reason?: string } } }[];
  };
}

let lakefs: ClusterLakeFs | undefined;
let branch = '';
const temp: string[] = [];

/**
 * A branch of this run from main with its own synthetic landing CSVs (dfp_tools, `samples`
 * samples) under landing/kronodroid: other suites land theirs on main at the same time, so
 * the input is counted on the branch, not on main. Returns the CSV row count.
 */
async function seedBranch(lake: ClusterLakeFs, target: string, samples: number): Promise<{ rows: number }> {
  const exists = await lake.client.getRepository(REPO).then(
    () => true,
    (e) => {
      if (e instanceof LakeFsError && e.reason === 'not-found') return false;
      throw e;
    },
  );
  if (!exists) await lake.client.createRepository(REPO, `${lake.blockstore}/${REPO}`, 'main');
  await lake.client.createBranch(REPO, target, 'main');
  const dir = mkdtempSync(join(tmpdir(), 'dfp-e2e-spark-landing-'));
  temp.push(dir);
  const out = execFileSync(
    'python3',
    ['-m', 'dfp_tools.kronodroid_synthetic', '--out', dir, '--samples', String(samples), '--seed', '11'],
    {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PYTHONPATH: join(ROOT, 'images', 'dfp_tools') },
    },
  );
  const files = (JSON.parse(out) as { files: Record<string, number> }).files;
  // main may hold landing files other suites merged (other sample counts, other names): the
  // branch keeps only this run's, so the rows the transform reads are the rows counted here.
  for (const o of await lake.client.listObjects(REPO, target, 'landing/kronodroid/'))
    if (!Object.hasOwn(files, o.path.slice("landing/kronodroid/".length))) await deleteObject(lake, target, o.path);
  for (const f of Object.keys(files))
    await lake.client.upload(REPO, target, `landing/kronodroid/${f}`, readFileSync(join(dir, f)));
  return { rows: Object.values(files).reduce((a, b) => a + b, 0) };
}

function lakeFsAuth(lake: ClusterLakeFs): string {
  return 'Basic ' + Buffer.from(`${lake.accessKeyId}:${lake.secretAccessKey}`).toString('base64');
}

async function deleteObject(lake: ClusterLakeFs, target: string, path: string): Promise<void> {
  const url = `${lake.endpoint}/api/v1/repositories/${REPO}/branches/${target}/objects?path=${encodeURIComponent(path)}`;
  const r = await fetch(url, { method: 'DELETE', headers: { authorization: lakeFsAuth(lake) } });
  if (r.status !== 204) throw new Error(`lakeFS DELETE ${path} on ${target}: ${r.status} ${await r.text()}`);
}

/** The dlt load of kronodroid-features (the step before the transform) on `branch`, from the host. */
function dltLoad(lake: ClusterLakeFs, target: string): { status: number | null; stderr: string } {
  const venv = join(ROOT, 'images', 'dlt-runner', '.venv');
  const env = spawnSync(join(ROOT, 'scripts', 'python-env.sh'), [join(ROOT, 'images', 'dlt-runner')], {
    encoding: 'utf8',
    timeout: 40 * 60_000,
  });
  if (env.status !== 0) throw new Error(`scripts/python-env.sh images/dlt-runner failed: ${env.stderr}`);
  const project = mkdtempSync(join(tmpdir(), 'dfp-e2e-dlt-'));
  temp.push(project);
  mkdirSync(join(project, '.dlt'));
  writeFileSync(
    join(project, '.dlt', 'config.toml'),
    readFileSync(join(ROOT, 'dist', ENV, 'dlt', 'kronodroid-features', 'dlt-load', 'config.toml')),
  );
  const r = spawnSync(join(venv, 'bin', 'python'), [join(ROOT, 'images', 'dlt-runner', 'run_load.py')], {
    cwd: project,
    encoding: 'utf8',
    timeout: 900_000,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: project,
      TZ: 'UTC',
      PYTHONPATH: join(ROOT, 'images', 'dfp_tools'),
      DLT_PROJECT_DIR: project,
      DLT_DATA_DIR: join(project, 'data'),
      RUNTIME__DLTHUB_TELEMETRY: 'false',
      DESTINATION__FILESYSTEM__BUCKET_URL: `s3://${REPO}/${target}/warehouse`,
      DESTINATION__FILESYSTEM__CREDENTIALS__AWS_ACCESS_KEY_ID: lake.accessKeyId,
      DESTINATION__FILESYSTEM__CREDENTIALS__AWS_SECRET_ACCESS_KEY: lake.secretAccessKey,
      DFP__S3__ENDPOINT_URL: lake.endpoint,
      DFP__SOURCE__BUCKET_URL: `s3://${REPO}/${target}/landing/kronodroid`,
    },
  });
  return { status: r.status, stderr: r.stderr ?? '' };
}

describe.skipIf(process.env.DFP_E2E !== '1')(
  "Spark: dev's kronodroid-iceberg SparkApplication, its driver as a Pod in its image on the cluster",
  () => {
    const app = parse(readFileSync(APP_FILE, 'utf8')) as SparkApplication;

    beforeAll(() => {
      lakefs = clusterLakeFs();
      createNamespace(NS);
    });

    afterAll(async () => {
      if (process.env.DFP_E2E_KEEP !== '1') {
        deleteNamespace(NS);
        if (lakefs && branch)
          await fetch(`${lakefs.endpoint}/api/v1/repositories/${REPO}/branches/${branch}`, {
            method: 'DELETE',
            headers: { authorization: lakeFsAuth(lakefs) },
          }).catch(() => undefined);
      }
      for (const d of temp) rmSync(d, { recursive: true, force: true });
    });

    it('the cluster runs lakeFS, and holds the image dist/ pins by digest', () => {
      expect(lakefs, 'the cluster runs no lakeFS (scripts/cluster/up starts it; make cluster-up)').toBeDefined();
      // The archive of the digest dist/ names, imported when the cluster lacks it (a rebuilt
      // image is not in the cluster `up` started), under the digest name the Pod resolves.
      const pinned = importPinned([app.spec.image]);
      expect(pinned.missing, pinned.message).toEqual([]);
    });

    const driverSucceeds =
      'the driver Pod reaches Succeeded and writes the three Iceberg tables with Avro data files ' +
      "on the run's branch";
    it(driverSucceeds, { timeout: 1_800_000 }, async () => {
      branch = `spark-e2e-${Date.now().toString(36)}`;
      const seeded = await seedBranch(lakefs!, branch, 240);
      const dlt = dltLoad(lakefs!, branch);
      expect(dlt.status, dlt.stderr.slice(-3000)).toBe(0);

      // What the platform provides and dfp only references: the ServiceAccount and the Secret.
      serviceAccount(NS, app.spec.driver.serviceAccount!);
      secret(NS, 'lakefs-credentials', {
        access_key_id: lakefs!.accessKeyId,
        secret_access_key: lakefs!.secretAccessKey,
      });
      const pod = driverPod(app, { name: POD, namespace: NS, runArgs: ['--branch', branch, '--enabled', 'true'] });
      kubectl(['delete', 'pod', '-n', NS, POD, '--ignore-not-found', '--wait=true']);
      kubectl(['create', '-f', '-'], { input: JSON.stringify(pod) });
      const t0 = Date.now();
      const done = await waitFor(
        `Pod ${NS}/${POD} to finish`,
        1_500_000,
        () => {
          const p = getJson<PodStatus>(['-n', NS, 'pod', POD]);
          if (!p) return { status: { phase: 'Gone: the Pod was deleted before it finished' } } as PodStatus;
          const phase = p.status?.phase;
          if (phase === 'Succeeded' || phase === 'Failed') return p;
          const unschedulable = p.status?.conditions?.find(
            (c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable',
          );
          if (unschedulable && Date.now() - t0 > 120_000)
            return { status: { phase: `Unschedulable: ${unschedulable.message ?? ''}` } } as PodStatus;
          return undefined;
        },
        3000,
      );
      const seconds = Math.round((Date.now() - t0) / 100) / 10;
      const phase = done.status!.phase!;
      const log = kubectl(['-n', NS, 'logs', POD], { allowFailure: true }).stdout;
      // The job's one JSON line (Spark's own log, on stderr, is in the same stream).
      const last =
        log
          .split('\n')
          .reverse()
          .find((l) => l.startsWith('{"engine"')) ?? '';
      let report: { engine?: string; raw_rows?: number; tables?: Record<string, { rows: number; formats: string[] }> } =
        {};
      try {
        report = JSON.parse(last);
      } catch {
        // the log's end says what went wrong (below)
      }
      recordRun({
        orchestrator: 'kubernetes Pod',
        environment: ENV,
        pipeline: 'kronodroid-features',
        engine: 'spark(in-image, no operator)',
        steps: 1,
        stepsSucceeded: phase === 'Succeeded' ? 1 : 0,
        status: phase,
        seconds,
        note:
          "the spark-transform step only: the SparkApplication's driver as a Pod " +
          `(executors as local[${localThreads(app)}] threads), input from the dlt load (from the host) ` +
          `of ${seeded.rows} landing CSV rows on lakeFS branch ${branch}`,
      });
      expect(phase, log.split('\n').slice(-30).join('\n')).toBe('Succeeded');
      expect(report.engine).toBe('spark');
      expect(report.raw_rows).toBe(seeded.rows);
      for (const t of TABLES) {
        expect(report.tables?.[t]?.formats).toEqual(['AVRO']);
        expect(report.tables?.[t]?.rows).toBeGreaterThan(0);
      }
      expect(report.tables?.['kronodroid.fct_training_dataset']?.rows).toBe(240);
      // The tables are on the run's branch in lakeFS, as the next steps (dbt, commit-merge) read them.
      const listed = await lakefs!.client.listObjects(
        REPO,
        branch,
        'warehouse/kronodroid/fct_training_dataset/metadata/',
      );
      expect(listed.map((o) => o.path)).toContain(
        'warehouse/kronodroid/fct_training_dataset/metadata/version-hint.text',
      );
      // Nothing asked Maven or Ivy: the jars were the image's.
      expect(log).not.toMatch(/Ivy Default Cache|resolving dependencies|repo1\.maven\.org/i);
      console.log(
        `spark e2e: ${POD} Succeeded in ${seconds} s; ${report.raw_rows} raw rows -> ` +
          JSON.stringify(Object.fromEntries(TABLES.map((t) => [t, report.tables?.[t]?.rows]))),
      );
    });
  },
);
