/**
 * One model Transform -> one Spark Operator SparkApplication (sparkoperator.k8s.io/v1beta2).
 *
 * The object is a run template: `suspend: true`, so the operator never submits it. A
 * TransformStep's launcher copies it by name for each run. The Iceberg catalog points at
 * the transform's lakeFS location through lakeFS's S3 gateway (bucket = repository, first
 * key segment = branch or commit), every table the catalog creates is forced to Avro data
 * files, and the S3A credentials come from Secret references in the pods' environment.
 */
import type { Environment, Transform } from '../../constructs/model/schema.ts';
import { parseQuantity } from '../../constructs/model/quantity.ts';
import {
  ICEBERG_SPARK_EXTENSIONS,
  SPARK_IMAGE_JARS,
  SPARK_PACKAGES,
  icebergCatalogConf,
  runnerArgs,
  s3aGatewayConf,
  warehouseUri,
} from '../data-plane.ts';
import { restrictedContainerSecurity, restrictedPodSecurity } from '../pod-security.ts';
import { RenderError } from '../types.ts';

/** The Spark the images ship; SPARK_PACKAGES are built for it (Scala 2.12). */
export const SPARK_VERSION = '3.5.6';

/**
 * The annotation naming the packages (Maven coordinates) whose jars the application's image
 * must hold in SPARK_IMAGE_JARS: the image is checked against it (tests/images-inventory).
 */
export const SPARK_PACKAGES_ANNOTATION = 'dfp.dev/spark-packages';

/** dfp's SQL runner in the Spark image: writes each `--query` into the `--output` before it. */
export const SQL_RUNNER = 'local:///opt/dfp/run_sql.py';

const LABELS = { 'app.kubernetes.io/managed-by': 'dfp' };

/** A Kubernetes memory quantity in Spark's notation (whole MiB, `2048m`), rounded up. */
function sparkMemory(quantity: string): string {
  return `${Math.ceil(parseQuantity(quantity)! / 2 ** 20)}m`;
}

function pod(t: Transform, env: Environment, size: { cpu: string; memory: string }) {
  const secret = (name: string, ref: { secret: string; key: string }) => ({
    name,
    valueFrom: { secretKeyRef: { name: ref.secret, key: ref.key } },
  });
  const sec = t.security.profile === 'restricted' ? t.security : undefined;
  return {
    // spark.*.cores is a whole number; the pod's CPU limit is the exact quantity.
    cores: Math.max(1, Math.ceil(parseQuantity(size.cpu)!)),
    coreLimit: size.cpu,
    memory: sparkMemory(size.memory),
    labels: { ...LABELS, 'dfp.dev/transform': t.name },
    env: [
      secret('AWS_ACCESS_KEY_ID', t.credentials.accessKeyId),
      secret('AWS_SECRET_ACCESS_KEY', t.credentials.secretAccessKey),
    ],
    serviceAccount: env.serviceAccount,
    podSecurityContext: sec ? restrictedPodSecurity(sec.runAsUser, sec.runAsGroup) : undefined,
    securityContext: restrictedContainerSecurity(),
  };
}

export function sparkApplication(t: Transform, env: Environment): object {
  const image = t.images.spark;
  // rules-transforms.ts reports both for every environment first: guards, not messages users see.
  if (image === undefined) throw new RenderError(t.path, 'has no Spark image');
  const code = t.code;
  if (code.kind === 'entrypoint' && !code.file.endsWith('.py')) {
    throw new RenderError(t.path, `entrypoint '${code.file}': dfp runs Python applications on Spark; give a .py file`);
  }
  const lakefs = new URL(env.endpoints.lakefs);
  return {
    apiVersion: 'sparkoperator.k8s.io/v1beta2',
    kind: 'SparkApplication',
    metadata: {
      name: t.name,
      namespace: env.namespace,
      labels: { ...LABELS, 'dfp.dev/transform': t.name },
      annotations: {
        'dfp.dev/source': t.path,
        'dfp.dev/inputs': t.inputs.join(',') || undefined,
        'dfp.dev/outputs': t.outputs.join(','),
        [SPARK_PACKAGES_ANNOTATION]: SPARK_PACKAGES.join(','),
      },
    },
    spec: {
      type: 'Python',
      pythonVersion: '3',
      mode: 'cluster',
      image,
      imagePullPolicy: 'IfNotPresent',
      mainApplicationFile:
        code.kind === 'sql' ? SQL_RUNNER : code.file.startsWith('/') ? `local://${code.file}` : code.file,
      arguments: runnerArgs(code),
      sparkVersion: SPARK_VERSION,
      // A template: the launcher starts copies of it; the operator never submits this one.
      suspend: true,
      sparkConf: {
        ...t.sparkConf,
        'spark.sql.extensions': ICEBERG_SPARK_EXTENSIONS,
        ...icebergCatalogConf(t.catalog, warehouseUri('s3a', t.lakefs.repository, t.lakefs.ref)),
        // Every table this catalog creates gets Avro data files, whatever the job says.
        [`spark.sql.catalog.${t.catalog}.table-override.write.format.default`]: 'avro',
        'spark.sql.defaultCatalog': t.catalog,
        // The jars of SPARK_PACKAGES come with the image, never from Maven at start-up
        // (no deps.packages, no Ivy): pods have no route to Maven Central.
        'spark.driver.extraClassPath': SPARK_IMAGE_JARS,
        'spark.executor.extraClassPath': SPARK_IMAGE_JARS,
      },
      hadoopConf: {
        ...s3aGatewayConf(env.endpoints.lakefs),
        'fs.s3a.impl': 'org.apache.hadoop.fs.s3a.S3AFileSystem',
        'fs.s3a.connection.ssl.enabled': String(lakefs.protocol === 'https:'),
      },
      restartPolicy:
        t.retries > 0
          ? {
              type: 'OnFailure',
              onFailureRetries: t.retries,
              onFailureRetryInterval: 30,
              onSubmissionFailureRetries: t.retries,
              onSubmissionFailureRetryInterval: 30,
            }
          : { type: 'Never' },
      // Finished runs are removed after a week; the template itself never finishes.
      timeToLiveSeconds: 7 * 24 * 3600,
      driver: pod(t, env, t.resources.driver),
      executor: { instances: t.resources.executors.instances, ...pod(t, env, t.resources.executors) },
    },
  };
}
