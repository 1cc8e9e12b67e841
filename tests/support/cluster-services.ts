/**
 * The embedded cluster's platform services (docs/cluster.md), for suites that run pipelines
 * on it: where lakeFS, MLflow and MinIO answer, from the host and from a pod, with the
 * credentials `scripts/cluster/up` generated; and the Secrets dist/ refers to, created in a
 * suite's namespaces by `scripts/cluster/secrets`. Both only read or call the scripts, so
 * the shell and TypeScript see the same values.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './process.ts';

const SCRIPTS = join(ROOT, 'scripts', 'cluster');

export interface ClusterService {
  /** From the host: the bridge address, e.g. `http://10.77.0.1:8000`. */
  readonly endpoint: string;
  /** From a pod: the prod name dist/ uses, e.g. `http://lakefs.lakefs.svc.cluster.local:8000`. */
  readonly clusterEndpoint: string;
  /** From a pod: the staging name (the same server behind it). */
  readonly stagingClusterEndpoint: string;
}

export interface ClusterServices {
  readonly kubeconfig: string;
  /** lakeFS, with its admin key; repositories go under `blockstore` (`s3://lakefs/<repo>`). */
  readonly lakefs: ClusterService & {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly blockstore: string;
  };
  /** MLflow's tracking server, which also serves the artifacts (`mlflow-artifacts:/`). */
  readonly mlflow: ClusterService;
  /** MinIO (S3, path style, region us-east-1). */
  readonly minio: ClusterService & { readonly accessKey: string; readonly secretKey: string };
}

/** Parses the NAME=value lines `scripts/cluster/endpoints` prints. */
export function parseEndpoints(text: string): ClusterServices {
  const v = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) v.set(line.slice(0, i), line.slice(i + 1));
  }
  const get = (name: string): string => {
    const value = v.get(name);
    if (!value)
      throw new Error(
        `scripts/cluster/endpoints printed no ${name}: update scripts/cluster/ and ` +
          'tests/support/cluster-services.ts together',
      );
    return value;
  };
  return {
    kubeconfig: get('KUBECONFIG'),
    lakefs: {
      endpoint: get('LAKEFS_ENDPOINT'),
      clusterEndpoint: get('LAKEFS_CLUSTER_ENDPOINT'),
      stagingClusterEndpoint: get('LAKEFS_STAGING_CLUSTER_ENDPOINT'),
      accessKeyId: get('LAKEFS_ACCESS_KEY_ID'),
      secretAccessKey: get('LAKEFS_SECRET_ACCESS_KEY'),
      blockstore: get('LAKEFS_BLOCKSTORE'),
    },
    mlflow: {
      endpoint: get('MLFLOW_TRACKING_URI'),
      clusterEndpoint: get('MLFLOW_CLUSTER_TRACKING_URI'),
      stagingClusterEndpoint: get('MLFLOW_STAGING_CLUSTER_TRACKING_URI'),
    },
    minio: {
      endpoint: get('MINIO_ENDPOINT'),
      clusterEndpoint: get('MINIO_CLUSTER_ENDPOINT'),
      stagingClusterEndpoint: get('MINIO_STAGING_CLUSTER_ENDPOINT'),
      accessKey: get('MINIO_ACCESS_KEY'),
      secretKey: get('MINIO_SECRET_KEY'),
    },
  };
}

/** The running embedded cluster's services; throws, saying what to do, when it is not up. */
export function clusterServices(env: NodeJS.ProcessEnv = process.env): ClusterServices {
  const r = spawnSync(join(SCRIPTS, 'endpoints'), { encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`scripts/cluster/endpoints failed (exit ${r.status}): ${r.stderr.trim()}`);
  return parseEndpoints(r.stdout);
}

/**
 * Creates (or updates) in each namespace the Secrets dist/ names (lakefs-credentials,
 * minio-credentials, object-store-credentials, datahub-token, datahub-ingest-token) with the
 * running cluster's credentials. A missing namespace is created; create yours first if it
 * needs labels (Pod Security).
 */
export function createClusterSecrets(namespaces: readonly string[], env: NodeJS.ProcessEnv = process.env): void {
  const r = spawnSync(join(SCRIPTS, 'secrets'), [...namespaces], { encoding: 'utf8', env, timeout: 120_000 });
  if (r.status !== 0)
    throw new Error(`scripts/cluster/secrets ${namespaces.join(' ')} failed (exit ${r.status}): ${r.stderr.trim()}`);
}
