/**
 * A real Argo CD (v2.14, built from the Go module proxy by scripts/argocd/build and started
 * by scripts/argocd/up on the embedded cluster) syncs dist/, for each environment
 * (DFP_E2E_ARGOCD_ENVS, default all three), in a namespace of its own (`ml-<env>-argocd`:
 * the rendering with that namespace and the cluster's services in place of external
 * endpoints; the other e2e suites run in the environments' own namespaces):
 *
 * - the root Application, applied to a cluster where no object of the environment exists,
 *   syncs its children wave by wave; each child is Synced and Healthy, or not Healthy for a
 *   documented reason (no Spark operator, no KVM node, a suspended run template); every
 *   Sync hook that can run here succeeds; the waves order what they claim: no child of a
 *   wave is created before every child of an earlier wave finished its sync and was Healthy;
 * - a Sync hook that cannot succeed here (its image not in the cluster at the digest dist/
 *   pins, or DataHub's GMS) is named before the sync: in an earlier wave than the last it
 *   refuses the environment; in the last, its failure's reason is asserted, its sync is
 *   never ended by hand, and its Job is seen to end at its deadline (docs/gitops.md);
 * - a second sync of every Application changes no object;
 * - a commit that edits one pipeline's definition (main.ts's, changed in the construct
 *   tree and rendered the way `make synth` does) changes exactly the objects whose
 *   rendering changed (an Application whose sync still runs reports exactly those of its
 *   objects OutOfSync), and PipelineVersions are never pruned (a run may use them);
 * - an edited object is put back (self-heal, which dfp enables on every Application);
 * - a commit that removes a pipeline prunes exactly its objects (its PipelineVersions kept).
 *
 * Argo CD reads https://git.example.com/ml-platform/dfp.git, the URL dist/ names, unchanged:
 * scripts/argocd/up gives that repository a proxy (its git server, which serves a temporary
 * repository holding the rendering) in Argo CD's repository settings.
 *
 * The environment's namespace gets, before the sync, only the platform's prerequisites
 * that dist/ names and does not render: the Secrets its pods read, and the buckets in the
 * cluster's MinIO. The CRDs of the kinds dist/ renders whose controllers do not run here
 * (Kubeflow Pipelines, the Spark Operator) are installed as tests/support/kube-crds.ts
 * makes them.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/process.ts';
import { kubeflowCrds, preservingCrd, sparkApplicationCrd } from '../support/kube-crds.ts';
import {
  ARGOCD_NS,
  application,
  applications,
  argocdDown,
  clusterEnv,
  ensureBucket,
  argocdRuns,
  argocdUp,
  diffLive,
  keyOf,
  kubectl,
  liveObjects,
  refresh,
  sleep,
  startSync,
  tryKubectlJson,
  waitFor,
  type LiveObject,
} from './support/argocd-kube.ts';
import {
  ServedRepo,
  changes,
  childApps,
  desiredDiff,
  desiredObjects,
  editPipeline,
  environmentBranches,
  inClusterEndpoints,
  inOwnNamespaces,
  removePipeline,
  renderDist,
  resourceNames,
  type ChildApp,
  type DesiredObject,
} from './support/argocd-repo.ts';
import { imageInCluster, importPinned } from './support/cluster-images.ts';
import { recordRun } from './support/run-table.ts';

type Json = Record<string, any>;
const DIST = join(ROOT, 'dist');
/**
 * What is synced: dist/ as `make synth` renders it, each environment's namespace with this
 * suffix (DFP_E2E_ARGOCD_NS_SUFFIX; empty: the namespaces dist/ names). The other e2e suites
 * run in the environments' namespaces (Argo's in ml-staging, which it leaves behind; Airflow's
 * in ml-prod), and an Argo CD sync with prune and self-heal must not share a namespace.
 */
const NS_SUFFIX = process.env.DFP_E2E_ARGOCD_NS_SUFFIX ?? '-argocd';
const SYNCED =
  process.env.DFP_E2E && NS_SUFFIX ? renderDist(changes(inOwnNamespaces(NS_SUFFIX), inClusterEndpoints)) : DIST;
/** The pipeline the edit and removal steps change: it has objects in every environment. */
const PIPELINE = 'iris';
const SYNC_LIMIT_S = 900;
/**
 * The Sync hooks that cannot succeed on the embedded cluster whatever is built
 * (docs/gitops.md): the server they send to does not run here.
 */
const NEEDS_ABSENT_SERVER: Record<string, string> = {
  'datahub-ingest': "DataHub's GMS, which does not run here",
};
/** What a hook's container log says when its server cannot be reached. */
const UNREACHABLE = /datahub-gms|connection|resolve|name or service not known|max retries|refused|unreachable/i;
/**
 * The kinds whose objects cannot be Healthy here, and the exact reason: their controller or
 * the node they need is not part of the embedded cluster (docs/gitops.md).
 */
const CANNOT_BE_HEALTHY = {
  SparkApplication: 'no Spark operator runs here: the SparkApplication has no status',
  Job: 'no node has /dev/kvm: the pod is Unschedulable (nodeSelector dfp.dev/kvm)',
  /** Not a defect: a run template (targets/datafusion/job.ts), Suspended by design, here and anywhere. */
  SuspendedJob: 'a run template: a suspended Job the transform launcher copies for each run (Suspended by design)',
} as const;
/** Marks the namespaces this suite made, so that a run stopped half-way is cleaned up by the next. */
const OWN_LABEL = 'dfp.dev/e2e';

const branches = environmentBranches(DIST);
/**
 * The environments synced: DFP_E2E_ARGOCD_ENVS (comma-separated), by default all three
 * (about 8 minutes warm; the first waits about 4 for DataHub's hook to reach its deadline).
 * staging has the most to order (the accounts wave, a wave-0 hook that runs, WorkflowTemplates
 * that mount wave-0 ConfigMaps, a hook that cannot succeed here, children that cannot be
 * Healthy here); dev adds Kubeflow's PipelineVersions (never pruned) and the Feast hook; prod
 * the Feast hook against its object store (the cluster's MinIO in place of prod's endpoint).
 */
const wanted = (process.env.DFP_E2E_ARGOCD_ENVS ?? 'dev,staging,prod').split(',').filter(Boolean);
const ENVS = [...branches.keys()].filter((e) => wanted.includes(e));

let startedHere = false;
let repo: ServedRepo;
/**
 * The environment whose doomed hook was seen to end at its deadline: the Jobs are the same
 * helper's, once per run is enough.
 */
let deadlineSeenIn = '';
const tables: string[] = [];

/** The state of one child Application, read from the cluster. */
interface ChildState {
  readonly name: string;
  readonly wave: number;
  readonly created: number;
  readonly sync: string;
  readonly health: string;
  readonly phase: string;
  readonly finished: number | null;
  readonly healthyAt: number | null;
  readonly revision: string;
  readonly hooks: { name: string; kind: string; phase: string; message: string }[];
  readonly message: string;
}
const time = (s: string | undefined) => (s ? Date.parse(s) : null);

function childState(child: ChildApp, healthySince: Map<string, number>, all: Map<string, Json>): ChildState | null {
  const a = all.get(child.name);
  if (!a) return null;
  const op = a.status?.operationState ?? {};
  const health = a.status?.health?.status ?? '-';
  if (health === 'Healthy' && !healthySince.has(child.name)) healthySince.set(child.name, Date.now());
  const hooks = ((op.syncResult?.resources ?? []) as Json[])
    .filter((r) => r.hookType)
    .map((r) => ({
      name: r.name,
      kind: r.kind,
      phase: r.hookPhase ?? r.status ?? '-',
      message: String(r.message ?? ''),
    }));
  return {
    name: child.name,
    wave: child.wave,
    created: time(a.metadata.creationTimestamp)!,
    sync: a.status?.sync?.status ?? '-',
    health,
    phase: op.phase ?? '-',
    finished: time(op.finishedAt),
    healthyAt: healthySince.get(child.name) ?? null,
    revision: a.status?.sync?.revision ?? '',
    hooks,
    message: String(op.message ?? ''),
  };
}

/** Every child exists and its latest sync (at `revision`, when given) has finished. */
/**
 * Every child exists and its latest sync has finished; with `revision`, every child compares
 * against it and is Synced, and those in `mustSync` (whose objects the commit changes; the
 * others have nothing to sync and start no sync) finished a sync after `after`.
 */
function settled(
  children: readonly ChildApp[],
  healthySince: Map<string, number>,
  revision?: string,
  after = 0,
  mustSync?: ReadonlySet<string>,
) {
  const all = new Map(applications().map((a) => [a.metadata.name as string, a]));
  const states = children.map((c) => childState(c, healthySince, all));
  if (states.some((s) => !s || s.phase === '-' || s.phase === 'Running' || s.finished === null)) return null;
  if (states.some((s) => (!mustSync || mustSync.has(s!.name)) && s!.finished! < after)) return null;
  if (revision && states.some((s) => s!.revision !== revision || s!.sync !== 'Synced')) return null;
  return states as ChildState[];
}
/** The Applications that own the objects a commit adds, changes or removes. */
const owners = (
  diff: { added: string[]; changed: string[]; removed: string[] },
  ...sets: (readonly DesiredObject[])[]
) => {
  const byKey = new Map(sets.flat().map((o) => [o.key, o.app]));
  return new Set([...diff.added, ...diff.changed, ...diff.removed].map((k) => byKey.get(k)!));
};

/**
 * A Sync hook that cannot succeed here: its image is not in the cluster at the digest dist/
 * pins, or it sends to a server that does not run here. Its Job fails at its deadline
 * (activeDeadlineSeconds, docs/gitops.md) or when its pods have failed backoffLimit + 1 times.
 */
interface DoomedHook {
  readonly app: string;
  readonly wave: number;
  readonly job: string;
  readonly namespace: string;
  readonly image: string;
  readonly deadline: number | undefined;
  readonly why: 'image' | 'server';
  readonly detail: string;
}

/** What the cluster shows of a doomed hook's failure, as the test expects it; null while it shows nothing yet. */
function hookFailureSeen(h: DoomedHook): string | null {
  const pods = (tryKubectlJson(['-n', h.namespace, 'get', 'pods', '-l', `job-name=${h.job}`])?.items ?? []) as Json[];
  for (const p of pods) {
    for (const c of (p.status?.containerStatuses ?? []) as Json[]) {
      const waiting = c.state?.waiting?.reason as string | undefined;
      if (h.why === 'image' && (waiting === 'ErrImagePull' || waiting === 'ImagePullBackOff'))
        return `pod ${p.metadata.name}: ${waiting}`;
      const ended = (c.state?.terminated ?? c.lastState?.terminated) as Json | undefined;
      if (h.why === 'server' && ended && ended.exitCode !== 0) {
        let log = '';
        try {
          log = kubectl(['-n', h.namespace, 'logs', p.metadata.name, '--tail=40']);
        } catch {
          /* the pod may be gone: its next one answers */
        }
        const line = log
          .split('\n')
          .find((l) => UNREACHABLE.test(l))
          ?.trim();
        // The part of the line around what says so: its start may be 200 characters of context.
        const at = line ? line.search(UNREACHABLE) : -1;
        const said = line
          ? `${at > 80 ? '…' : ''}${line.slice(Math.max(0, at - 80), at + 80)}`
          : `(no line of its log says the server is unreachable: ${log.slice(-200)})`;
        return `pod ${p.metadata.name}: exit ${ended.exitCode}: ${said}`;
      }
    }
  }
  return null;
}

/**
 * Why a resource of a child that is not Healthy cannot be, checked on the live object; null
 * when the reason is not one of CANNOT_BE_HEALTHY's.
 */
function unhealthyReason(r: Json): string | null {
  if (r.kind === 'SparkApplication') {
    const live = tryKubectlJson(['-n', r.namespace, 'get', 'sparkapplications.sparkoperator.k8s.io', r.name]);
    return live && Object.keys(live.status ?? {}).length === 0 ? CANNOT_BE_HEALTHY.SparkApplication : null;
  }
  if (r.kind === 'Job') {
    const job = tryKubectlJson(['-n', r.namespace, 'get', 'job', r.name]);
    if (job?.spec?.suspend === true && r.health?.status === 'Suspended') return CANNOT_BE_HEALTHY.SuspendedJob;
    if (job?.spec?.template?.spec?.nodeSelector?.['dfp.dev/kvm'] !== 'true') return null;
    const pods = (tryKubectlJson(['-n', r.namespace, 'get', 'pods', '-l', `job-name=${r.name}`])?.items ??
      []) as Json[];
    const unschedulable = pods.some((p) =>
      ((p.status?.conditions ?? []) as Json[]).some(
        (c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable',
      ),
    );
    return pods.length > 0 && unschedulable ? CANNOT_BE_HEALTHY.Job : null;
  }
  return null;
}

/** Every value under `key` anywhere in `o` (a deep walk). */
function valuesUnder(o: unknown, key: string, out: Json[] = []): Json[] {
  if (Array.isArray(o)) for (const v of o) valuesUnder(v, key, out);
  else if (o && typeof o === 'object') {
    for (const [k, v] of Object.entries(o as Json)) {
      if (k === key && v && typeof v === 'object') out.push(v as Json);
      valuesUnder(v, key, out);
    }
  }
  return out;
}

/** The platform's prerequisites in the environment's namespace: what dist/ names and does not render. */
function prerequisites(env: string, namespace: string, objs: readonly DesiredObject[]): string[] {
  const rendered = new Set(objs.map((o) => `${o.object.kind}/${o.object.metadata.name}`));
  const all = objs.map((o) => o.object);
  const accounts = new Set<string>();
  const walk = (o: unknown) => {
    if (Array.isArray(o)) o.forEach(walk);
    else if (o && typeof o === 'object') {
      for (const [k, v] of Object.entries(o as Json)) {
        if (k === 'serviceAccountName' && typeof v === 'string') accounts.add(v);
        walk(v);
      }
    }
  };
  walk(all);
  const secretKeys = new Map<string, Set<string>>();
  for (const ref of valuesUnder(all, 'secretKeyRef')) {
    if (!secretKeys.has(ref.name)) secretKeys.set(ref.name, new Set());
    secretKeys.get(ref.name)!.add(ref.key);
  }
  for (const ref of [...valuesUnder(all, 'secretRef'), ...valuesUnder(all, 'secret')]) {
    const name = ref.name ?? ref.secretName;
    if (typeof name === 'string' && !secretKeys.has(name)) secretKeys.set(name, new Set());
  }
  const made: string[] = [];
  const docs: Json[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { [OWN_LABEL]: 'argocd' } } },
  ];
  for (const sa of [...accounts].sort()) {
    if (rendered.has(`ServiceAccount/${sa}`)) continue;
    docs.push({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa, namespace } });
    made.push(`ServiceAccount/${sa}`);
  }
  for (const [s, keys] of [...secretKeys].sort(([a], [b]) => a.localeCompare(b))) {
    if (rendered.has(`Secret/${s}`)) continue;
    // The cluster's own credentials where it has the service (MinIO, lakeFS, DataHub's
    // token), random values otherwise.
    const known = KNOWN_SECRETS[s];
    const data = Object.fromEntries([...keys].sort().map((k) => [k, known?.[k] ?? randomBytes(12).toString('hex')]));
    docs.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: s, namespace }, stringData: data });
    made.push(`Secret/${s} (${[...keys].sort().join(', ') || 'no keys named'})`);
  }
  kubectl(['apply', '-f', '-'], docs.map((d) => JSON.stringify(d)).join('\n'));
  return made;
}

const minio = clusterEnv('minio.env');
const lakefs = clusterEnv('lakefs.env');
const datahub = clusterEnv('datahub.env');
/** Secrets dist/ names whose values the embedded cluster has (scripts/cluster/ writes them). */
const KNOWN_SECRETS: Record<string, Record<string, string | undefined>> = {
  'minio-credentials': { accesskey: minio.MINIO_ROOT_USER, secretkey: minio.MINIO_ROOT_PASSWORD },
  'object-store-credentials': { accesskey: minio.MINIO_ROOT_USER, secretkey: minio.MINIO_ROOT_PASSWORD },
  'lakefs-credentials': { accesskey: lakefs.LAKEFS_ACCESS_KEY_ID, secretkey: lakefs.LAKEFS_SECRET_ACCESS_KEY },
  'datahub-token': { token: datahub.DATAHUB_TOKEN },
  'datahub-ingest-token': { token: datahub.DATAHUB_TOKEN },
};

/** The buckets dist/'s objects name (s3://BUCKET/…), made in the cluster's MinIO as the platform would. */
async function buckets(objs: readonly DesiredObject[]): Promise<string[]> {
  const names = [
    ...new Set(
      [...JSON.stringify(objs.map((o) => o.object)).matchAll(/s3a?:\/\/([a-z0-9][a-z0-9.-]+)/g)].map((m) => m[1]!),
    ),
  ].sort();
  if (!minio.MINIO_ROOT_USER) return [];
  for (const b of names) await ensureBucket(b, minio.MINIO_ROOT_USER, minio.MINIO_ROOT_PASSWORD!);
  return names;
}

/** The CRDs of kinds dist/ renders whose controllers are not part of the embedded cluster. */
function installCrds(objs: readonly DesiredObject[]): void {
  const kinds = new Set(objs.map((o) => `${o.object.kind}.${String(o.object.apiVersion).split('/')[0]}`));
  const crds: Json[] = [];
  if (kinds.has('Pipeline.pipelines.kubeflow.org') || kinds.has('PipelineVersion.pipelines.kubeflow.org'))
    crds.push(...kubeflowCrds().map((c) => c.crd));
  if (kinds.has('SparkApplication.sparkoperator.k8s.io')) {
    let crd: Json;
    try {
      crd = sparkApplicationCrd().crd;
    } catch {
      // Without the harness's environment (make python): an open spec. A group under
      // k8s.io must carry the approval annotation, as the operator's own CRD does.
      crd = preservingCrd('sparkoperator.k8s.io', 'SparkApplication', 'sparkapplications', ['v1beta2']);
      crd.metadata.annotations = { 'api-approved.kubernetes.io': "unapproved, open spec made by dfp's e2e suite" };
    }
    crds.push(crd);
  }
  for (const crd of crds) {
    if (tryKubectlJson(['get', 'crd', crd.metadata.name])) continue;
    kubectl(['apply', '--server-side', '-f', '-'], JSON.stringify(crd));
    // A CRD just created has no conditions yet (kubectl wait then fails at once): poll.
    for (let i = 0; ; i++) {
      const got = tryKubectlJson(['get', 'crd', crd.metadata.name]);
      if ((got?.status?.conditions ?? []).some((c: Json) => c.type === 'Established' && c.status === 'True')) break;
      if (i > 120) throw new Error(`CRD ${crd.metadata.name} not Established within 60 s`);
      spawnSync('sleep', ['0.5']);
    }
  }
}

/** Deletes the environment's root Application (its finaliser deletes the children and their objects) and namespace. */
async function removeEnvironment(env: string, namespace: string): Promise<void> {
  // A sync in progress (a wave waiting for health) holds the deletion back: terminate it
  // first, as `argocd app terminate-op` does.
  for (const a of applications().filter(
    (x) => x.metadata.labels?.['dfp.dev/environment'] === env && x.status?.operationState?.phase === 'Running',
  )) {
    kubectl([
      '-n',
      ARGOCD_NS,
      'patch',
      'applications.argoproj.io',
      a.metadata.name,
      '--type=merge',
      '-p',
      JSON.stringify({ status: { operationState: { phase: 'Terminating' } } }),
    ]);
  }
  kubectl(['-n', ARGOCD_NS, 'delete', '--ignore-not-found', '--wait=false', 'applications.argoproj.io', `${env}-apps`]);
  await waitFor(
    `${env}'s Applications to be deleted`,
    300,
    () => {
      const mine = applications().filter((a) => a.metadata.labels?.['dfp.dev/environment'] === env);
      // A retry of a stuck hook starts a new sync: terminate again until the deletion goes through.
      for (const a of mine.filter((x) => x.status?.operationState?.phase === 'Running')) {
        kubectl([
          '-n',
          ARGOCD_NS,
          'patch',
          'applications.argoproj.io',
          a.metadata.name,
          '--type=merge',
          '-p',
          JSON.stringify({ status: { operationState: { phase: 'Terminating' } } }),
        ]);
      }
      return mine.length === 0;
    },
    2000,
  );
  kubectl(['delete', 'namespace', '--ignore-not-found', '--wait=true', '--timeout=180s', namespace]);
}

const fmt = (ms: number | null) => (ms === null ? '-' : `${(ms / 1000).toFixed(1)} s`);

beforeAll(() => {
  startedHere = !argocdRuns();
  const info = argocdUp();
  repo = new ServedRepo(info.ARGOCD_GIT_ROOT!, SYNCED, [...new Set(branches.values())]);
  for (const env of ENVS) installCrds(desiredObjects(SYNCED, env));
}, 1_800_000);

afterAll(() => {
  repo?.remove();
  if (SYNCED !== DIST) rmSync(join(SYNCED, '..'), { recursive: true, force: true });
  for (const t of tables) console.log(t);
  if (startedHere && process.env.DFP_E2E_KEEP_ARGOCD !== '1') argocdDown();
});

describe.skipIf(!process.env.DFP_E2E)('Argo CD syncs dist/ on the embedded cluster', () => {
  for (const env of ENVS) {
    describe(`environment ${env}`, () => {
      const branch = branches.get(env)!;
      const children = childApps(SYNCED, env);
      const namespaces = [...new Set(children.map((c) => c.namespace))];
      const current = desiredObjects(SYNCED, env);
      const apps = [`${env}-apps`, ...children.map((c) => c.name)];
      let kinds = resourceNames(current);
      const row: Record<string, Json> = Object.fromEntries(children.map((c) => [c.name, {}]));
      const summary: string[] = [];
      let first: ChildState[] = [];
      let syncedLive = new Map<string, LiveObject>();
      let edited = '';
      let editedObjs: DesiredObject[] = [];
      /**
       * The Sync hooks that cannot succeed here (found before the sync: DoomedHook). Their
       * Applications' syncs run until the hook's Job fails at its deadline and Argo CD's
       * retries are spent; the suite does not wait for that, nor end those syncs: it checks
       * their objects were applied, the hook fails for the expected reason, and, after a
       * commit, that Argo CD compares the Application against it and finds exactly the
       * changed objects OutOfSync (a running sync holds the next one back).
       */
      let doomed: DoomedHook[] = [];
      const doomedApp = (name: string) => doomed.some((h) => h.app === name);
      const waitable = () => children.filter((c) => !doomedApp(c.name));

      /**
       * For the children whose sync a doomed hook holds: wait until each compares against
       * `revision`, then the objects it reports OutOfSync, per child, and the ones the
       * commit changes (from what is live: the first sync's objects).
       */
      async function heldBack(
        revision: string,
        next: readonly DesiredObject[],
        want: ReturnType<typeof desiredDiff>,
        label: string,
      ) {
        const out: { app: string; outOfSync: string[]; want: string[] }[] = [];
        for (const c of children.filter((x) => doomedApp(x.name))) {
          const a = await waitFor(`${c.name} to compare against ${revision.slice(0, 8)}`, 300, () => {
            const got = application(c.name);
            return got?.status?.sync?.revision === revision ? got : null;
          });
          const outOfSync = ((a.status?.resources ?? []) as Json[])
            .filter((r) => r.status === 'OutOfSync')
            .map((r) => keyOf(r.group, r.kind, r.namespace, r.name))
            .sort();
          const mine = new Set([...current, ...next].filter((o) => o.app === c.name).map((o) => o.key));
          const wanted = [...want.changed, ...want.added, ...want.removed].filter((k) => mine.has(k)).sort();
          out.push({ app: c.name, outOfSync, want: wanted });
          row[c.name]![label] =
            `${outOfSync.length} OutOfSync (its sync runs: the hook's retries), applied at its next sync`;
        }
        return out;
      }

      beforeAll(async () => {
        for (const ns of namespaces) {
          const inUse = tryKubectlJson(['get', 'namespace', ns]);
          if (inUse?.metadata?.labels?.[OWN_LABEL] === 'argocd') {
            await removeEnvironment(env, ns);
            continue;
          }
          if (inUse)
            throw new Error(
              `namespace ${ns} already exists: another user of the cluster may run in it, and this sync would ` +
                `adopt and prune its objects; delete it or leave ${env} out (DFP_E2E_ARGOCD_ENVS)`,
            );
        }
        const images = [
          ...new Set(
            [...JSON.stringify(current.map((o) => o.object)).matchAll(/"image":"([^"]+)"/g)].map((m) => m[1]!),
          ),
        ];
        const pinned = importPinned(images);
        summary.push(`images imported by the digest dist/ pins: ${pinned.imported.join(', ') || 'none needed'}`);
        const lastWave = Math.max(...children.map((c) => c.wave));
        doomed = current
          .filter((o) => o.hook === 'Sync' && o.object.kind === 'Job')
          .flatMap((o): DoomedHook[] => {
            const image = String(o.object.spec.template.spec.containers[0].image);
            const server = NEEDS_ABSENT_SERVER[o.object.metadata.name];
            const missing = !imageInCluster(image);
            if (!missing && !server) return [];
            return [
              {
                app: o.app,
                wave: children.find((c) => c.name === o.app)!.wave,
                job: o.object.metadata.name,
                namespace: o.object.metadata.namespace,
                image,
                deadline: o.object.spec.activeDeadlineSeconds,
                why: missing ? 'image' : 'server',
                detail: missing
                  ? `its image ${image} is not in the cluster at that digest`
                  : `it sends to ${server ?? ''}`,
              },
            ];
          });
        for (const h of doomed)
          summary.push(`Sync hook ${h.job} (${h.app}, wave ${h.wave}) cannot succeed here: ${h.detail}`);
        // A hook that cannot succeed in an earlier wave than the last holds every later wave
        // until its Job's deadline has passed on each of Argo CD's 6 attempts (about 35 minutes):
        // such an environment is not synced (the cause is named; nothing of it is applied).
        const holding = doomed.filter((h) => h.wave < lastWave);
        if (holding.length > 0) {
          const hooks = holding
            .map((h) => `the Sync hook ${h.job} of ${h.app} (wave ${h.wave}) cannot succeed here: ${h.detail}`)
            .join('; ');
          const build = holding.some((h) => h.why === 'image')
            ? 'Build the images at the digests dist/ pins (make images; scripts/images/archive-for --dist names ' +
              'what is missing) and import them (scripts/cluster/import), or leave ' +
              env +
              ' out (DFP_E2E_ARGOCD_ENVS).'
            : '';
          throw new Error(
            `${env}: ${hooks}; it would hold wave ${lastWave} until its deadline (${holding[0]!.deadline} s) ` +
              `has passed on each of Argo CD's 6 attempts. ${build}`,
          );
        }
        for (const ns of namespaces)
          summary.push(`prerequisites made in ${ns}: ${prerequisites(env, ns, current).join(', ') || 'none'}`);
        summary.push(`buckets made in MinIO: ${(await buckets(current)).join(', ') || 'none'}`);
      }, 600_000);

      afterAll(async () => {
        const lines = [
          `\nArgo CD sync table, environment ${env} (branch ${branch}):`,
          '| Application | wave | created | Synced | Healthy | first sync | hooks (outcome) | 2nd sync changes ' +
            '| edit changes | removal prunes | self-heal |',
          '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
          ...children.map((c) => {
            const r = row[c.name]!;
            return (
              `| ${c.name} | ${c.wave} | ${r.created ?? '-'} | ${r.sync ?? '-'} | ${r.health ?? '-'} | ` +
              `${r.phase ?? '-'} | ${r.hooks ?? '-'} | ${r.second ?? '-'} | ${r.edit ?? '-'} | ${r.prune ?? '-'} | ` +
              `${r.heal ?? '-'} |`
            );
          }),
          ...summary.map((s) => `- ${s}`),
        ];
        tables.push(lines.join('\n'));
        // Only what this suite made: a namespace refused as another user's is left alone.
        const ns = tryKubectlJson(['get', 'namespace', namespaces[0]!]);
        if (!ns || ns.metadata?.labels?.[OWN_LABEL] === 'argocd') await removeEnvironment(env, namespaces[0]!);
      }, 600_000);

      it(
        'the root Application syncs every child from an empty cluster, wave by wave',
        async () => {
          const healthySince = new Map<string, number>();
          const t0 = Date.now();
          kubectl(['apply', '-f', join(SYNCED, env, 'argocd', 'root.yaml')]);
          // Each child's first sync; its health is noted the moment it turns Healthy. A child
          // whose hook cannot succeed here is done for this test once its objects are applied
          // (Synced) and its hook shows the expected failure; its sync goes on (retries).
          const seen = new Map<string, string>();
          let settledAt = 0;
          first = await waitFor(
            `${env}'s children to finish their first sync`,
            SYNC_LIMIT_S,
            () => {
              const done = settled(waitable(), healthySince);
              if (!done) return null;
              for (const h of doomed.filter((x) => !seen.has(x.app))) {
                // Its objects are applied (they come before the hook) and the hook shows its failure.
                const live = liveObjects([h.app], kinds);
                const applied = current.filter((o) => o.app === h.app && !o.hook).every((o) => live.has(o.key));
                const why = applied ? hookFailureSeen(h) : null;
                if (why) seen.set(h.app, why);
              }
              if (doomed.some((h) => !seen.has(h.app))) return null;
              settledAt = Date.now();
              const all = new Map(applications().map((a) => [a.metadata.name as string, a]));
              return children.map((c) => childState(c, healthySince, all)!);
            },
            1000,
          );
          const root = await waitFor(`${env}-apps to finish its sync`, SYNC_LIMIT_S, () => {
            const a = application(`${env}-apps`);
            const p = a?.status?.operationState?.phase;
            return p && p !== 'Running' ? a : null;
          });
          // The full sync's time: until every child had finished its first sync (a child whose
          // hook cannot succeed here: until its objects were applied and its hook had failed).
          const seconds = (settledAt - t0) / 1000;
          const unhealthy: string[] = [];
          for (const s of first) {
            const resources = (application(s.name)?.status?.resources ?? []) as Json[];
            const reasons = resources
              .filter((r) => r.health && r.health.status !== 'Healthy')
              .map((r) => ({ r, why: unhealthyReason(r) }));
            for (const { r } of reasons.filter((x) => !x.why))
              unhealthy.push(`${s.name}: ${r.kind}/${r.name} is ${r.health.status} (${r.health.message ?? ''})`);
            const hook = doomed.find((h) => h.app === s.name);
            Object.assign(row[s.name]!, {
              created: `+${((s.created - t0) / 1000).toFixed(0)} s`,
              sync: s.sync,
              health:
                s.health === 'Healthy'
                  ? 'Healthy'
                  : `${s.health}: ` +
                    [...new Set(reasons.map((x) => `${x.r.kind}/${x.r.name}: ${x.why ?? 'unexpected'}`))].join('; '),
              phase: hook ? `${s.phase} (its hook's retries)` : s.phase,
              hooks: hook
                ? `Job/${hook.job}: fails as expected (${hook.detail}): ${seen.get(s.name)}; ` +
                  `Job deadline ${hook.deadline} s`
                : s.hooks
                    .map(
                      (h) =>
                        `${h.kind}/${h.name}: ${h.phase}` +
                        (h.phase === 'Succeeded' ? '' : ` (${h.message.slice(0, 80)})`),
                    )
                    .join('; ') || 'none',
            });
            if (s.health !== 'Healthy' && reasons.length === 0)
              unhealthy.push(`${s.name}: ${s.health} with every resource Healthy`);
          }
          summary.push(
            "full sync from an empty cluster (root applied → every child's first sync finished, hooks included; " +
              `a hook that cannot succeed here: until it failed), warm: ${seconds.toFixed(1)} s; ` +
              `root ${root.status.sync.status}/${root.status.health.status}, ` +
              `operation ${root.status.operationState.phase}`,
          );
          recordRun({
            orchestrator: 'argocd',
            environment: env,
            pipeline: 'app-of-apps',
            engine: '-',
            steps: children.length,
            stepsSucceeded: first.filter((s) => s.sync === 'Synced' && s.health === 'Healthy').length,
            status: root.status.operationState.phase,
            seconds,
            note:
              first
                .filter((s) => s.health !== 'Healthy' || s.phase !== 'Succeeded')
                .map((s) => `${s.name} ${s.health}/${s.phase}`)
                .join('; ') || undefined,
          });
          expect(root.status.operationState.phase).toBe('Succeeded');
          for (const s of first) expect(s.sync, `${s.name}: ${s.message}`).toBe('Synced');
          for (const s of first.filter((x) => !doomedApp(x.name)))
            expect(s.phase, `${s.name}: ${s.message}`).toBe('Succeeded');
          // Every child is Healthy but for the documented reasons (CANNOT_BE_HEALTHY).
          expect(unhealthy).toEqual([]);
          // Every hook that can run here ran and succeeded; the others failed as expected and carry a deadline.
          for (const s of first.filter((x) => !doomedApp(x.name)))
            for (const h of s.hooks)
              expect(`${s.name} ${h.kind}/${h.name}: ${h.phase}`).toBe(`${s.name} ${h.kind}/${h.name}: Succeeded`);
          for (const h of doomed) {
            expect(seen.get(h.app), h.job).toBeDefined();
            if (h.why === 'server') expect(seen.get(h.app), h.job).toMatch(UNREACHABLE);
            expect(h.deadline, `${h.job} has no deadline: its sync would never end`).toBeGreaterThan(0);
          }
          syncedLive = liveObjects(apps, kinds);
          // Every object dist/ renders for the environment is in the cluster.
          const missing = current.filter((o) => !o.hook && !syncedLive.has(o.key)).map((o) => o.key);
          expect(missing).toEqual([]);
        },
        SYNC_LIMIT_S * 2 * 1000,
      );

      const wavesOrdered =
        "the children's sync waves order them: none created before every child of an earlier wave finished " +
        'and was Healthy';
      it(wavesOrdered, () => {
        const violations: string[] = [];
        for (const later of first) {
          for (const earlier of first.filter((e) => e.wave < later.wave)) {
            // The earlier child's sync (hooks included) finished before the later one was
            // created (creationTimestamp and finishedAt have one-second resolution), and it is
            // Healthy: a wave waits for health, so an unhealthy child holds back later waves.
            const ready = earlier.finished ?? Infinity;
            if (Math.floor(later.created / 1000) < Math.floor(ready / 1000) || earlier.health !== 'Healthy') {
              violations.push(
                `${later.name} (wave ${later.wave}) created at ${new Date(later.created).toISOString()}, ` +
                  `before ${earlier.name} (wave ${earlier.wave}) was done (sync ${earlier.phase} at ` +
                  `${new Date(earlier.finished ?? 0).toISOString()}, health ${earlier.health})`,
              );
            }
          }
        }
        expect(first.length).toBe(children.length);
        expect(violations).toEqual([]);
      });

      it(
        'a second sync of every Application changes no object',
        async () => {
          const before = liveObjects(apps, kinds);
          const t = Date.now();
          // A child whose first sync still runs (its hook's retries) cannot be asked for another.
          const syncing = apps.filter((a) => !doomedApp(a));
          for (const a of syncing) startSync(a);
          await waitFor(
            'the second syncs',
            SYNC_LIMIT_S,
            () => {
              const done = syncing.every((a) => {
                const op = application(a)?.status?.operationState;
                return op && op.phase !== 'Running' && Date.parse(op.startedAt) >= Math.floor(t / 1000) * 1000;
              });
              return done || null;
            },
            1000,
          );
          const d = diffLive(before, liveObjects(apps, kinds));
          for (const c of children) {
            const n = [...d.added, ...d.removed, ...d.changed, ...d.recreated].filter(
              (k) => (before.get(k) ?? { app: '' }).app === c.name,
            ).length;
            row[c.name]!.second = doomedApp(c.name) ? `${n} (not asked: its first sync runs)` : String(n);
          }
          for (const a of syncing) expect(application(a)?.status?.operationState?.phase, a).toBe('Succeeded');
          expect(d).toEqual({ added: [], removed: [], changed: [], recreated: [] });
        },
        SYNC_LIMIT_S * 1000,
      );

      it(
        `a commit that edits one pipeline (${PIPELINE}) changes exactly the objects whose rendering changed`,
        async () => {
          const dist = renderDist(changes(inOwnNamespaces(NS_SUFFIX), inClusterEndpoints, editPipeline(PIPELINE)));
          editedObjs = desiredObjects(dist, env);
          kinds = [...new Set([...kinds, ...resourceNames(editedObjs)])].sort();
          const want = desiredDiff(current, editedObjs);
          const before = liveObjects(apps, kinds);
          edited = repo.commit(dist, `e2e: edit ${PIPELINE}`);
          rmSync(join(dist, '..'), { recursive: true, force: true });
          repo.push(edited, branch);
          const t = Date.now();
          for (const a of apps) refresh(a);
          await waitFor(
            `${env}'s children to sync ${edited.slice(0, 8)}`,
            SYNC_LIMIT_S,
            () =>
              settled(waitable(), new Map(), edited, Math.floor(t / 1000) * 1000, owners(want, current, editedObjs)),
            1000,
          );
          const held = await heldBack(edited, editedObjs, want, 'edit');
          const after = liveObjects(apps, kinds);
          const got = diffLive(before, after);
          for (const c of waitable()) {
            const mine = (k: string) => (after.get(k) ?? before.get(k))!.app === c.name;
            row[c.name]!.edit =
              `${got.changed.filter(mine).length} changed, ${got.added.filter(mine).length} added, ` +
              `${got.removed.filter(mine).length} removed`;
          }
          summary.push(
            `edit of ${PIPELINE}: rendering changed ${want.changed.length}, added ${want.added.length}, ` +
              `removed ${want.removed.length} objects: ` +
              `${[...want.changed, ...want.added, ...want.removed].join(', ') || 'none'}`,
          );
          // What a held-back child's sync will apply is exactly what changed for it, and
          // nothing of it has been applied yet; every other child applied exactly its changes.
          for (const h of held) expect(h.outOfSync, h.app).toEqual(h.want);
          const heldKeys = new Set(held.flatMap((h) => h.want));
          const applied = (keys: string[]) => keys.filter((k) => !heldKeys.has(k));
          // PipelineVersions are never pruned (docs/gitops.md): the one the edit replaced stays.
          const pruned = want.removed.filter((k) => !k.includes('/PipelineVersion/'));
          expect({ changed: got.changed, added: got.added, removed: got.removed }).toEqual({
            changed: applied(want.changed),
            added: applied(want.added),
            removed: applied(pruned),
          });
          for (const k of want.removed.filter((k) => k.includes('/PipelineVersion/')))
            expect(after.has(k), `${k} kept`).toBe(true);
          expect(got.recreated).toEqual([]);
        },
        SYNC_LIMIT_S * 1000,
      );

      it('an edited object is put back by self-heal', async () => {
        const target = editedObjs.find(
          (o) =>
            !o.hook &&
            !doomedApp(o.app) &&
            o.object.kind === 'ConfigMap' &&
            children.find((c) => c.name === o.app)?.automated?.selfHeal,
        );
        expect(target, `${env} has no ConfigMap in an Application with self-heal`).toBeDefined();
        const { name, namespace } = target!.object.metadata;
        const synced = liveObjects(apps, kinds).get(target!.key)!;
        const t = Date.now();
        // A value Argo CD manages is changed (a key added by hand would not be drift to Argo
        // CD: its diff covers the fields it applied).
        const key = Object.keys(target!.object.data ?? {}).sort()[0]!;
        kubectl([
          '-n',
          namespace,
          'patch',
          'configmap',
          name,
          '--type=merge',
          '-p',
          JSON.stringify({ data: { [key]: 'edited by hand' } }),
        ]);
        await waitFor(
          `${target!.key} to be put back`,
          120,
          () => liveObjects([target!.app], ['configmap']).get(target!.key)?.hash === synced.hash || null,
          500,
        );
        row[target!.app]!.heal = `ConfigMap/${name} (${key}) put back in ${fmt(Date.now() - t)}`;
      }, 180_000);

      it(
        `a commit that removes a pipeline (${PIPELINE}) prunes exactly its objects`,
        async () => {
          const dist = renderDist(changes(inOwnNamespaces(NS_SUFFIX), inClusterEndpoints, removePipeline(PIPELINE)));
          const without = desiredObjects(dist, env);
          const want = desiredDiff(editedObjs, without);
          const before = liveObjects(apps, kinds);
          const commit = repo.commit(dist, `e2e: remove ${PIPELINE}`);
          rmSync(join(dist, '..'), { recursive: true, force: true });
          repo.push(commit, branch);
          const t = Date.now();
          for (const a of apps) refresh(a);
          await waitFor(
            `${env}'s children to sync ${commit.slice(0, 8)}`,
            SYNC_LIMIT_S,
            () =>
              settled(waitable(), new Map(), commit, Math.floor(t / 1000) * 1000, owners(want, editedObjs, without)),
            1000,
          );
          // A held-back child still holds the first sync's objects: compared with those.
          const held = await heldBack(commit, without, desiredDiff(current, without), 'prune');
          // Pruning runs in the sync; give deletions with finalisers a moment.
          await sleep(2000);
          const after = liveObjects(apps, kinds);
          const got = diffLive(before, after);
          for (const c of waitable()) {
            const mine = (k: string) => (before.get(k) ?? after.get(k))!.app === c.name;
            row[c.name]!.prune =
              `${got.removed.filter(mine).length} pruned, ${got.changed.filter(mine).length} changed`;
          }
          summary.push(
            `removal of ${PIPELINE}: rendering removed ${want.removed.length}, changed ${want.changed.length} ` +
              `objects: ${[...want.removed, ...want.changed].join(', ') || 'none'}`,
          );
          for (const h of held) expect(h.outOfSync, h.app).toEqual(h.want);
          const heldApps = new Set(held.map((h) => h.app));
          const appOf = (k: string) => [...editedObjs, ...without].find((o) => o.key === k)?.app ?? '';
          const applied = (keys: string[]) => keys.filter((k) => !heldApps.has(appOf(k)));
          const pruned = want.removed.filter((k) => !k.includes('/PipelineVersion/'));
          expect({ removed: got.removed, changed: got.changed, added: got.added }).toEqual({
            removed: applied(pruned),
            changed: applied(want.changed),
            added: applied(want.added),
          });
          // Put the branch back to what main renders, for whoever reads it next.
          repo.push(repo.commit(SYNCED, 'e2e: dist/ as rendered'), branch);
        },
        SYNC_LIMIT_S * 1000,
      );

      const hookEndsAtDeadline =
        'a hook that cannot succeed here ends at its deadline: its sync is retried, not held for ever ' +
        '(in the first environment that has one)';
      it(hookEndsAtDeadline, { timeout: 900_000 }, async () => {
        // No terminate-op: the Job's activeDeadlineSeconds (or its backoffLimit) ends it, the
        // sync fails and Argo CD's retry starts the next attempt. Once per run: every hook Job
        // comes from one helper (targets/sync-hook.ts) and tests/argocd.test.ts checks each has
        // its deadline.
        if (deadlineSeenIn) {
          for (const h of doomed)
            row[h.app]!.hooks = `${row[h.app]!.hooks}; its end at the deadline was seen in ${deadlineSeenIn}`;
          return;
        }
        if (doomed.length > 0) deadlineSeenIn = env;
        for (const h of doomed) {
          const a = await waitFor(
            `${h.app}'s first attempt to end (its hook's deadline, ${h.deadline} s)`,
            (h.deadline ?? 0) + 240,
            () => {
              const got = application(h.app);
              const op = got?.status?.operationState;
              return op && (op.retryCount > 0 || op.phase === 'Failed' || op.phase === 'Error') ? got : null;
            },
            2000,
          );
          const op = a.status.operationState;
          const hook = ((op.syncResult?.resources ?? []) as Json[]).find((r) => r.hookType && r.name === h.job);
          const hookSaid = hook ? `; Job/${h.job} ${hook.hookPhase}: ${String(hook.message).slice(0, 120)}` : '';
          const outcome =
            `${op.phase}, attempt ${Number(op.retryCount ?? 0) + 1}: ${String(op.message).slice(0, 160)}` + hookSaid;
          row[h.app]!.hooks = `${row[h.app]!.hooks}; then ${outcome}`;
          summary.push(`${h.app}: its hook's first attempt ended: ${outcome}`);
          expect(op.message + (hook?.message ?? '')).toMatch(/deadline|backoff limit|retrying|failed/i);
        }
      });
    });
  }
});
