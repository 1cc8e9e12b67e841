/**
 * What the Airflow e2e needs from the embedded cluster (docs/cluster.md): kubectl, prod's
 * namespace under Pod Security `restricted`, the objects of dist/prod that are not Argo CD
 * Applications, the ServiceAccount and Secrets the platform provides (dfp references them and
 * does not render them), MinIO's bucket, and host services exposed to pods.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ROOT, filesUnder } from './airflow-variant.ts';

const DFP_CACHE = process.env.DFP_CACHE ?? join(process.env.HOME ?? '/root', '.cache', 'dfp');
const KUBECTL = join(DFP_CACHE, 'bin', 'kubectl-v1.34.4');
export const CLUSTER_STATE = process.env.DFP_CLUSTER_DIR ?? join(DFP_CACHE, 'cluster');
/** The bridge address at which pods reach the host's exposed services (docs/cluster.md). */
export const NODE_IP = '10.77.0.1';
export const MINIO_PORT = 9000;

export function kubeconfig(): string {
  return process.env.KUBECONFIG ?? join(CLUSTER_STATE, 'kubeconfig');
}

export function kubectl(args: string[], input?: string): string {
  return execFileSync(KUBECTL, ['--kubeconfig', kubeconfig(), ...args], {
    encoding: 'utf8',
    ...(input !== undefined ? { input } : {}),
    stdio: ['pipe', 'pipe', 'pipe'],
    maxBuffer: 64 << 20,
  });
}

/** MinIO's root credentials, from the file `up` writes. */
export function minioCredentials(): { user: string; password: string } {
  const text = readFileSync(join(CLUSTER_STATE, 'minio.env'), 'utf8');
  const get = (k: string) => new RegExp(`^${k}=(.*)$`, 'm').exec(text)?.[1] ?? '';
  return { user: get('MINIO_ROOT_USER'), password: get('MINIO_ROOT_PASSWORD') };
}

/** Creates an S3 bucket in MinIO (host side, SigV4 by curl) unless it exists. */
export function ensureBucket(bucket: string): void {
  const { user, password } = minioCredentials();
  const s3 = (...args: string[]) =>
    execFileSync('curl', ['-fsS', '--aws-sigv4', 'aws:amz:us-east-1:s3', '--user', `${user}:${password}`, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  try {
    s3('-o', '/dev/null', `http://127.0.0.1:${MINIO_PORT}/${bucket}`);
  } catch {
    s3('-X', 'PUT', '-o', '/dev/null', `http://127.0.0.1:${MINIO_PORT}/${bucket}`);
  }
}

/** Lists the keys of a MinIO bucket under a prefix (ListObjectsV2). */
export function listKeys(bucket: string, prefix: string): string[] {
  const { user, password } = minioCredentials();
  const xml = execFileSync(
    'curl',
    [
      '-fsS',
      '--aws-sigv4',
      'aws:amz:us-east-1:s3',
      '--user',
      `${user}:${password}`,
      `http://127.0.0.1:${MINIO_PORT}/${bucket}?list-type=2&prefix=${encodeURIComponent(prefix)}`,
    ],
    { encoding: 'utf8' },
  );
  return [...xml.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]!);
}

const RULE = (port: number) => [
  '-t',
  'nat',
  'DFP-PREROUTING',
  '-i',
  'dfp0',
  '-d',
  `${NODE_IP}/32`,
  '-p',
  'tcp',
  '--dport',
  String(port),
  '-m',
  'comment',
  '--comment',
  'dfp-cluster',
  '-j',
  'DNAT',
  '--to-destination',
  `127.0.0.1:${port}`,
];

/** A host service on 127.0.0.1:PORT becomes reachable from pods at NODE_IP:PORT (scripts/cluster/lib.sh `expose`). */
export function expose(port: number): void {
  execFileSync('bash', ['-c', `source scripts/cluster/lib.sh && expose ${port}`], { cwd: ROOT, stdio: 'ignore' });
}

/** Removes the rule `expose` added (`down` would remove it with its chain anyway). */
export function unexpose(port: number): void {
  const r = RULE(port);
  try {
    execFileSync('iptables', [r[0]!, r[1]!, '-D', ...r.slice(2)], { stdio: 'ignore' });
  } catch {
    // already gone
  }
}

/** prod's namespace, labelled to enforce Pod Security `restricted` (as the platform's namespaces are). */
export function createNamespace(name: string): void {
  kubectl(
    ['apply', '-f', '-'],
    `apiVersion: v1
kind: Namespace
metadata:
  name: ${name}
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/enforce-version: latest
    pod-security.kubernetes.io/warn: restricted
`,
  );
}

export function deleteNamespace(name: string): void {
  try {
    kubectl(['delete', 'namespace', name, '--wait=false', '--ignore-not-found']);
  } catch {
    // the cluster may be gone already
  }
}

/**
 * The Kubernetes objects of an environment's dist/ folder that the e2e applies: everything
 * but Argo CD Applications (no Argo CD here), SparkApplications (no Spark operator: its
 * CRD is not installed), and Jobs other than suspended ones (Argo CD sync hooks and the
 * emulator Job run by Argo CD or by hand, not by the DAGs; a suspended Job is a transform's
 * run template, which the pipelines' launcher copies).
 */
export function applicableObjects(envDist: string): { kinds: Record<string, number>; yaml: string } {
  const kinds: Record<string, number> = {};
  const docs: string[] = [];
  for (const f of filesUnder(envDist).filter((x) => /\.ya?ml$/.test(x))) {
    for (const doc of parseAllDocuments(readFileSync(join(envDist, f), 'utf8'))) {
      const o = doc.toJSON() as {
        kind?: string;
        apiVersion?: string;
        metadata?: unknown;
        spec?: { suspend?: boolean };
      } | null;
      if (!o || typeof o !== 'object' || !o.kind || !o.apiVersion || !o.metadata) continue;
      if (['Application', 'ApplicationSet', 'SparkApplication'].includes(o.kind)) continue;
      if (o.kind === 'Job' && o.spec?.suspend !== true) continue;
      kinds[o.kind] = (kinds[o.kind] ?? 0) + 1;
      docs.push(doc.toString());
    }
  }
  return { kinds, yaml: docs.map((d) => (d.startsWith('---') ? d : `---\n${d}`)).join('') };
}

/** A Secret with string data (the platform's credentials; dfp renders only references to them). */
export function secret(namespace: string, name: string, data: Record<string, string>): void {
  kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace },
      type: 'Opaque',
      stringData: data,
    }),
  );
}

export function serviceAccount(namespace: string, name: string): void {
  kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } }),
  );
}

/** Pods of a namespace with their phase and the node-scheduling facts a reader needs. */
export function pods(
  namespace: string,
): { name: string; phase: string; labels: Record<string, string>; nodeSelector?: Record<string, string> }[] {
  const list = JSON.parse(kubectl(['get', 'pods', '-n', namespace, '-o', 'json'])) as {
    items: {
      metadata: { name: string; labels?: Record<string, string> };
      spec: { nodeSelector?: Record<string, string> };
      status: { phase: string };
    }[];
  };
  return list.items.map((p) => ({
    name: p.metadata.name,
    phase: p.status.phase,
    labels: p.metadata.labels ?? {},
    ...(p.spec.nodeSelector ? { nodeSelector: p.spec.nodeSelector } : {}),
  }));
}

/** Every image reference with a digest in the files under `dir` (`name:tag@sha256:…`). */
export function pinnedImages(dir: string): string[] {
  const refs = new Set<string>();
  for (const f of filesUnder(dir)) {
    for (const m of readFileSync(join(dir, f), 'utf8').matchAll(
      /registry\.dfp\.internal\/[a-z0-9/._-]+:[A-Za-z0-9._-]+@sha256:[0-9a-f]{64}/g,
    ))
      refs.add(m[0]);
  }
  return [...refs].sort();
}
