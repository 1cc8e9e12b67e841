/**
 * Built images run their entry points for real: each archive `make images` wrote is
 * unpacked and the program dist/ calls runs inside it with runc (tests/support/oci-run.ts),
 * read-only, as uid 1000, with no network — as the restricted pods dfp renders would.
 *
 * Needs the archives, so it is behind `make images-test` (DFP_IMAGES_RUN=1), run after
 * `make images`; there a missing archive fails. Under `make test` it is skipped (the
 * builds take minutes: docs/images.md). Prints what each run took.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startLakeFs, type LakeFsServer } from './support/lakefs.ts';
import { LINEAGE_HARNESS, LINEAGE_PYTHON, startMlflow, type MlflowServer } from './support/mlflow.ts';
import {
  canRunImages,
  findImageArchive,
  imageArchive,
  releaseImages,
  runInImage,
  runInImageAsync,
  unpackImage,
  type OciImage,
} from './support/oci-run.ts';
import { inParallel } from './support/process.ts';

const ROOT = join(import.meta.dirname, '..');
const enabled = process.env.DFP_IMAGES_RUN === '1';
const timings: string[] = [];
/** Unpacking a large image and starting Feast take minutes on 2 shared cores. */
const TIMEOUT = 900_000;

/** The image, unpacked once per test file. */
const unpacked = new Map<string, OciImage>();
function image(name: string): OciImage {
  const found = findImageArchive(name);
  expect('error' in found ? found.error : '', `the archive of ${name} dist/ names`).toBe('');
  if (!unpacked.has(name)) {
    const t0 = Date.now();
    unpacked.set(name, unpackImage(imageArchive(name)));
    timings.push(`${name}: unpacked in ${Date.now() - t0} ms`);
  }
  return unpacked.get(name)!;
}

function run(
  name: string,
  args: string[],
  options: Parameters<typeof runInImage>[1] extends infer O ? Omit<O & object, 'args'> : never = {},
) {
  const t0 = Date.now();
  const r = runInImage(image(name), { ...options, args });
  timings.push(`${name}: ${args.slice(0, 4).join(' ')}… exit ${r.status} in ${Date.now() - t0} ms`);
  return r;
}

/** A folder of `files` that the image's uid 1000 can read, as a ConfigMap volume is. */
function configMapFolder(prefix: string, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text, { mode: 0o644 });
  return dir;
}

afterAll(() => {
  if (timings.length) console.log(`images-run:\n  ${timings.join('\n  ')}`);
  releaseImages();
});

describe.skipIf(!enabled)('built images run their entry points (runc, read-only, uid 1000, no network)', () => {
  it(
    'this machine can run them',
    () => {
      expect(canRunImages(), 'runc (Debian) and root are needed').toBe(true);
    },
    TIMEOUT,
  );

  it(
    "kronodroid-spark: the JVM's trust store is python-java-base's, dated SOURCE_DATE_EPOCH (jks-cacerts.py)",
    () => {
      // keytool -cacerts reads the store the JVM uses by default ($JAVA_HOME/lib/security/cacerts).
      const r = run('kronodroid-spark', ['keytool', '-list', '-cacerts', '-storepass', 'changeit']);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('Keystore type: JKS');
      const entries = Number(/Your keystore contains (\d+) entries/.exec(r.stdout)?.[1]);
      expect(entries).toBeGreaterThan(100);
      expect(r.stdout.match(/, Jan 1, 2025, trustedCertEntry/g)).toHaveLength(entries);
    },
    TIMEOUT,
  );

  it(
    'transform-launcher: python -m dfp_tools.run_transform, with the pinned Kubernetes client',
    () => {
      const help = run('transform-launcher', ['python', '-m', 'dfp_tools.run_transform', '--help']);
      expect(help.status, help.stderr).toBe(0);
      expect(help.stdout).toMatch(/^usage: run_transform \[-h\] --transform TRANSFORM/);
      // A real run goes as far as a pod's would without its cluster: the client is imported
      // and looks for the service account it would be given.
      const outside = run('transform-launcher', [
        'python',
        '-m',
        'dfp_tools.run_transform',
        '--transform',
        'kronodroid-iceberg',
      ]);
      expect(outside.status).not.toBe(0);
      expect(outside.stderr).toMatch(
        /kubernetes\.config\.config_exception\.ConfigException: Service host\/port is not set/,
      );
      const version = run('transform-launcher', [
        'python',
        '-c',
        'import kubernetes, os; print(kubernetes.__version__, os.getuid())',
      ]);
      expect(version.stdout).toBe('34.1.0 1000\n');
    },
    TIMEOUT,
  );

  it(
    'feast: loads the feature_store.yaml dfp renders (redis online store, spark offline store) and plans the repo',
    () => {
      // The sync hook's own steps: the rendered repo copied out of its ConfigMap mount, then
      // Feast on it. Only the registry, an S3 object this sandbox cannot reach, is pointed at
      // a local file; the online and offline stores are as rendered.
      const hook = parse(
        readFileSync(join(ROOT, 'dist/dev/feast/sync/feast-apply.yaml'), 'utf8').split('\n---\n')[0]!,
      ) as { data: Record<string, string> };
      const repo = configMapFolder('dfp-feast-repo-', hook.data);
      const rendered = parse(hook.data['feature_store.yaml']!) as Record<string, any>;
      expect(rendered.online_store.type).toBe('redis');
      expect(rendered.offline_store.type).toBe('spark');
      const script = [
        'set -eu',
        'cp -L /feast/repo/* /work/',
        // The registry only: a local file instead of s3://… (no network here).
        `sed -i 's#^  path: s3://.*#  path: /work/registry.db#' /work/feature_store.yaml`,
        'grep -q "type: redis" /work/feature_store.yaml',
        'exec feast --chdir /work plan --skip-source-validation',
      ].join('\n');
      const plan = run('feast', ['/bin/sh', '-c', script], {
        mounts: { '/feast/repo': repo },
        scratch: ['/tmp', '/home/dfp', '/work'],
        env: { FEAST_USAGE: 'False' },
      });
      expect(plan.status, `${plan.stdout}\n${plan.stderr}`).toBe(0);
      expect(plan.stdout).toMatch(/Created entity .*sample/);
      expect(plan.stdout).toMatch(/Created feature view .*kronodroid_autoencoder_features/);
      expect(plan.stdout).toMatch(/Created feature service .*kronodroid_autoencoder/);
      const stores = run(
        'feast',
        [
          'python',
          '-c',
          [
            'from pathlib import Path',
            'from feast.repo_config import load_repo_config',
            "c = load_repo_config(Path('/feast/repo'), Path('/feast/repo/feature_store.yaml'))",
            'print(type(c.online_store).__name__, type(c.offline_store).__name__)',
            'import redis, pyspark, boto3',
          ].join('\n'),
        ],
        { mounts: { '/feast/repo': repo } },
      );
      expect(stores.status, stores.stderr).toBe(0);
      expect(stores.stdout).toBe('RedisOnlineStoreConfig SparkOfflineStoreConfig\n');
    },
    TIMEOUT,
  );

  it(
    'datahub-ingestion: the datahub CLI the ingest hook calls, with the file source and the datahub-rest sink',
    () => {
      const version = run('datahub-ingestion', ['datahub', 'version']);
      expect(version.status, version.stderr).toBe(0);
      expect(version.stdout).toMatch(/DataHub CLI version: 1\.7\.0\.17/);
      // The recipe's source and sink are installed (the ingest itself needs the GMS server).
      const plugins = run('datahub-ingestion', [
        'python',
        '-c',
        [
          'from datahub.ingestion.source.source_registry import source_registry',
          'from datahub.ingestion.sink.sink_registry import sink_registry',
          "print(source_registry.get('file').__name__, sink_registry.get('datahub-rest').__name__)",
        ].join('\n'),
      ]);
      expect(plugins.status, plugins.stderr).toBe(0);
      expect(plugins.stdout).toBe('GenericFileSource DatahubRestSink\n');
    },
    TIMEOUT,
  );

  it(
    'chronon: compile.py compiles the group-by dfp renders',
    () => {
      // The hook's own layout: group_bys.<team>.<name> keys into group_bys/<team>/<name>.
      const hook = parse(
        readFileSync(join(ROOT, 'dist/staging/chronon/sync/chronon-apply.yaml'), 'utf8').split('\n---\n')[0]!,
      ) as { data: Record<string, string> };
      const repo = configMapFolder('dfp-chronon-repo-', hook.data);
      const script = [
        'set -eu',
        'cd /work',
        'for f in /chronon/repo/*; do key=$(basename "$f"); case "$key" in group_bys.*|joins.*) ' +
          'folder=${key%%.*}; rest=${key#*.}; team=${rest%%.*}; mkdir -p "$folder/$team"; cp -L "$f" ' +
          '"$folder/$team/${rest#*.}" ;; *) cp -L "$f" "./$key" ;; esac; done',
        'export PYTHONPATH=/work',
        'for f in group_bys/dfp/*.py; do compile.py --chronon_root /work --conf "$f" --force-overwrite -y; done',
        'ls production/group_bys/dfp',
      ].join('\n');
      const compiled = run('chronon', ['/bin/sh', '-c', script], {
        mounts: { '/chronon/repo': repo },
        scratch: ['/tmp', '/home/dfp', '/work'],
      });
      expect(compiled.status, `${compiled.stdout}\n${compiled.stderr}`).toBe(0);
      const groupBys = Object.keys(hook.data).filter((k) => k.startsWith('group_bys.')).length;
      expect(groupBys).toBeGreaterThan(0);
      expect(
        compiled.stdout
          .trim()
          .split('\n')
          .filter((l) => l && !l.includes(' ')).length,
      ).toBeGreaterThanOrEqual(groupBys);
    },
    TIMEOUT,
  );

  it(
    'dbt-kronodroid: dbt with the spark adapter and Java, and the project where the step points --project-dir',
    () => {
      const version = run('dbt-kronodroid', ['dbt', '--version']);
      expect(version.status, version.stderr).toBe(0);
      expect(version.stdout).toMatch(/installed: 1\.11\.16/);
      expect(version.stdout).toMatch(/spark: 1\.11\.0/);
      const java = run('dbt-kronodroid', ['java', '-version']);
      expect(java.status, java.stderr).toBe(0);
      expect(java.stderr).toMatch(/openjdk version "17\./);
      const project = run('dbt-kronodroid', ['ls', '/opt/dfp/dbt/project', '/opt/dfp/dbt/project/models/marts']);
      expect(project.stdout).toContain('dbt_project.yml');
      expect(project.stdout).toContain('fct_sample_features.sql');
      const ours = readdirSync(join(ROOT, 'images/dbt-kronodroid/project/models/marts')).sort();
      for (const f of ours) expect(project.stdout).toContain(f);
    },
    TIMEOUT,
  );
});

/**
 * The torch images (kronodroid-train, executorch-export, both on torch-base): the three
 * Kronodroid ML steps run inside them with the command, args and env of
 * dist/staging/argo/workflow-templates/kronodroid-autoencoder.yaml (only the lakeFS commit
 * and the servers' addresses swapped), against a real lakeFS and MLflow on the host's
 * 127.0.0.1 (so these runs share the host's network namespace, as a hostNetwork pod; the
 * servers listen on loopback only). Each step's /tmp/dfp is a host folder, as Argo's
 * artifact folders are. tests/kronodroid-ml.test.ts runs the same programs in the locked
 * venvs, with the bad inputs; here they run in what the cluster runs.
 */
const PIPELINE = 'kronodroid-autoencoder';
const RENDERED = join(ROOT, 'dist', 'staging', 'argo', 'workflow-templates', `${PIPELINE}.yaml`);
const ML_PARAMS: Record<string, string> = {
  max_epochs: '2',
  latent_dim: '16',
  batch_size: '64',
  max_rows_per_split: '0',
};
const ROWS = 2000;
const numbers: string[] = [];

interface Step {
  image: string;
  command: string[];
  args: string[];
  env: Record<string, string>;
}

/** A step of the rendered WorkflowTemplate: its image, command, args (parameters filled in) and literal env. */
function renderedStep(name: string, params: Record<string, string> = {}): Step {
  const wt = parse(readFileSync(RENDERED, 'utf8'));
  const t = wt.spec.templates.find((x: { name: string }) => x.name === name);
  const fill = (v: string) =>
    v.replace(/\{\{inputs\.parameters\.([a-z0-9_]+)\}\}/g, (_m, p: string) => {
      const value = { ...ML_PARAMS, ...params }[p];
      if (value === undefined) throw new Error(`no test value for parameter ${p} of ${name}`);
      return value;
    });
  const env = Object.fromEntries(
    (t.container.env as { name: string; value?: string }[])
      .filter((e) => e.value !== undefined)
      .map((e) => [e.name, fill(e.value!)]),
  );
  return {
    image: t.container.image,
    command: t.container.command,
    args: (t.container.args as string[]).map(fill),
    env,
  };
}

/**
 * A host folder for a step's /tmp/dfp (inputs copied in) and, as its outputs/, /tmp/dfp-outputs;
 * writable by the image's uid 1000.
 */
function stepFolder(inputs: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'dfp-ml-step-'));
  for (const [artifact, source] of Object.entries(inputs))
    cpSync(source, join(dir, 'inputs', 'artifacts', artifact), { recursive: true });
  mkdirSync(join(dir, 'outputs'), { recursive: true });
  spawnSync('chown', ['-R', '1000:1000', dir]);
  return dir;
}

const asTags = (list: unknown): Record<string, string> =>
  Object.fromEntries(((list ?? []) as { key: string; value: string }[]).map((t) => [t.key, t.value]));

describe.skipIf(!enabled)(
  'the torch images run the Kronodroid ML steps (runc, read-only, uid 1000, lakeFS and MLflow on the host loopback)',
  () => {
    const REPO = 'kronodroid';
    const MODEL = 'kronodroid-autoencoder';
    let lakefs: LakeFsServer;
    let mlflow: MlflowServer;
    let commit = '';
    let snapshot = '';
    let tableRows: Record<string, number> = {};
    let runId = '';
    let trainOut = '';
    let exportOut = '';
    const folders: string[] = [];

    async function mlflowGet(path: string, query: Record<string, string>): Promise<Record<string, any>> {
      const r = await fetch(`${mlflow.trackingUri}/api/2.0/mlflow/${path}?${new URLSearchParams(query)}`);
      expect(r.status, await r.clone().text()).toBe(200);
      return (await r.json()) as Record<string, any>;
    }

    async function runStep(step: Step, dir: string, extraArgs: string[] = [], env: Record<string, string> = {}) {
      const name = step.image.split('/').pop()!.split(/[:@]/)[0]!;
      const t0 = Date.now();
      const r = await runInImageAsync(image(name), {
        args: [...step.command, ...step.args, ...extraArgs],
        env: {
          ...step.env,
          MLFLOW_TRACKING_URI: mlflow.trackingUri,
          MLFLOW_DISABLE_TELEMETRY: 'true',
          DO_NOT_TRACK: 'true',
          ...env,
        },
        // Argo's folders: the inputs under /tmp/dfp, the outputs under /tmp/dfp-outputs (as dist/ renders them).
        writable: { '/tmp/dfp': dir, '/tmp/dfp-outputs': join(dir, 'outputs') },
        hostNetwork: true,
        timeoutMs: 1_200_000,
      });
      const seconds = (Date.now() - t0) / 1000;
      timings.push(
        `${name}: ${step.command.slice(0, 3).join(' ')}… exit ${r.status} in ${Math.round(seconds * 1000)} ms`,
      );
      return { ...r, seconds };
    }

    beforeAll(async () => {
      const h = spawnSync(join(ROOT, 'scripts', 'python-env.sh'), [LINEAGE_HARNESS], {
        encoding: 'utf8',
        timeout: 40 * 60_000,
      });
      if (h.status !== 0) throw new Error(`scripts/python-env.sh ${LINEAGE_HARNESS} failed: ${h.stderr}`);
      [lakefs, mlflow] = await Promise.all([startLakeFs(), startMlflow()]);
      await lakefs.client.createRepository(REPO, `local://${REPO}`);
      // The synthetic training table (seeded; the real KronoDroid data set is not reachable here).
      const tableDir = mkdtempSync(join(tmpdir(), 'dfp-ml-table-'));
      folders.push(tableDir);
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
      const files = readdirSync(tableDir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => relative(tableDir, join(e.parentPath, e.name)));
      await inParallel(
        files
          .filter((f) => f.startsWith('warehouse/'))
          .map((f) => () => lakefs.client.upload(REPO, 'main', f, new Uint8Array(readFileSync(join(tableDir, f))))),
        4,
      );
      commit = (await lakefs.client.commit(REPO, 'main', 'kronodroid: synthetic training table')).id;
    }, 60 * 60_000);

    afterAll(async () => {
      await Promise.all([lakefs?.stop(), mlflow?.stop()]);
      for (const f of folders) rmSync(f, { recursive: true, force: true });
      if (numbers.length)
        console.log(`torch images, measured on this machine:\n${numbers.map((n) => `  ${n}`).join('\n')}`);
    });

    it(
      'torch-base: torch 2.14.0 imports and trains on CPU in both images, with only the CUDA libraries it links',
      () => {
        const probe = [
          'import importlib.metadata as md, importlib.util, json, os, torch',
          'x = torch.nn.Linear(8, 4); x(torch.ones(2, 8)).sum().backward()',
          'def installed(n):',
          '    try:',
          '        md.version(n); return True',
          '    except md.PackageNotFoundError:',
          '        return False',
          'site = os.path.dirname(os.path.dirname(torch.__file__))',
          'size = lambda d: sum(os.path.getsize(os.path.join(p, f)) for p, _, fs in os.walk(d) for f in fs)',
          'print(json.dumps({"torch": torch.__version__, "cuda": torch.cuda.is_available(), "grad": ' +
            'x.weight.grad is not None,',
          '  "cudnn": torch.backends.cudnn.version(), "triton": importlib.util.find_spec("triton") is not None,',
          '  "left_out": [n for n in ("cuda-bindings", "cuda-toolkit", "nvidia-cusolver", "nvidia-nvtx") if ' +
            'installed(n)],',
          '  "cudnn_engines": os.path.exists(os.path.join(site, ' +
            '"nvidia/cudnn/lib/libcudnn_engines_precompiled.so.9")),',
          '  "mb": {"venv": size("/opt/dfp/venv") // 10**6, "torch": size(os.path.join(site, "torch")) // ' +
            '10**6, "nvidia": size(os.path.join(site, "nvidia")) // 10**6}}))',
        ].join('\n');
        for (const name of ['kronodroid-train', 'executorch-export']) {
          const r = run(name, ['python', '-c', probe]);
          expect(r.status, r.stderr).toBe(0);
          const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { mb: Record<string, number> } & Record<
            string,
            unknown
          >;
          expect({ ...out, mb: undefined }).toEqual({
            torch: '2.14.0+cu130',
            cuda: false,
            grad: true,
            cudnn: 92400,
            triton: false,
            left_out: [],
            cudnn_engines: false,
            mb: undefined,
          });
          // Every library of torch and the CUDA wheels that stays, and every library linking
          // them (executorch's, torchao's), finds what it links: prune_cuda.py's own ELF reader,
          // run in the image. (Its --check reads the whole venv, where LiteRT's OpenVINO and
          // Qualcomm vendor plugins link SDKs PyPI does not ship; they load only for those chips.)
          const check = run(name, [
            'python',
            '-c',
            [
              'import json, os, sys',
              "sys.path.insert(0, '/opt/dfp/src/torch-base')",
              'import prune_cuda as p',
              "site = '/opt/dfp/venv/lib/python3.11/site-packages'",
              'libs = {}',
              'for path in p.shared_objects(site): libs.setdefault(os.path.basename(path), path)',
              "ours = lambda path: path.startswith(site + '/torch/') or path.startswith(site + '/nvidia/')",
              'checked, missing = 0, []',
              'for path in p.shared_objects(site):',
              '    names = p.needed(path) or []',
              '    if not (ours(path) or any(n in libs and ours(libs[n]) for n in names)): continue',
              '    checked += 1',
              '    rel = os.path.relpath(path, site)',
              "    missing += [f'{rel} needs {n}' for n in names if n not in libs and (rel, n) not in p.LAZY",
              '                and not any(os.path.exists(os.path.join(d, n)) for d in ' +
                "('/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu'))]",
              "print(json.dumps({'checked': checked, 'missing': missing}))",
            ].join('\n'),
          ]);
          expect(check.status, check.stderr).toBe(0);
          const linked = JSON.parse(check.stdout.trim().split('\n').pop()!) as { checked: number; missing: string[] };
          expect(linked.missing).toEqual([]);
          expect(linked.checked).toBeGreaterThan(20);
          numbers.push(
            `${name}: venv ${out.mb.venv} MB (torch ${out.mb.torch} MB, CUDA libraries it links ` +
              `${out.mb.nvidia} MB); archive ${Math.round(statSync(imageArchive(name)).size / 1e6)} MB`,
          );
        }
        // One torch layer: both images carry the same torch-base layers, below their own.
        const layersOf = (name: string) => {
          const t = spawnSync('tar', ['-xOf', imageArchive(name), 'index.json'], { encoding: 'utf8' });
          const m = JSON.parse(t.stdout).manifests[0].digest.replace('sha256:', '');
          return JSON.parse(
            spawnSync('tar', ['-xOf', imageArchive(name), `blobs/sha256/${m}`], { encoding: 'utf8' }).stdout,
          ).layers as { digest: string; size: number }[];
        };
        const train = layersOf('kronodroid-train');
        const exp = layersOf('executorch-export');
        expect(train).toHaveLength(3);
        expect(exp.slice(0, 2)).toEqual(train.slice(0, 2));
        expect(exp[2]!.digest).not.toBe(train[2]!.digest);
        numbers.push(
          `layers (compressed): python-base ${Math.round(train[0]!.size / 1e6)} MB, torch-base ` +
            `${Math.round(train[1]!.size / 1e6)} MB (shared), kronodroid-train's own ` +
            `${Math.round(train[2]!.size / 1e6)} MB, executorch-export's own ${Math.round(exp[2]!.size / 1e6)} MB`,
        );
      },
      TIMEOUT,
    );

    it(
      'kronodroid-train: 2 epochs on 2,000 synthetic rows at the commit, a registered model version with the ' +
        'lineage tags, the image digest among them',
      async () => {
        const step = renderedStep('train', { mlflow_tracking_uri: '' });
        expect(step.image).toMatch(/^registry\.dfp\.internal\/dfp\/kronodroid-train:[^@]+@sha256:[0-9a-f]{64}$/);
        const dir = stepFolder();
        folders.push(dir);
        const r = await runStep(step, dir, [], {
          LAKEFS_ENDPOINT: lakefs.endpoint,
          LAKEFS_ACCESS_KEY_ID: lakefs.credentials.accessKeyId,
          LAKEFS_SECRET_ACCESS_KEY: lakefs.credentials.secretAccessKey,
          LAKEFS_REF: commit,
        });
        expect(r.status, r.stderr).toBe(0);
        trainOut = join(dir, 'outputs');
        runId = readFileSync(join(trainOut, 'parameters', 'mlflow_run_id'), 'utf8');
        expect(runId).toMatch(/^[0-9a-f]{32}$/);
        const metrics = JSON.parse(readFileSync(join(trainOut, 'artifacts', 'metrics'), 'utf8')) as {
          metrics: Record<string, number>;
          model_bytes: Record<string, number>;
          epochs: unknown[];
        };
        expect(metrics.epochs).toHaveLength(2);
        expect({
          train: metrics.metrics.rows_train,
          validation: metrics.metrics.rows_val,
          test: metrics.metrics.rows_test,
        }).toEqual(tableRows);
        expect(Object.values(tableRows).reduce((a, b) => a + b, 0)).toBe(ROWS);
        expect(readdirSync(join(trainOut, 'artifacts', 'model')).sort()).toEqual([
          'config.json',
          'model.onnx',
          'model.pt2',
          'model.tflite',
          'reference_inputs.npy',
        ]);

        const run = (await mlflowGet('runs/get', { run_id: runId })).run;
        expect(run.info.status).toBe('FINISHED');
        const tags = asTags(run.data.tags);
        expect(tags['data.lakefs_ref']).toBe(commit);
        expect(tags['data.iceberg_snapshot_id']).toBe(snapshot);
        for (const k of ['train', 'val', 'test'])
          expect(tags[`dataset.${k}_id`]).toBe(step.env[`DATASET_${k.toUpperCase()}_ID`]);
        expect(tags['dfp.definitions_sha256']).toBe(step.env.DFP_DEFINITIONS_SHA256);
        // The image the model was trained in, by the digest of the archive that ran it.
        expect(step.env.DFP_IMAGE).toBe(step.image);
        expect(tags['code.image']).toBe(step.image);
        expect(step.image.endsWith(`@${image('kronodroid-train').digest}`)).toBe(true);
        const version = (await mlflowGet('model-versions/get', { name: MODEL, version: '1' })).model_version;
        expect(version.run_id).toBe(runId);
        const versionTags = asTags(version.tags);
        for (const k of ['data.lakefs_ref', 'data.iceberg_snapshot_id', 'dataset.train_id', 'code.image'])
          expect(versionTags[k]).toBe(tags[k]);
        numbers.push(
          `train (in the image): ${ROWS} rows (${tableRows.train} / ${tableRows.validation} / ${tableRows.test}` +
            `), 2 epochs in ${metrics.metrics.train_seconds!.toFixed(1)} s; the process ${r.seconds.toFixed(0)} ` +
            `s (imports, read, exports, MLflow); val_loss ${metrics.metrics.val_loss!.toFixed(4)}`,
          `model sizes: model.pt2 ${metrics.model_bytes.model_bytes_pt2} B, model.onnx ` +
            `${metrics.model_bytes.model_bytes_onnx} B, model.tflite ${metrics.model_bytes.model_bytes_tflite} B`,
        );
      },
      30 * 60_000,
    );

    it(
      'executorch-export: the .pte (XNNPACK) in the ExecuTorch runtime, ONNX Runtime and LiteRT, each within ' +
        "1e-4 of PyTorch, in the runtime benchmark's results format",
      async () => {
        expect(runId).not.toBe('');
        const step = renderedStep('export-executorch', { train_mlflow_run_id: runId, mlflow_tracking_uri: '' });
        expect(step.image).toMatch(/^registry\.dfp\.internal\/dfp\/executorch-export:[^@]+@sha256:[0-9a-f]{64}$/);
        expect(step.image.endsWith(`@${image('executorch-export').digest}`)).toBe(true);
        const dir = stepFolder({ model: join(trainOut, 'artifacts', 'model') });
        folders.push(dir);
        const r = await runStep(step, dir, ['--results', '/tmp/dfp-outputs/host-results.json']);
        expect(r.status, r.stderr).toBe(0);
        exportOut = join(dir, 'outputs');
        const pte = readFileSync(join(exportOut, 'artifacts', 'pte'));
        expect(pte.subarray(4, 8).toString()).toBe('ET12');
        const results = JSON.parse(readFileSync(join(exportOut, 'host-results.json'), 'utf8')) as {
          format: string;
          executorch: { delegated_subgraphs: number };
          runtimes: Record<
            string,
            { max_abs_diff: number; outputs_compared: number; model_bytes: number; latency_ms: Record<string, number> }
          >;
        };
        expect(results.format).toBe('dfp.runtime-benchmark/v1');
        expect(Object.keys(results.runtimes).sort()).toEqual(['executorch', 'onnxruntime', 'pytorch', 'tflite']);
        expect(results.executorch.delegated_subgraphs).toBeGreaterThan(0);
        for (const rt of ['executorch', 'onnxruntime', 'tflite']) {
          expect(results.runtimes[rt]!.outputs_compared).toBeGreaterThan(0);
          expect(results.runtimes[rt]!.max_abs_diff).toBeLessThanOrEqual(1e-4);
        }
        const run = (await mlflowGet('runs/get', { run_id: runId })).run as { data: { metrics: { key: string }[] } };
        expect(run.data.metrics.map((m) => m.key)).toEqual(
          expect.arrayContaining([
            'host.executorch.latency_ms_p50',
            'host.onnxruntime.max_abs_diff',
            'host.tflite.latency_ms_p50',
          ]),
        );
        numbers.push(
          `export (in the image): .pte ${pte.length} B (XNNPACK, ${results.executorch.delegated_subgraphs} ` +
            `delegated subgraph(s)); the process ${r.seconds.toFixed(0)} s`,
          ...Object.entries(results.runtimes).map(
            ([rt, v]) =>
              `${rt.padEnd(12)} latency p50 ${v.latency_ms.p50!.toFixed(4)} ms, mean ` +
              `${v.latency_ms.mean!.toFixed(4)} ms (batch 1, 1 thread); max |diff| vs PyTorch ` +
              `${v.max_abs_diff.toExponential(2)} over ${v.outputs_compared} outputs; model ${v.model_bytes} B`,
          ),
        );
      },
      30 * 60_000,
    );

    it(
      'kronodroid-train: aggregate-metrics joins the training metrics and the runtime results on the run',
      async () => {
        expect(exportOut).not.toBe('');
        const step = renderedStep('aggregate-metrics', { train_mlflow_run_id: runId, mlflow_tracking_uri: '' });
        const dir = stepFolder({
          training_metrics: join(trainOut, 'artifacts', 'metrics'),
          benchmark_results: join(exportOut, 'host-results.json'),
        });
        folders.push(dir);
        const r = await runStep(step, dir);
        expect(r.status, r.stderr).toBe(0);
        const summary = JSON.parse(readFileSync(join(dir, 'outputs', 'artifacts', 'summary'), 'utf8')) as {
          training: Record<string, number>;
          runtimes: Record<string, unknown>;
          fastest_runtime: string;
        };
        expect(Object.keys(summary.runtimes).sort()).toEqual(['executorch', 'onnxruntime', 'pytorch', 'tflite']);
        expect(summary.training.val_loss).toBeGreaterThan(0);
        const run = (await mlflowGet('runs/get', { run_id: runId })).run as { data: { metrics: { key: string }[] } };
        expect(run.data.metrics.map((m) => m.key)).toEqual(
          expect.arrayContaining(['summary.training.val_loss', 'summary.executorch.latency_ms_p50']),
        );
        numbers.push(
          `aggregate-metrics (in the image): fastest runtime ${summary.fastest_runtime}; the process ` +
            `${r.seconds.toFixed(0)} s`,
        );
      },
      10 * 60_000,
    );
  },
);
