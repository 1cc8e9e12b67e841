/**
 * What the data-plane targets (spark, datafusion, feast, chronon, schemas) agree on, written once:
 * where Iceberg tables live on lakeFS, the Spark settings that reach them, and how a SQL
 * transform is handed to dfp's runners. A shared helper, not a target: no target imports
 * another.
 */
import type { Environment, Transform } from '../constructs/model/schema.ts';
import { WAREHOUSE_FOLDER } from '../constructs/model/warehouse.ts';

/**
 * The Iceberg warehouse of a lakeFS repository at a branch or commit. lakeFS's S3
 * gateway addresses the repository as the bucket and the ref as the first key segment;
 * Spark reads it through S3A (`s3a`), everything else as plain S3.
 */
export function warehouseUri(scheme: 's3' | 's3a', repository: string, ref: string): string {
  return `${scheme}://${repository}/${ref}/${WAREHOUSE_FOLDER}`;
}

/**
 * The JVM packages every Spark session of the platform needs, at these exact versions:
 * Iceberg's runtime for Spark 3.5, Spark's Avro data source, and the S3A filesystem of the
 * Hadoop (3.3.4) that Spark 3.5 is built with.
 */
export const SPARK_PACKAGES = [
  'org.apache.iceberg:iceberg-spark-runtime-3.5_2.12:1.10.0',
  'org.apache.spark:spark-avro_2.12:3.5.6',
  'org.apache.hadoop:hadoop-aws:3.3.4',
] as const;

/**
 * Where the images that run Spark (kronodroid-spark, dbt-kronodroid) keep the jars of
 * SPARK_PACKAGES and what Ivy resolves for them (images/spark-jars/jars.txt, fetched from
 * Maven Central at build time, checked by sha256). What dfp renders puts this folder on the
 * classpath, never `spark.jars.packages` / `deps.packages`: those resolve the jars from
 * Maven when the session starts, and pods have no route to Maven (`make e2e` found the dbt
 * step and the Spark job failing so).
 */
export const SPARK_IMAGE_JARS = '/opt/dfp/jars/*';

/** The Spark session extensions Iceberg's SQL needs. */
export const ICEBERG_SPARK_EXTENSIONS = 'org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions';

/** Spark's settings for an Iceberg catalog (Hadoop type) over `warehouse`. */
export function icebergCatalogConf(catalog: string, warehouse: string): Record<string, string> {
  const key = `spark.sql.catalog.${catalog}`;
  return { [key]: 'org.apache.iceberg.spark.SparkCatalog', [`${key}.type`]: 'hadoop', [`${key}.warehouse`]: warehouse };
}

/**
 * Hadoop's S3A settings for lakeFS's gateway at `endpoint` (without the `spark.hadoop.`
 * prefix Spark's own conf needs): path-style buckets, credentials only from the pod's
 * environment, which holds Secret references.
 */
export function s3aGatewayConf(endpoint: string): Record<string, string> {
  return {
    'fs.s3a.endpoint': endpoint,
    'fs.s3a.path.style.access': 'true',
    'fs.s3a.aws.credentials.provider': 'com.amazonaws.auth.EnvironmentVariableCredentialsProvider',
  };
}

/** A transform's arguments to dfp's runners: each SQL query after the table it writes. */
export function runnerArgs(code: Transform['code']): string[] | undefined {
  if (code.kind === 'sql') return code.queries.flatMap((q) => ['--output', q.table, '--query', q.query]);
  return code.args.length ? [...code.args] : undefined;
}

/** One RBAC rule of a Role. */
export interface PolicyRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
}

/**
 * A Role named `name` with `rules` in the environment's namespace, bound to its service
 * account: what a transform engine's launcher (and Spark's driver) may do there.
 */
export function engineRole(env: Environment, name: string, rules: readonly PolicyRule[]): object[] {
  const metadata = { name, namespace: env.namespace, labels: { 'app.kubernetes.io/managed-by': 'dfp' } };
  return [
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata, rules },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name: env.serviceAccount, namespace: env.namespace }],
    },
  ];
}

/**
 * The folder (and project name) of an environment's feature-store repo, Feast's or
 * Chronon's: `dfp_<env>`, a Python identifier for an environment name with `-`.
 */
export const featureRepoName = (env: Pick<Environment, 'name'>) => `dfp_${env.name.replace(/-/g, '_')}`;
