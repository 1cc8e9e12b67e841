/**
 * The embedded cluster's lakeFS (scripts/cluster/up starts it as Service
 * lakefs.lakefs.svc.cluster.local:8000 with MinIO as its blockstore, credentials in
 * $STATE/lakefs.env; docs/cluster.md), seeded with the smallest Kronodroid landing data that
 * exercises every step of kronodroid-features: synthetic CSVs from dfp_tools.kronodroid_synthetic
 * (standard library only), committed on `main` of repository `kronodroid`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LakeFsClient, LakeFsError } from '../../../lakefs/client.ts';
import { CLUSTER_STATE, NODE_IP } from './airflow-cluster.ts';
import { ROOT } from './airflow-variant.ts';

export interface ClusterLakeFs {
  /** From the host (the bridge address). */
  readonly endpoint: string;
  /** From a pod: the Service name. */
  readonly clusterEndpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** The blockstore under which repositories keep their objects (`s3://lakefs`). */
  readonly blockstore: string;
  readonly client: LakeFsClient;
}

/** The cluster's lakeFS, or undefined when this cluster runs none (an older `up`, a user's own cluster). */
export function clusterLakeFs(): ClusterLakeFs | undefined {
  const file = join(CLUSTER_STATE, 'lakefs.env');
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  const get = (k: string) => new RegExp(`^${k}=(.*)$`, 'm').exec(text)?.[1];
  const accessKeyId = get('LAKEFS_ACCESS_KEY_ID');
  const secretAccessKey = get('LAKEFS_SECRET_ACCESS_KEY');
  if (!accessKeyId || !secretAccessKey) return undefined;
  const port = get('LAKEFS_PORT') ?? '8000';
  const endpoint = `http://${NODE_IP}:${port}`;
  return {
    endpoint,
    clusterEndpoint: `http://lakefs.lakefs.svc.cluster.local:${port}`,
    accessKeyId,
    secretAccessKey,
    blockstore: get('LAKEFS_BLOCKSTORE') ?? 's3://lakefs',
    client: new LakeFsClient({ endpoint, credentials: { accessKeyId, secretAccessKey }, timeoutMs: 30_000 }),
  };
}

/**
 * Makes sure repository `repo` exists (other suites may share the cluster's lakeFS and the
 * repository name, which the DAGs fix: it is reused, never deleted), uploads `samples`
 * synthetic samples as the landing CSVs on main and commits them, and creates `branch` from
 * main for this run. Returns the CSV row count and main's head after the upload.
 */
export async function seedKronodroid(
  lakefs: ClusterLakeFs,
  repo: string,
  samples: number,
  branch: string,
): Promise<{ rows: number; commit: string }> {
  // lakeFS v0.113 answers a second create with 400 "storage namespace already in use" (its
  // namespace check comes before the name's), not 409: ask first.
  const exists = await lakefs.client.getRepository(repo).then(
    () => true,
    (e: unknown) => {
      if (e instanceof LakeFsError && e.reason === 'not-found') return false;
      throw e;
    },
  );
  if (!exists) {
    try {
      await lakefs.client.createRepository(repo, `${lakefs.blockstore}/${repo}`, 'main');
    } catch (e) {
      if (!(e instanceof LakeFsError && e.reason === 'conflict')) throw e;
    }
  }
  const work = mkdtempSync(join(tmpdir(), 'dfp-e2e-landing-'));
  try {
    const out = execFileSync(
      'python3',
      ['-m', 'dfp_tools.kronodroid_synthetic', '--out', work, '--samples', String(samples), '--seed', '7'],
      {
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PYTHONPATH: join(ROOT, 'images', 'dfp_tools') },
      },
    );
    const files = (JSON.parse(out) as { files: Record<string, number> }).files;
    for (const f of readdirSync(work))
      await lakefs.client.upload(repo, 'main', `landing/kronodroid/${f}`, readFileSync(join(work, f)));
    try {
      await lakefs.client.commit(repo, 'main', 'e2e: synthetic Kronodroid landing files');
    } catch (e) {
      // The same files again: nothing to commit.
      if (!(e instanceof LakeFsError)) throw e;
    }
    const commit = await lakefs.client.resolveBranch(repo, 'main');
    await lakefs.client.createBranch(repo, branch, 'main');
    return { rows: Object.values(files).reduce((a, b) => a + b, 0), commit };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
