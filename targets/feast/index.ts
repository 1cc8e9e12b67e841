/**
 * Feast: per environment with `featureStore: 'feast'` one repo,
 * `dist/<env>/feast/<project>/`: `feature_store.yaml` (Spark offline store reading the
 * Iceberg tables through the lakeFS S3 gateway, Redis online store, registry in the
 * environment's bucket), `features.py` (the definitions) and `definitions.sha256`, the
 * digest of the canonical feature-view definitions that training records as
 * `feast.defs_sha256`.
 */
import { createHash } from 'node:crypto';
import type { DataPlane, Environment } from '../../constructs/model/schema.ts';
import { toYaml } from '../../synth/yaml.ts';
import type { RenderedFile, Target } from '../types.ts';
import { definitionsModule } from './definitions.ts';

export const feastProject = (env: Environment) => `dfp_${env.name.replace(/-/g, '_')}`;

/** Canonical JSON (sorted keys) of what defines the views: the views, their entities and sources. */
export function definitionsDigest(data: DataPlane): string {
  const canonical = (v: unknown): string =>
    Array.isArray(v) ? `[${v.map(canonical).join(',')}]`
      : v !== null && typeof v === 'object' ? `{${Object.keys(v).sort().filter((k) => k !== 'path').map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`
        : JSON.stringify(v);
  const used = { featureViews: data.featureViews, entities: data.entities.filter((e) => data.featureViews.some((v) => v.entities.includes(e.name))), tables: data.tables.filter((t) => data.featureViews.some((v) => v.source === t.name)) };
  return createHash('sha256').update(canonical(used)).digest('hex');
}

function featureStoreYaml(data: DataPlane, env: Environment): string {
  const sparkConf: Record<string, string> = {
    'spark.sql.extensions': 'org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions',
    'spark.hadoop.fs.s3a.endpoint': env.endpoints.lakefs,
    'spark.hadoop.fs.s3a.path.style.access': 'true',
    // Credentials come from the pod's environment (Secret references), never from this file.
    'spark.hadoop.fs.s3a.aws.credentials.provider': 'com.amazonaws.auth.EnvironmentVariableCredentialsProvider',
  };
  for (const t of data.tables) {
    const ref = t.lakefs.ref.kind === 'commit' ? t.lakefs.ref.id : t.lakefs.ref.name;
    sparkConf[`spark.sql.catalog.${t.catalog}`] = 'org.apache.iceberg.spark.SparkCatalog';
    sparkConf[`spark.sql.catalog.${t.catalog}.type`] = 'hadoop';
    sparkConf[`spark.sql.catalog.${t.catalog}.warehouse`] = `s3a://${t.lakefs.repository}/${ref}/warehouse`;
  }
  const repo = env.artifactRepository;
  return toYaml({
    project: feastProject(env),
    provider: 'local',
    registry: { registry_type: 'file', path: `s3://${repo.bucket}/${repo.keyPrefix}/feast/${feastProject(env)}/registry.db` },
    offline_store: { type: 'spark', spark_conf: sparkConf },
    online_store: { type: 'redis', connection_string: `redis.${env.namespace}.svc.cluster.local:6379` },
    entity_key_serialization_version: 3,
  });
}

export const feastTarget: Target = {
  name: 'feast',
  appliesTo: (env) => env.featureStore === 'feast',
  render(model, env): RenderedFile[] {
    if (model.data.featureViews.length === 0) return [];
    const dir = feastProject(env);
    return [
      { path: `${dir}/feature_store.yaml`, content: featureStoreYaml(model.data, env), kubernetes: false },
      { path: `${dir}/features.py`, content: definitionsModule(model.data), kubernetes: false },
      { path: `${dir}/definitions.sha256`, content: `${definitionsDigest(model.data)}\n`, kubernetes: false },
    ];
  },
};
