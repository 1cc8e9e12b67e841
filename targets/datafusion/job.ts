/**
 * One model Transform -> one batch/v1 Job running it on DataFusion (datafusion-python):
 * dfp's SQL runner, or the transform's own entrypoint, in one process sized as the Spark
 * driver would be. Like the SparkApplication it replaces, the Job is a suspended run
 * template that a TransformStep's launcher copies by name for each run.
 *
 * The runner reads its catalog from the environment: the Iceberg warehouse on lakeFS's
 * S3 gateway, the S3 endpoint, the key pair by Secret reference, and the data file
 * format every table must be written in (Avro).
 */
import type { Environment, Transform } from '../../constructs/model/schema.ts';
import { runnerArgs, warehouseUri } from '../data-plane.ts';
import { restrictedContainerSecurity, restrictedPodSecurity } from '../pod-security.ts';
import { RenderError } from '../types.ts';

const LABELS = { 'app.kubernetes.io/managed-by': 'dfp' };

export function transformJob(t: Transform, env: Environment): object {
  const image = t.images.datafusion;
  if (image === undefined) throw new RenderError(t.path, 'has no DataFusion image');
  const code = t.code;
  if (code.kind === 'entrypoint' && !code.file.startsWith('/')) {
    throw new RenderError(
      t.path,
      `entrypoint '${code.file}': DataFusion runs a file of its image; give an absolute path`,
    );
  }
  const labels = { ...LABELS, 'dfp.dev/transform': t.name };
  const secret = (name: string, ref: { secret: string; key: string }) => ({
    name,
    valueFrom: { secretKeyRef: { name: ref.secret, key: ref.key } },
  });
  const size = { cpu: t.resources.driver.cpu, memory: t.resources.driver.memory };
  const sec = t.security.profile === 'restricted' ? t.security : undefined;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: t.name,
      namespace: env.namespace,
      labels,
      annotations: {
        'dfp.dev/source': t.path,
        'dfp.dev/inputs': t.inputs.join(',') || undefined,
        'dfp.dev/outputs': t.outputs.join(','),
        // A Job's pod template cannot be changed in place, and `kubectl replace` of a Job
        // is refused (its selector and template labels are the API server's, immutable):
        // Argo CD deletes and recreates the template (a suspended Job: nothing runs).
        'argocd.argoproj.io/sync-options': 'Force=true,Replace=true',
      },
    },
    spec: {
      // A template: the launcher starts copies of it; this one never runs.
      suspend: true,
      backoffLimit: t.retries,
      ttlSecondsAfterFinished: 7 * 24 * 3600,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          serviceAccountName: env.serviceAccount,
          // The engine talks to lakeFS only, never to the Kubernetes API.
          automountServiceAccountToken: false,
          securityContext: sec ? restrictedPodSecurity(sec.runAsUser, sec.runAsGroup) : undefined,
          containers: [
            {
              name: 'transform',
              image,
              imagePullPolicy: 'IfNotPresent',
              command: code.kind === 'sql' ? ['python', '-m', 'dfp_datafusion.run_sql'] : ['python', code.file],
              args: runnerArgs(code),
              env: [
                secret('AWS_ACCESS_KEY_ID', t.credentials.accessKeyId),
                { name: 'AWS_ENDPOINT_URL', value: env.endpoints.lakefs },
                { name: 'AWS_REGION', value: 'us-east-1' },
                secret('AWS_SECRET_ACCESS_KEY', t.credentials.secretAccessKey),
                { name: 'DFP_CATALOG', value: t.catalog },
                { name: 'DFP_INPUT_TABLES', value: t.inputs.join(',') },
                { name: 'DFP_OUTPUT_TABLES', value: t.outputs.join(',') },
                { name: 'DFP_WAREHOUSE', value: warehouseUri('s3', t.lakefs.repository, t.lakefs.ref) },
                { name: 'DFP_WRITE_FORMAT', value: 'avro' },
              ],
              resources: { requests: size, limits: size },
              securityContext: restrictedContainerSecurity(),
            },
          ],
        },
      },
    },
  };
}
