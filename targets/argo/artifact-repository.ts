/**
 * The environment's S3 (MinIO) artifact repository as the ConfigMap Argo reads it from.
 * Credentials are Secret references; the key pair itself never enters dist/.
 */
import type { Environment } from '../../constructs/model/schema.ts';
import { toYaml } from '../../emit/yaml.ts';

export const ARTIFACT_REPOSITORY_CONFIGMAP = 'dfp-artifact-repositories';
export const ARTIFACT_REPOSITORY_KEY = 'dfp';

export function artifactRepositoryConfigMap(env: Environment) {
  const repo = env.artifactRepository;
  const url = new URL(repo.endpoint);
  const s3 = {
    bucket: repo.bucket,
    // Argo's S3 endpoint is host:port without a scheme; `insecure` says plain http.
    endpoint: url.host,
    insecure: repo.insecure,
    region: repo.region,
    keyFormat: `${repo.keyPrefix}/{{workflow.namespace}}/{{workflow.name}}/{{pod.name}}`,
    accessKeySecret: { name: repo.credentials.secret, key: repo.credentials.accessKeyKey },
    secretKeySecret: { name: repo.credentials.secret, key: repo.credentials.secretKeyKey },
  };
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: ARTIFACT_REPOSITORY_CONFIGMAP,
      namespace: env.namespace,
      labels: { 'app.kubernetes.io/managed-by': 'dfp' },
      annotations: { 'workflows.argoproj.io/default-artifact-repository': ARTIFACT_REPOSITORY_KEY },
    },
    data: { [ARTIFACT_REPOSITORY_KEY]: toYaml({ s3 }) },
  };
}
