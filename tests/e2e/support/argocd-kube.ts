/**
 * The cluster side of the Argo CD e2e suite (tests/e2e/argocd.e2e.test.ts): kubectl on the
 * embedded cluster, the Argo CD that scripts/argocd/up runs, and snapshots of the objects an
 * environment's Applications manage, compared by content.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../support/process.ts';

type Json = Record<string, any>;

const BIN_DIR = join(process.env.DFP_CACHE || join(homedir(), '.cache', 'dfp'), 'bin');
export const ARGOCD_NS = 'argocd';

/** The kubectl scripts/cluster/build made (the cluster's own version). */
function kubectlPath(): string {
  const k = readdirSync(BIN_DIR)
    .filter((f) => /^kubectl-v[0-9.]+$/.test(f))
    .sort()
    .at(-1);
  if (!k) throw new Error(`no kubectl in ${BIN_DIR}: run make cluster-up`);
  return join(BIN_DIR, k);
}
const KUBECTL = kubectlPath();

export function kubectl(args: readonly string[], input?: string): string {
  const r = spawnSync(KUBECTL, args, { encoding: 'utf8', input, maxBuffer: 256 * 1024 * 1024, timeout: 120_000 });
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}
export function kubectlJson(args: readonly string[]): Json {
  return JSON.parse(kubectl([...args, '-o', 'json'])) as Json;
}
/** kubectl that may fail (a missing object): null then. */
export function tryKubectlJson(args: readonly string[]): Json | null {
  const r = spawnSync(KUBECTL, [...args, '-o', 'json'], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: 120_000,
  });
  return r.status === 0 ? (JSON.parse(r.stdout) as Json) : null;
}

/** Runs scripts/argocd/up (idempotent); returns its KEY=value lines. */
export function argocdUp(): Record<string, string> {
  const out = execFileSync(join(ROOT, 'scripts/argocd/up'), [], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return Object.fromEntries(
    out
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}
export function argocdRuns(): boolean {
  const r = spawnSync('bash', ['-c', 'source scripts/cluster/lib.sh && running_pid argocd-application-controller'], {
    cwd: ROOT,
    stdio: 'ignore',
  });
  return r.status === 0;
}
export function argocdDown(): void {
  execFileSync(join(ROOT, 'scripts/argocd/down'), [], { stdio: 'inherit' });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` every `everyMs` until it returns a value; throws `what` after `limitS`. */
export async function waitFor<T>(
  what: string,
  limitS: number,
  probe: () => T | undefined | null | false,
  everyMs = 1000,
): Promise<T> {
  const deadline = Date.now() + limitS * 1000;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${limitS} s waiting for ${what}`);
    await sleep(everyMs);
  }
}

export function application(name: string): Json | null {
  return tryKubectlJson(['-n', ARGOCD_NS, 'get', 'applications.argoproj.io', name]);
}
export function applications(): Json[] {
  return (kubectlJson(['-n', ARGOCD_NS, 'get', 'applications.argoproj.io']).items as Json[]) ?? [];
}

/** Asks Argo CD to read git again now (instead of at its next resync). */
export function refresh(name: string): void {
  kubectl([
    '-n',
    ARGOCD_NS,
    'annotate',
    '--overwrite',
    'applications.argoproj.io',
    name,
    'argocd.argoproj.io/refresh=hard',
  ]);
}

/**
 * Starts a sync of an Application, as `argocd app sync` does: sets its `operation`, with the
 * Application's own sync options and retry, which Argo CD's API server copies into the
 * operation (server/application/application.go, Sync); the controller reads options such as
 * ApplyOutOfSyncOnly from the operation only.
 */
export function startSync(name: string, who = 'dfp-e2e'): void {
  const app = kubectlJson(['-n', ARGOCD_NS, 'get', 'applications.argoproj.io', name]);
  const policy = app.spec?.syncPolicy ?? {};
  const patch = {
    operation: {
      initiatedBy: { username: who },
      sync: { syncStrategy: { hook: {} }, ...(policy.syncOptions ? { syncOptions: policy.syncOptions } : {}) },
      ...(policy.retry ? { retry: policy.retry } : {}),
    },
  };
  kubectl(['-n', ARGOCD_NS, 'patch', 'applications.argoproj.io', name, '--type=merge', '-p', JSON.stringify(patch)]);
}

/** A managed object's identity: group/kind/namespace/name. */
export const keyOf = (group: string | undefined, kind: string, namespace: string | undefined, name: string) =>
  `${group || 'core'}/${kind}/${namespace ?? ''}/${name}`;

/**
 * What an object holds that a sync sets, hashed: everything but status and the fields the
 * API server and controllers write (resourceVersion, managedFields, …). An object whose
 * hash changes was changed by someone; one whose status alone moves (a Job's pods) was not.
 */
export function contentHash(o: Json): string {
  const { status: _s, metadata, ...rest } = o;
  const md = metadata ?? {};
  const annotations = { ...(md.annotations ?? {}) };
  delete annotations['kubectl.kubernetes.io/last-applied-configuration'];
  const kept = { labels: md.labels ?? {}, annotations, name: md.name, namespace: md.namespace };
  return createHash('sha256')
    .update(stableJson({ ...rest, metadata: kept }))
    .digest('hex')
    .slice(0, 16);
}
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Json)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export interface LiveObject {
  readonly key: string;
  readonly uid: string;
  readonly hash: string;
  readonly app: string;
}

/**
 * Every object in the cluster that one of `apps` manages (Argo CD's tracking label,
 * app.kubernetes.io/instance), hooks excluded (they are made anew by each sync).
 * `kinds` are kubectl resource names (`configmaps`, `pipelineversions.pipelines.kubeflow.org`).
 */
export function liveObjects(apps: readonly string[], kinds: readonly string[]): Map<string, LiveObject> {
  const out = new Map<string, LiveObject>();
  if (kinds.length === 0 || apps.length === 0) return out;
  const list = kubectlJson(['get', kinds.join(','), '-A', '-l', `app.kubernetes.io/instance in (${apps.join(',')})`]);
  for (const o of list.items as Json[]) {
    if (o.metadata?.annotations?.['argocd.argoproj.io/hook']) continue;
    const group = String(o.apiVersion).includes('/') ? String(o.apiVersion).split('/')[0] : '';
    const key = keyOf(group, o.kind, o.metadata.namespace, o.metadata.name);
    out.set(key, {
      key,
      uid: o.metadata.uid,
      hash: contentHash(o),
      app: o.metadata.labels['app.kubernetes.io/instance'],
    });
  }
  return out;
}

/** What changed between two snapshots: objects added, removed, changed in content, recreated. */
export function diffLive(before: Map<string, LiveObject>, after: Map<string, LiveObject>) {
  const added = [...after.keys()].filter((k) => !before.has(k)).sort();
  const removed = [...before.keys()].filter((k) => !after.has(k)).sort();
  const changed = [...after.keys()].filter((k) => before.has(k) && before.get(k)!.hash !== after.get(k)!.hash).sort();
  const recreated = [...after.keys()].filter((k) => before.has(k) && before.get(k)!.uid !== after.get(k)!.uid).sort();
  return { added, removed, changed, recreated };
}

/** KEY=value lines of a file the cluster scripts write ($STATE/minio.env, …); {} when absent. */
export function clusterEnv(file: string): Record<string, string> {
  const state =
    process.env.DFP_CLUSTER_DIR || join(process.env.DFP_CACHE || join(homedir(), '.cache', 'dfp'), 'cluster');
  try {
    return Object.fromEntries(
      readFileSync(join(state, file), 'utf8')
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
  } catch {
    return {};
  }
}

/**
 * Creates a bucket in the cluster's MinIO (on 127.0.0.1:9000) with its root credentials:
 * one S3 PutBucket request signed with AWS Signature V4. An existing bucket is fine.
 */
export async function ensureBucket(
  bucket: string,
  accessKey: string,
  secretKey: string,
  endpoint = 'http://127.0.0.1:9000',
): Promise<void> {
  const url = new URL(`/${bucket}`, endpoint);
  const now = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
  const day = now.slice(0, 8);
  const region = 'us-east-1';
  const payload = createHash('sha256').update('').digest('hex');
  const headers: Record<string, string> = { host: url.host, 'x-amz-content-sha256': payload, 'x-amz-date': now };
  const signed = Object.keys(headers).sort();
  const canonical = [
    'PUT',
    url.pathname,
    '',
    ...signed.map((h) => `${h}:${headers[h]}`),
    '',
    signed.join(';'),
    payload,
  ].join('\n');
  const scope = `${day}/${region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', now, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  let key: Buffer = createHmac('sha256', `AWS4${secretKey}`).update(day).digest();
  for (const part of [region, 's3', 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  const res = await fetch(url, {
    method: 'PUT',
    headers: {
      ...headers,
      authorization:
        `AWS4-HMAC-SHA256 Credential=${accessKey}/${scope}, SignedHeaders=${signed.join(';')}, Signature=` +
        `${signature}`,
    },
  });
  const body = await res.text();
  if (!res.ok && !/BucketAlreadyOwnedByYou|BucketAlreadyExists/.test(body))
    throw new Error(`MinIO PutBucket ${bucket}: ${res.status} ${body}`);
}
