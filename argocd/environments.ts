/**
 * The platform's environments. Each line that chooses an orchestrator, engine or feature
 * store is the one line to change to swap it for that environment.
 */
import type { Construct } from 'constructs';
import { Environment } from '../constructs/index.ts';

const GIT_REPOSITORY = 'https://git.example.com/ml-platform/dfp.git';

export function defineEnvironments(app: Construct): void {
  new Environment(app, 'dev', {
    namespace: 'ml-dev',
    orchestrator: 'kubeflow',
    engine: 'spark',
    featureStore: 'feast',
    endpoints: {
      lakefs: 'http://lakefs.lakefs.svc.cluster.local:8000',
      mlflow: 'http://mlflow.mlflow.svc.cluster.local:5000',
      s3: 'http://minio.minio.svc.cluster.local:9000',
      datahub: 'http://datahub-datahub-gms.datahub.svc.cluster.local:8080',
    },
    artifactRepository: { bucket: 'dfp-artifacts-dev', credentials: { secret: 'minio-credentials' } },
    imageTagPolicy: 'no-latest',
    gitops: { repoURL: GIT_REPOSITORY, targetRevision: 'main' },
  });

  new Environment(app, 'prod', {
    namespace: 'ml-prod',
    orchestrator: 'airflow',
    engine: 'spark',
    featureStore: 'feast',
    endpoints: {
      lakefs: 'https://lakefs.platform.example.com',
      mlflow: 'https://mlflow.platform.example.com',
      s3: 'https://s3.platform.example.com',
      datahub: 'https://datahub-gms.platform.example.com',
    },
    datahubToken: { secret: 'datahub-ingest-token', key: 'token' },
    artifactRepository: {
      bucket: 'dfp-artifacts-prod',
      keyPrefix: 'pipelines',
      credentials: { secret: 'object-store-credentials' },
    },
    imageTagPolicy: 'no-latest',
    serviceAccount: 'dfp-pipelines',
    gitops: { repoURL: GIT_REPOSITORY, targetRevision: 'release' },
  });

  new Environment(app, 'staging', {
    namespace: 'ml-staging',
    orchestrator: 'argo',
    engine: 'datafusion',
    featureStore: 'chronon',
    endpoints: {
      lakefs: 'http://lakefs.lakefs-staging.svc.cluster.local:8000',
      mlflow: 'http://mlflow.mlflow-staging.svc.cluster.local:5000',
      s3: 'http://minio.minio-staging.svc.cluster.local:9000',
      datahub: 'http://datahub-datahub-gms.datahub-staging.svc.cluster.local:8080',
    },
    artifactRepository: { bucket: 'dfp-artifacts-staging', credentials: { secret: 'minio-credentials' } },
    imageTagPolicy: 'no-latest',
    // Staging's cluster has no GPU node: training runs CPU-only there, as the small smoke run.
    accelerators: 'none',
    gitops: { repoURL: GIT_REPOSITORY, targetRevision: 'staging' },
  });
}
