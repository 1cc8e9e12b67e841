/**
 * Feast: per environment with `featureStore: 'feast'` one repo,
 * `dist/<env>/feast/<project>/`: `feature_store.yaml` (Spark offline store reading the
 * Iceberg tables through the lakeFS S3 gateway, Redis online store, registry in the
 * environment's bucket), `features.py` (the definitions) and `definitions.sha256`, the
 * digest of the canonical feature-view definitions that training records as
 * `feast.defs_sha256`. `sync/feast-apply.yaml` applies that repo on every Argo CD sync
 * (a ConfigMap of the same files and a Sync-hook Job, sync.ts).
 */
import { definitionsDigest } from '../../constructs/model/definitions-digest.ts';
import type { DataPlane, Environment } from '../../constructs/model/schema.ts';
import { toYaml } from '../../emit/yaml.ts';
import {
  ICEBERG_SPARK_EXTENSIONS,
  featureRepoName,
  icebergCatalogConf,
  s3aGatewayConf,
  warehouseUri,
} from '../data-plane.ts';
import { kubernetesFile, SYNC_WAVE, type RenderedFile, type Target } from '../types.ts';
import { definitionsModule } from './definitions.ts';
import { FEAST_IMAGE, syncObjects } from './sync.ts';
import { pinImage } from '../../constructs/model/images.ts';
import { imagePolicyProblem } from '../../constructs/model/images.ts';

export const feastProject = featureRepoName;

function featureStoreYaml(data: DataPlane, env: Environment): string {
  // Credentials come from the pod's environment (Secret references), never from this file.
  const s3a = Object.entries(s3aGatewayConf(env.endpoints.lakefs)).map(([k, v]) => [`spark.hadoop.${k}`, v]);
  const sparkConf: Record<string, string> = {
    'spark.sql.extensions': ICEBERG_SPARK_EXTENSIONS,
    ...Object.fromEntries(s3a),
  };
  for (const t of data.tables) {
    // Feast reads the table at its pinned commit (lakeFS serves any commit id through its
    // S3 gateway), so features come from the same data the lineage names.
    Object.assign(sparkConf, icebergCatalogConf(t.catalog, warehouseUri('s3a', t.lakefs.repository, t.lakefs.commit)));
  }
  const repo = env.artifactRepository;
  return toYaml({
    project: feastProject(env),
    provider: 'local',
    registry: {
      registry_type: 'file',
      path: `s3://${repo.bucket}/${repo.keyPrefix}/feast/${feastProject(env)}/registry.db`,
    },
    offline_store: { type: 'spark', spark_conf: sparkConf },
    online_store: { type: 'redis', connection_string: `redis.${env.namespace}.svc.cluster.local:6379` },
    entity_key_serialization_version: 3,
  });
}

export const feastTarget: Target = {
  name: 'feast',
  syncWave: SYNC_WAVE.definitions,
  appliesTo: (env) => env.featureStore === 'feast',
  check(model, env) {
    if (model.data.featureViews.length === 0) return [];
    // The lock's digest, when it pins the image (constructs/model/images.ts).
    const policy = imagePolicyProblem(env, pinImage(model.imagePins, FEAST_IMAGE));
    return policy ? [{ path: env.path, message: `the Feast sync Job's ${policy}` }] : [];
  },
  render(model, env): RenderedFile[] {
    if (model.data.featureViews.length === 0) return [];
    // The lock's digest, when it pins the image (constructs/model/images.ts).
    const image = pinImage(model.imagePins, FEAST_IMAGE);
    const dir = feastProject(env);
    const digest = definitionsDigest(model.data);
    const repo: RenderedFile[] = [
      { path: `${dir}/feature_store.yaml`, content: featureStoreYaml(model.data, env), kubernetes: false },
      { path: `${dir}/features.py`, content: definitionsModule(model.data), kubernetes: false },
      { path: `${dir}/definitions.sha256`, content: `${digest}\n`, kubernetes: false },
    ];
    return [...repo, kubernetesFile('sync/feast-apply.yaml', syncObjects(dir, repo, digest, env, image))];
  },
};
