/**
 * A dbt-spark profile in session mode: dbt runs a Spark session in the step's pod, with
 * the Iceberg catalog of the project's sources on lakeFS (the warehouse at the ref the
 * step's `DFP_LAKEFS_REF` names, read by dbt's `env_var()`), Avro data files for what it
 * creates, and S3A credentials only from the pod's environment (Secret references).
 */
import { DBT_REF_ENV } from '../../constructs/model/analytics-names.ts';
import type { DbtProject, Environment } from '../../constructs/model/schema.ts';
import { toYaml } from '../../emit/yaml.ts';
import { ICEBERG_SPARK_EXTENSIONS, SPARK_IMAGE_JARS, icebergCatalogConf, s3aGatewayConf } from '../data-plane.ts';
import { WAREHOUSE_FOLDER } from '../../constructs/model/warehouse.ts';

export function profileYaml(p: DbtProject, env: Environment): string {
  const warehouse = `s3a://${p.lakefs.repository}/{{ env_var('${DBT_REF_ENV}') }}/${WAREHOUSE_FOLDER}`;
  const s3a = Object.entries(s3aGatewayConf(env.endpoints.lakefs)).map(([k, v]) => [`spark.hadoop.${k}`, v]);
  const conf: Record<string, string> = {
    ...p.sessionConf,
    'spark.sql.extensions': ICEBERG_SPARK_EXTENSIONS,
    ...icebergCatalogConf(p.catalog, warehouse),
    [`spark.sql.catalog.${p.catalog}.table-override.write.format.default`]: 'avro',
    'spark.sql.defaultCatalog': p.catalog,
    ...Object.fromEntries(s3a),
    'spark.hadoop.fs.s3a.impl': 'org.apache.hadoop.fs.s3a.S3AFileSystem',
    // Tables another engine wrote (DataFusion's pyiceberg) name their files s3://…: the
    // same S3A client reads them (its fs.s3a.* settings apply to either scheme).
    'spark.hadoop.fs.s3.impl': 'org.apache.hadoop.fs.s3a.S3AFileSystem',
    'spark.hadoop.fs.s3a.connection.ssl.enabled': String(new URL(env.endpoints.lakefs).protocol === 'https:'),
    // The session's jars come with the image, never from Maven (SPARK_IMAGE_JARS).
    'spark.driver.extraClassPath': SPARK_IMAGE_JARS,
  };
  const sorted = Object.fromEntries(Object.entries(conf).sort(([a], [b]) => (a < b ? -1 : 1)));
  return toYaml({
    [p.profile]: {
      target: env.name,
      outputs: {
        [env.name]: {
          type: 'spark',
          method: 'session',
          // dbt-spark requires a host; a session runs in the pod itself.
          host: 'localhost',
          schema: p.schema,
          threads: 1,
          server_side_parameters: sorted,
        },
      },
    },
  });
}
