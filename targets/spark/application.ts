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
  icebergCatalogConf,
  runnerArgs,
  s3aGatewayConf,
  warehouseUri,
} from '../data-plane.ts';
import { restrictedContainerSecurity, restrictedPodSecurity } from '../pod-security.ts';
import { RenderError } from '../types.ts';

/** The Spark the images ship; the packages below are built for it (Scala 2.12). */
export const SPARK_VERSION = '3.5.6';

/**
 * Resolved by spark-submit from Maven Central at start-up, at these exact versions:
 * Iceberg's runtime for Spark 3.5, Spark's Avro data source, and the S3A filesystem of
 * the Hadoop (3.3.4) that Spark 3.5 is built with.
 */
export const SPARK_PACKAGES = [
  'org.apache.iceberg:iceberg-spark-runtime-3.5_2.12:1.10.0',
  'org.apache.spark:spark-avro_2.12:3.5.6',
  'org.apache.hadoop:hadoop-aws:3.3.4',
] as const;

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
      deps: { packages: [...SPARK_PACKAGES] },
      sparkConf: {
        ...t.sparkConf,
        'spark.sql.extensions': ICEBERG_SPARK_EXTENSIONS,
        ...icebergCatalogConf(t.catalog, warehouseUri('s3a', t.lakefs.repository, t.lakefs.ref)),
        // Every table this catalog creates gets Avro data files, whatever the job says.
        [`spark.sql.catalog.${t.catalog}.table-override.write.format.default`]: 'avro',
        'spark.sql.defaultCatalog': t.catalog,
        // The pods run as a non-root user without a home: Ivy resolves the packages in /tmp.
        'spark.jars.ivy': '/tmp/.ivy2',
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
