/**
 * dbt: per environment, for each DbtProject, `dist/<env>/dbt/<project>/profiles.yml` (a
 * dbt-spark profile in session mode whose Spark session has the Iceberg catalog on the
 * lakeFS S3 gateway, reading its key pair from the pod's environment: no credential in the
 * file) and `sources.yml` (the dbt sources, generated from the IcebergTable definitions),
 * and `sync/<project>.yaml`, the two as ConfigMaps a DbtStep mounts.
 */
import type { DbtProject, Environment, Model } from '../../constructs/model/schema.ts';
import { dbtConfigMaps } from '../../constructs/model/analytics-names.ts';
import { kubernetesFile, SYNC_WAVE, type RenderedFile, type Target } from '../types.ts';
import { profileYaml } from './profile.ts';
import { sourcesYaml } from './sources.ts';

const LABELS = { 'app.kubernetes.io/managed-by': 'dfp', 'app.kubernetes.io/part-of': 'dbt' };

function configMaps(p: DbtProject, env: Environment, profile: string, sources: string): object[] {
  const names = dbtConfigMaps(p.name);
  const metadata = (name: string) => ({
    name,
    namespace: env.namespace,
    labels: { ...LABELS, 'dfp.dev/dbt-project': p.name },
    // Before the pipelines that mount them; the digest shows a model change in the diff.
    annotations: { 'argocd.argoproj.io/sync-wave': '-1', 'dfp.dev/dbt-models-sha256': p.modelsSha256 },
  });
  return [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: metadata(names.profile), data: { 'profiles.yml': profile } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: metadata(names.sources), data: { 'sources.yml': sources } },
  ];
}

export const dbtTarget: Target = {
  name: 'dbt',
  syncWave: SYNC_WAVE.definitions,
  appliesTo: () => true,
  render(model: Model, env): RenderedFile[] {
    return model.data.dbtProjects.flatMap((p) => {
      const profile = profileYaml(p, env);
      const sources = sourcesYaml(p, model.data.tables);
      return [
        { path: `${p.name}/profiles.yml`, content: profile, kubernetes: false },
        { path: `${p.name}/sources.yml`, content: sources, kubernetes: false },
        kubernetesFile(`sync/${p.name}.yaml`, configMaps(p, env, profile, sources)),
      ];
    });
  },
};
