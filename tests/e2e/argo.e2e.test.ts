/**
 * `make e2e`, Argo part (issue 25): staging's pipelines, as dist/staging renders them, run
 * for real by Argo Workflows v3.7.9 on the embedded cluster.
 *
 * What Argo CD would sync for staging is applied with kubectl (every Kubernetes object of
 * dist/staging except the Argo CD Applications, the Argo CD sync-hook Jobs, which Argo CD
 * runs rather than syncs, and the emulator benchmark Job, which needs a KVM node), into
 * namespace ml-staging labelled Pod Security `enforce: restricted`. Pods run as the
 * ServiceAccounts and under the Roles dist/staging renders; nothing here grants more.
 * The Argo controller is the embedded cluster's build of v3.7.9, installed namespaced for
 * ml-staging (the release's own controller Role), as a staging cluster's Argo would be.
 *
 * Each WorkflowTemplate is submitted as a Workflow with the parameters a smoke run needs,
 * waited for, and recorded as a row of the `make e2e` table. Data are the smallest that
 * exercise every step: the synthetic Kronodroid generator (dfp_tools) at a few hundred rows.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectCopy, run } from '../support/process.ts';
import { recordRun } from './support/run-table.ts';
import { apply, getJson, kubectl, parseObjects, waitFor, type KubeObject } from './support/kube.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const ENV = 'staging';
const NS = 'ml-staging';
const DIST = join(ROOT, 'dist', ENV);
const CACHE = process.env.DFP_CACHE || join(homedir(), '.cache', 'dfp');
const ARGO_VERSION = 'v3.7.9';
const ARGO_MANIFESTS = join(CACHE, 'bin', `argo-manifests-${ARGO_VERSION}`);

/** Every Kubernetes object file under dist/staging, sorted. */
function kubernetesFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.ya?ml$/.test(f) && statSync(join(dir, f)).isFile())
    .sort()
    .map((f) => join(dir, f));
}

/** Why an object of dist/staging is not applied, or undefined when it is. */
export function notApplied(o: KubeObject): string | undefined {
  if (o.apiVersion.startsWith('argoproj.io/') && o.kind === 'Application') return 'an Argo CD Application';
  if (o.metadata.annotations?.['argocd.argoproj.io/hook']) return 'an Argo CD sync hook (Argo CD runs it on sync)';
  const pod = (o as { spec?: { template?: { metadata?: { annotations?: Record<string, string> } } } }).spec?.template
    ?.metadata;
  if (pod?.annotations?.['dfp.dev/pod-security'] === 'privileged')
    return 'a privileged pod (the emulator benchmark needs a KVM node and /dev/kvm)';
  return undefined;
}

/** What Argo CD would sync for staging: the objects and the files they come from. */
function stagingObjects(): { applied: KubeObject[]; left: string[] } {
  const applied: KubeObject[] = [];
  const left: string[] = [];
  for (const file of kubernetesFiles(DIST)) {
    if (!readFileSync(file, 'utf8').includes('apiVersion:')) continue;
    for (const o of parseObjects(readFileSync(file, 'utf8'))) {
      if (typeof o.apiVersion !== 'string') continue;
      const why = notApplied(o);
      if (why) left.push(`${relative(ROOT, file)} ${o.kind}/${o.metadata.name}: ${why}`);
      else applied.push(o);
    }
  }
  return { applied, left };
}

/** Argo Workflows' controller for the staging namespace: the cluster's build, the release's namespaced Role. */
function argoController(namespace: string): KubeObject[] {
  const release = ['workflow-controller-role.yaml', 'workflow-controller-rolebinding.yaml'].flatMap((f) =>
    parseObjects(readFileSync(join(ARGO_MANIFESTS, f), 'utf8')).map((o) => ({
      ...o,
      metadata: { ...o.metadata, namespace },
    })),
  );
  const executor = {
    imagePullPolicy: 'Never',
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 65532,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
  };
  // Memoization (a step with `caching: true`) keeps its cache in a ConfigMap the controller
  // creates and updates; the release's namespaced controller Role only reads ConfigMaps, so
  // every memoized step ended in Error ("could not save to config map cache"). Argo's docs
  // ask the install to grant it; a staging cluster's Argo must, too (docs/step-options.md).
  const memoize = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'argo-memoize', namespace },
    rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'update'] }],
  };
  const memoizeBinding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'argo-memoize', namespace },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'argo-memoize' },
    subjects: [{ kind: 'ServiceAccount', name: 'argo', namespace }],
  };
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'argo', namespace } },
    ...release,
    memoize as KubeObject,
    memoizeBinding as KubeObject,
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'workflow-controller-configmap', namespace },
      // One `config` key, JSON (YAML): Argo joins several keys as `key: value` lines.
      data: {
        config: JSON.stringify({ executor, metricsConfig: { enabled: false }, telemetryConfig: { enabled: false } }),
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'workflow-controller', namespace },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'workflow-controller' } },
        template: {
          metadata: { labels: { app: 'workflow-controller' } },
          spec: {
            serviceAccountName: 'argo',
            securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [
              {
                name: 'workflow-controller',
                image: `registry.dfp.internal/dfp/workflow-controller:${ARGO_VERSION}`,
                imagePullPolicy: 'Never',
                args: [
                  '--configmap=workflow-controller-configmap',
                  `--executor-image=registry.dfp.internal/dfp/argoexec:${ARGO_VERSION}`,
                  '--executor-image-pull-policy=Never',
                  '--namespaced',
                  `--managed-namespace=${namespace}`,
                ],
                env: [
                  { name: 'LEADER_ELECTION_DISABLE', value: 'true' },
                  { name: 'DEFAULT_REQUEUE_TIME', value: '1s' },
                  { name: 'LEADER_ELECTION_IDENTITY', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                ],
                securityContext: {
                  readOnlyRootFilesystem: true,
                  allowPrivilegeEscalation: false,
                  capabilities: { drop: ['ALL'] },
                },
              },
            ],
          },
        },
      },
    },
  ];
}

// --- the platform services (scripts/cluster/up: lakeFS, MLflow, MinIO on the bridge address) ---
const STATE = process.env.DFP_CLUSTER_DIR || join(CACHE, 'cluster');
const NODE_IP = '10.77.0.1';
const LAKEFS = `http://${NODE_IP}:8000`;
const MLFLOW = `http://${NODE_IP}:5000`;

/** KEY=VALUE lines of one of the cluster's credential files. */
function envFile(name: string): Record<string, string> {
  const file = join(STATE, name);
  if (!existsSync(file))
    throw new Error(`${file} is missing: the cluster runs without the platform services (make cluster-up)`);
  return Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

/**
 * The Secrets dist/staging references by name (minio-credentials, lakefs-credentials), with
 * the running services' keys; left alone when they exist (the cluster's own script made them).
 */
function ensureSecrets(): void {
  // The cluster's own script, where this checkout has it (it writes the same keys).
  const script = join(ROOT, 'scripts', 'cluster', 'secrets');
  if (existsSync(script)) {
    execFileSync(script, [NS], { stdio: ['ignore', 'ignore', 'inherit'] });
    return;
  }
  const minio = envFile('minio.env');
  const lakefs = envFile('lakefs.env');
  const secrets: Record<string, Record<string, string>> = {
    'minio-credentials': { accesskey: minio.MINIO_ROOT_USER!, secretkey: minio.MINIO_ROOT_PASSWORD! },
    'lakefs-credentials': {
      access_key_id: lakefs.LAKEFS_ACCESS_KEY_ID!,
      secret_access_key: lakefs.LAKEFS_SECRET_ACCESS_KEY!,
    },
  };
  for (const [name, stringData] of Object.entries(secrets)) {
    if (!getJson(['-n', NS, 'secret', name]))
      kubectl(['create', '-f', '-'], {
        input: JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: NS }, stringData }),
      });
  }
}

/** The lakeFS API, as the cluster's admin user. */
async function lakefsApi(method: string, path: string, body?: unknown): Promise<Response> {
  const { LAKEFS_ACCESS_KEY_ID: id, LAKEFS_SECRET_ACCESS_KEY: secret } = envFile('lakefs.env');
  const headers: Record<string, string> = {
    authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
  };
  let payload: BodyInit | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  return fetch(`${LAKEFS}/api/v1${path}`, { method, headers, body: payload });
}

async function lakefsOk(method: string, path: string, body?: unknown, allow: number[] = []): Promise<Response> {
  const r = await lakefsApi(method, path, body);
  if (!r.ok && !allow.includes(r.status)) throw new Error(`lakeFS ${method} ${path}: ${r.status} ${await r.text()}`);
  return r;
}

const REPO = 'kronodroid';
const LANDING = 'landing/kronodroid';

/**
 * The smallest Kronodroid data that exercises every step: the synthetic generator of
 * dfp_tools at 240 samples, landed on `main` of repository kronodroid (where staging's dlt
 * load reads `landing/kronodroid/*.csv`) and committed; then a branch for this run.
 */
async function seedKronodroid(branch: string): Promise<void> {
  // One lakeFS serves every environment's names here: the repository may exist already.
  if ((await lakefsApi('GET', `/repositories/${REPO}`)).status === 404) {
    await lakefsOk(
      'POST',
      '/repositories',
      { name: REPO, storage_namespace: `s3://lakefs/${REPO}`, default_branch: 'main' },
      [409],
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'dfp-e2e-kronodroid-'));
  try {
    execFileSync('python3', ['-m', 'dfp_tools.kronodroid_synthetic', '--out', dir, '--samples', '240', '--seed', '7'], {
      env: { ...process.env, PYTHONPATH: join(ROOT, 'images', 'dfp_tools') },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    for (const f of readdirSync(dir)
      .filter((x) => x.endsWith('.csv'))
      .sort()) {
      const form = new FormData();
      form.append('content', new Blob([readFileSync(join(dir, f))]), f);
      await lakefsOk(
        'POST',
        `/repositories/${REPO}/branches/main/objects?path=${encodeURIComponent(`${LANDING}/${f}`)}`,
        form,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  await lakefsOk(
    'POST',
    `/repositories/${REPO}/branches/main/commits`,
    { message: 'e2e: synthetic Kronodroid landing files' },
    [400],
  );
  await lakefsOk('POST', `/repositories/${REPO}/branches`, { name: branch, source: 'main' });
}

/** The bucket of staging's artifact repository (dist/staging/argo/artifact-repositories.yaml). */
function artifactBucket(): string {
  const cm = parseObjects(readFileSync(join(DIST, 'argo', 'artifact-repositories.yaml'), 'utf8'))[0] as KubeObject & {
    data: Record<string, string>;
  };
  const bucket = /bucket: (\S+)/.exec(Object.values(cm.data)[0]!)?.[1];
  if (!bucket) throw new Error('no bucket in dist/staging/argo/artifact-repositories.yaml');
  return bucket;
}

/** MinIO, as its root user, through curl's SigV4 (what scripts/cluster/up does). */
function s3(args: readonly string[], allowFailure = false): string {
  const { MINIO_ROOT_USER: user, MINIO_ROOT_PASSWORD: password } = envFile('minio.env');
  try {
    return execFileSync(
      'curl',
      ['-fsS', '--aws-sigv4', 'aws:amz:us-east-1:s3', '--user', `${user}:${password}`, ...args],
      { encoding: 'utf8' },
    );
  } catch (e) {
    if (allowFailure) return '';
    throw e;
  }
}

function ensureBucket(bucket: string): void {
  if (s3(['-o', '/dev/null', `http://${NODE_IP}:9000/${bucket}`], true) === '')
    s3(['-X', 'PUT', '-o', '/dev/null', `http://${NODE_IP}:9000/${bucket}`], true);
}

/** An output artifact of a run's step, as Argo stored it in MinIO (a gzipped tarball unless archive is none). */
function artifactBytes(wf: Workflow, step: string, artifact: string): Buffer {
  const node = steps(wf).pods.find((p) => p.displayName === step);
  const key = node?.outputs?.artifacts?.find((a) => a.name === artifact)?.s3?.key;
  if (!key) throw new Error(`${step} has no artifact ${artifact} in ${wf.metadata.name}`);
  const { MINIO_ROOT_USER: user, MINIO_ROOT_PASSWORD: password } = envFile('minio.env');
  return execFileSync('curl', [
    '-fsS',
    '--aws-sigv4',
    'aws:amz:us-east-1:s3',
    '--user',
    `${user}:${password}`,
    `http://${NODE_IP}:9000/${artifactBucket()}/${key}`,
  ]);
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface WorkflowNode {
  id: string;
  displayName: string;
  templateName?: string;
  type: string;
  phase: string;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
  outputs?: { artifacts?: { name: string; s3?: { key: string } }[]; parameters?: { name: string; value?: string }[] };
}
interface Workflow extends KubeObject {
  status?: {
    phase?: string;
    message?: string;
    startedAt?: string;
    finishedAt?: string;
    nodes?: Record<string, WorkflowNode>;
  };
}

/**
 * The images a WorkflowTemplate's steps name that the cluster's node does not hold (kubelet
 * reports its images in the Node's status): a run of them would wait for a pull that cannot
 * happen (no registry) until the workflow's deadline, so the run is refused at once instead.
 */
function missingImages(template: string): string[] {
  const wt = getJson<KubeObject & { spec: { templates: { container?: { image: string } }[] } }>([
    '-n',
    NS,
    'workflowtemplate',
    template,
  ]);
  const wanted = [...new Set((wt?.spec.templates ?? []).flatMap((t) => (t.container ? [t.container.image] : [])))];
  const nodes = getJson<{ items: { status: { images?: { names?: string[] }[] } }[] }>(['nodes']);
  const held = new Set((nodes?.items ?? []).flatMap((n) => (n.status.images ?? []).flatMap((i) => i.names ?? [])));
  const present = (ref: string) => {
    const [name, digest] = ref.split('@');
    return digest ? held.has(`${name!.replace(/:[^:/]+$/, '')}@${digest}`) : held.has(ref);
  };
  return wanted.filter((ref) => !present(ref));
}

/** Submits the WorkflowTemplate as a Workflow with `parameters`; returns its name. */
function submit(template: string, parameters: Record<string, string>): string {
  const wf = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: { generateName: `${template}-e2e-`, namespace: NS, labels: { 'dfp.dev/e2e': 'argo' } },
    spec: {
      workflowTemplateRef: { name: template },
      arguments: { parameters: Object.entries(parameters).map(([name, value]) => ({ name, value })) },
    },
  };
  const out = kubectl(['create', '-f', '-', '-o', 'jsonpath={.metadata.name}'], { input: JSON.stringify(wf) }).stdout;
  return out.trim();
}

const FINAL = new Set(['Succeeded', 'Failed', 'Error']);

/** How long a step's pod may stay unschedulable before the run is stopped (no node will come). */
const UNSCHEDULABLE_MS = 90_000;

/**
 * Waits for the run's final phase. A pod the scheduler cannot place (a GPU or KVM node this
 * cluster does not have) would wait until the workflow's deadline, hours: after
 * UNSCHEDULABLE_MS the run is terminated, and its message says why.
 */
async function finished(name: string, timeoutMs: number): Promise<Workflow> {
  let stopped: string | undefined;
  const wf = await waitFor(
    `Workflow ${NS}/${name} to finish`,
    timeoutMs,
    () => {
      const w = getJson<Workflow>(['-n', NS, 'workflow', name]);
      if (w?.status?.phase && FINAL.has(w.status.phase)) return w;
      if (!stopped) {
        const pods = getJson<{
          items: {
            metadata: { name: string };
            status: {
              conditions?: {
                type: string;
                status: string;
                reason?: string;
                message?: string;
                lastTransitionTime?: string;
              }[];
            };
          }[];
        }>(['-n', NS, 'pods', '-l', `workflows.argoproj.io/workflow=${name}`]);
        for (const p of pods?.items ?? []) {
          const c = p.status.conditions?.find(
            (x) => x.type === 'PodScheduled' && x.status === 'False' && x.reason === 'Unschedulable',
          );
          if (c?.lastTransitionTime && Date.now() - Date.parse(c.lastTransitionTime) > UNSCHEDULABLE_MS) {
            stopped = `${p.metadata.name} unschedulable for ${UNSCHEDULABLE_MS / 1000} s: ${c.message ?? ''}`;
            kubectl(['-n', NS, 'patch', 'workflow', name, '--type=merge', '-p', '{"spec":{"shutdown":"Terminate"}}']);
          }
        }
      }
      return undefined;
    },
    2000,
  );
  return stopped
    ? { ...wf, status: { ...wf.status, message: `${wf.status?.message ?? ''} (stopped: ${stopped})` } }
    : wf;
}

/**
 * The steps of a run, one Pod node each (of a retried step, `train(0)`, `train(1)`…, the one
 * that succeeded, else the last), named as the step; and the skipped ones.
 */
function steps(wf: Workflow) {
  const nodes = Object.values(wf.status?.nodes ?? {});
  const byStep = new Map<string, WorkflowNode>();
  for (const n of nodes
    .filter((x) => x.type === 'Pod')
    .sort((a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? ''))) {
    const name = n.displayName.replace(/\(\d+\)$/, '');
    if (byStep.get(name)?.phase !== 'Succeeded') byStep.set(name, { ...n, displayName: name });
  }
  return { pods: [...byStep.values()], skipped: nodes.filter((n) => n.type === 'Skipped') };
}

/** What went wrong, for the assertion message: each failed node's message and its pod's log tail. */
function diagnose(wf: Workflow): string {
  const lines = [`${wf.metadata.name}: ${wf.status?.phase} ${wf.status?.message ?? ''}`];
  // Argo 3.7 names a step's pod `<workflow>-<template>-<hash>`, not by the node id: find it by its node-id annotation.
  const pods =
    getJson<{ items: { metadata: { name: string; annotations?: Record<string, string> } }[] }>([
      '-n',
      NS,
      'pods',
      '-l',
      `workflows.argoproj.io/workflow=${wf.metadata.name}`,
    ])?.items ?? [];
  for (const n of steps(wf).pods.filter((p) => p.phase !== 'Succeeded')) {
    lines.push(`  ${n.displayName}: ${n.phase} ${n.message ?? ''}`);
    const pod = pods.find((p) => p.metadata.annotations?.['workflows.argoproj.io/node-id'] === n.id)?.metadata.name;
    const log = pod
      ? kubectl(['-n', NS, 'logs', pod, '-c', 'main', '--tail=15'], { allowFailure: true }).stdout.trim()
      : '';
    if (log) lines.push(...log.split('\n').map((l) => `    | ${l}`));
  }
  return lines.join('\n');
}

/** Runs a pipeline, records its row, and returns the finished Workflow. */
async function runPipeline(
  pipeline: string,
  parameters: Record<string, string>,
  engine: string,
  timeoutMs: number,
): Promise<Workflow> {
  // kubelet reports its images in the Node's status every so often: a fresh import shows within a minute.
  const lacking = () =>
    missingImages(pipeline).filter(
      (ref) => !(pipeline === 'kronodroid-autoencoder' && ref.includes('/android-emulator:')),
    );
  let missing = lacking();
  for (let i = 0; i < 18 && missing.length; i++) {
    await new Promise((r) => setTimeout(r, 5000));
    missing = lacking();
  }
  if (missing.length) {
    recordRun({
      orchestrator: 'argo',
      environment: ENV,
      pipeline,
      engine,
      steps: 0,
      stepsSucceeded: 0,
      status: 'not run',
      seconds: 0,
      note: `images not in the cluster: ${missing.join(', ')}`,
    });
    throw new Error(
      `${pipeline}: the cluster holds no ${missing.join(', ')}: build it (make images) and import it ` +
        '(scripts/cluster/import)',
    );
  }
  const t0 = Date.now();
  const name = submit(pipeline, parameters);
  const wf = await finished(name, timeoutMs);
  const seconds = (Date.now() - t0) / 1000;
  const { pods, skipped } = steps(wf);
  const notes = [
    `workflow ${name}`,
    ...skipped.map((n) => `${n.displayName} skipped (${n.message ?? 'when false'})`),
    ...(/stopped: /.test(wf.status?.message ?? '') ? [wf.status!.message!.trim()] : []),
  ];
  recordRun({
    orchestrator: 'argo',
    environment: ENV,
    pipeline,
    engine,
    steps: pods.length,
    stepsSucceeded: pods.filter((n) => n.phase === 'Succeeded').length,
    status: wf.status?.phase ?? 'unknown',
    seconds,
    note: notes.join('; '),
  });
  return wf;
}

describe("Argo Workflows runs staging's pipelines from dist/staging", () => {
  let left: string[] = [];

  beforeAll(async () => {
    kubectl(['apply', '--server-side', '--field-manager=dfp-e2e', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name: NS,
          labels: {
            'pod-security.kubernetes.io/enforce': 'restricted',
            'pod-security.kubernetes.io/enforce-version': 'latest',
          },
        },
      }),
    });
    const staging = stagingObjects();
    left = staging.left;
    apply(argoController(NS));
    // Argo CD replaces what is annotated Replace=true (a Job's pod template is immutable).
    const replace = (o: KubeObject) =>
      (o.metadata.annotations?.['argocd.argoproj.io/sync-options'] ?? '').split(',').includes('Replace=true');
    for (const o of staging.applied.filter(replace))
      kubectl(['-n', NS, 'delete', o.kind.toLowerCase(), o.metadata.name!, '--ignore-not-found']);
    apply(staging.applied);
    ensureSecrets();
    ensureBucket(artifactBucket());
    kubectl(['-n', NS, 'rollout', 'status', 'deployment/workflow-controller', '--timeout=180s'], {
      timeoutMs: 200_000,
    });
  });

  afterAll(() => {
    if (process.env.DFP_E2E_KEEP !== '1')
      kubectl(['delete', 'workflows', '-n', NS, '-l', 'dfp.dev/e2e=argo', '--wait=false'], { allowFailure: true });
  });

  it('applies every object of dist/staging except Applications, sync hooks and the privileged emulator Job', () => {
    expect(
      left.every((l) => / (Application|Job)\//.test(l)),
      left.join('\n'),
    ).toBe(true);
    const ns = getJson(['namespace', NS]);
    expect(ns?.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    for (const t of ['iris', 'kronodroid-features', 'kronodroid-autoencoder'])
      expect(getJson(['-n', NS, 'workflowtemplate', t])).toBeDefined();
  });

  it('iris reaches Succeeded, its dataset passed between steps through MinIO', async () => {
    const wf = await runPipeline('iris', {}, '-', 600_000);
    expect(wf.status?.phase, diagnose(wf)).toBe('Succeeded');
    const { pods } = steps(wf);
    expect(pods.map((p) => p.displayName).sort()).toEqual(['batch-inference', 'process-data', 'train']);
    const dataset = pods
      .find((p) => p.displayName === 'process-data')
      ?.outputs?.artifacts?.find((a) => a.name === 'dataset');
    expect(dataset?.s3?.key).toMatch(new RegExp(`^dfp/${NS}/`));
  });
  const features =
    'kronodroid-features: dlt load, the DataFusion transform, dbt build, lakeFS commit and merge into main';
  it(features, async () => {
    const branch = `e2e-${Date.now().toString(36)}`;
    await seedKronodroid(branch);
    const before = (await (await lakefsOk('GET', `/repositories/${REPO}/branches/main`)).json()) as {
      commit_id: string;
    };
    const wf = await runPipeline(
      'kronodroid-features',
      { target_branch: branch, run_transform: 'true' },
      'datafusion',
      1_200_000,
    );
    expect(wf.status?.phase, diagnose(wf)).toBe('Succeeded');
    expect(
      steps(wf)
        .pods.map((p) => p.displayName)
        .sort(),
    ).toEqual(['dbt-build', 'dlt-load', 'lakefs-commit-merge', 'spark-transform']);
    const merged = steps(wf)
      .pods.find((p) => p.displayName === 'lakefs-commit-merge')
      ?.outputs?.parameters?.find((o) => o.name === 'commit_id')?.value;
    const after = (await (await lakefsOk('GET', `/repositories/${REPO}/branches/main`)).json()) as {
      commit_id: string;
    };
    expect(after.commit_id).not.toBe(before.commit_id);
    expect(merged).toBe(after.commit_id);
    // The training table the transform wrote is on main now.
    const listing = (await (
      await lakefsOk(
        'GET',
        `/repositories/${REPO}/refs/main/objects/ls?prefix=` +
          `${encodeURIComponent('warehouse/kronodroid/fct_training_dataset/')}&amount=1000`,
      )
    ).json()) as { results: unknown[] };
    expect(listing.results.length).toBeGreaterThan(0);
  });

  const autoencoder =
    'kronodroid-autoencoder: train, export, benchmark skipped (nothing scheduled), aggregate; dfp trace fetches ' +
    'its data, weights and image';
  it(autoencoder, async () => {
    // What a data bump is: `dfp lock --update kronodroid@main` against staging's lakeFS and
    // `make synth`, here in a copy of the project; the WorkflowTemplate Argo CD would then sync.
    const copy = projectCopy();
    const { LAKEFS_ACCESS_KEY_ID, LAKEFS_SECRET_ACCESS_KEY } = envFile('lakefs.env');
    const lakefsEnv = {
      LAKEFS_ENDPOINT: LAKEFS,
      LAKEFS_ACCESS_KEY_ID: LAKEFS_ACCESS_KEY_ID!,
      LAKEFS_SECRET_ACCESS_KEY: LAKEFS_SECRET_ACCESS_KEY!,
    };
    const lock = run('node', ['scripts/run.mjs', 'dfp.ts', 'lock', '--update', `${REPO}@main`], {
      cwd: copy,
      env: lakefsEnv,
    });
    expect(lock.status, lock.stderr).toBe(0);
    const synth = run('node', ['scripts/run.mjs', 'dfp.ts', 'synth'], { cwd: copy, timeoutMs: 300_000 });
    expect(synth.status, synth.stderr).toBe(0);
    const template = readFileSync(
      join(copy, 'dist', ENV, 'argo', 'workflow-templates', 'kronodroid-autoencoder.yaml'),
      'utf8',
    );
    const pinned = JSON.parse(readFileSync(join(copy, 'dfp.lock.json'), 'utf8'));
    apply(parseObjects(template));

    const wf = await runPipeline(
      'kronodroid-autoencoder',
      {
        max_epochs: '1',
        latent_dim: '4',
        batch_size: '32',
        max_rows_per_split: '64',
        run_android_benchmark: 'false',
      },
      '-',
      1_200_000,
    );
    expect(wf.status?.phase, diagnose(wf)).toBe('Succeeded');
    const { pods, skipped } = steps(wf);
    expect(pods.map((p) => p.displayName).sort()).toEqual(['aggregate-metrics', 'export-executorch', 'train']);
    // The emulator step scheduled nothing: Argo skipped its task, and no pod was made for it.
    expect(skipped.map((n) => n.displayName)).toEqual(['benchmark-android']);
    expect(
      kubectl(['-n', NS, 'get', 'pods', '-l', `workflows.argoproj.io/workflow=${wf.metadata.name}`, '-o', 'name'])
        .stdout,
    ).not.toMatch(/benchmark-android/);
    // The run's output says so: aggregate-metrics' summary, through MinIO.
    const summary = execFileSync('tar', ['-xzO'], {
      input: artifactBytes(wf, 'aggregate-metrics', 'summary'),
    }).toString();
    expect(JSON.parse(summary)).toMatchObject({
      android_benchmark: 'skipped',
      android_benchmark_reason: '--run-benchmark false',
    });

    // dfp trace closes the loop on the run Argo executed.
    const runId = pods
      .find((p) => p.displayName === 'train')
      ?.outputs?.parameters?.find((o) => o.name === 'mlflow_run_id')?.value;
    expect(runId).toMatch(/^[0-9a-f]{32}$/);
    const out = join(mkdtempSync(join(tmpdir(), 'dfp-e2e-trace-')), 'fetched');
    const trace = run('node', ['scripts/run.mjs', 'dfp.ts', 'trace', runId!, '--fetch', out, '--json'], {
      cwd: copy,
      env: { ...lakefsEnv, MLFLOW_TRACKING_URI: MLFLOW },
      timeoutMs: 300_000,
    });
    expect(trace.status, `${trace.stderr}${trace.stdout}`).toBe(0);
    const report = JSON.parse(trace.stdout) as {
      lakefs: { commit: string };
      image?: { ref: string; digest?: string };
      weights: { path: string; sha256: string }[];
      environment: string;
    };
    expect(report.environment).toBe(ENV);
    expect(report.lakefs.commit).toBe(pinned.refs?.[`${REPO}@main`]?.commit ?? Object.values(pinned.refs ?? pinned)[0]);
    // The training data, byte for byte as lakeFS holds it at the pinned commit.
    const dataDir = join(out, 'data');
    const files = readdirSync(dataDir, { recursive: true, encoding: 'utf8' })
      .filter((f) => statSync(join(dataDir, f)).isFile())
      .sort();
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const r = await lakefsOk(
        'GET',
        `/repositories/${REPO}/refs/${report.lakefs.commit}/objects?path=${encodeURIComponent(f)}`,
      );
      expect(sha256(readFileSync(join(dataDir, f))), f).toBe(sha256(Buffer.from(await r.arrayBuffer())));
    }
    // The weights by sha256, as MLflow keeps them for the run.
    expect(report.weights.length).toBeGreaterThan(0);
    for (const w of report.weights) {
      expect(sha256(readFileSync(join(out, 'weights', w.path))), w.path).toBe(w.sha256);
      const r = await fetch(`${MLFLOW}/get-artifact?path=${encodeURIComponent(w.path)}&run_uuid=${runId}`);
      expect(r.ok, w.path).toBe(true);
      expect(sha256(Buffer.from(await r.arrayBuffer())), w.path).toBe(w.sha256);
    }
    // The image the step ran, by the digest the lock pins.
    expect(report.image?.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    rmSync(copy, { recursive: true, force: true });
  });
});
