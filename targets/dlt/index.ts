/**
 * dlt: per environment, for each DltLoad step, `dist/<env>/dlt/<pipeline>/<step>/config.toml`
 * (dlt's own settings: the filesystem destination on the lakeFS S3 gateway with the
 * table's warehouse as its bucket, the source, and the destination table's columns as
 * hints; no secret, since credentials come from the pod's environment) and
 * `sync/<pipeline>-<step>.yaml`, the file as the ConfigMap the step mounts.
 */
import { parseFieldType } from '../../constructs/model/field-types.ts';
import type { DltLoad, Environment, Model, Pipeline, Step, Table } from '../../constructs/model/schema.ts';
import { WAREHOUSE_FOLDER } from '../../constructs/model/warehouse.ts';
import { kubernetesFile, RenderError, SYNC_WAVE, type RenderedFile, type Target } from '../types.ts';
import { toToml, type TomlValue } from './toml.ts';

/** dlt's data type (and precision) for a dfp field type. */
function dltColumn(type: string, required: boolean): Record<string, TomlValue> {
  const t = parseFieldType(type);
  const name = typeof t === 'string' ? type : t.name;
  const base: Record<string, string | number> = name.startsWith('decimal(')
    ? { data_type: 'decimal' }
    : name.startsWith('list<')
      ? { data_type: 'json' }
      : ((
          {
            string: { data_type: 'text' },
            int32: { data_type: 'bigint', precision: 32 },
            int64: { data_type: 'bigint' },
            float32: { data_type: 'double' },
            float64: { data_type: 'double' },
            bool: { data_type: 'bool' },
            bytes: { data_type: 'binary' },
            timestamp: { data_type: 'timestamp' },
            date: { data_type: 'date' },
          } as Record<string, Record<string, string | number>>
        )[name] ?? { data_type: 'text' });
  return { ...base, nullable: !required };
}

export function configToml(step: Step, load: DltLoad, table: Table, env: Environment, pipeline: string): string {
  const ref = table.lakefs.ref.kind === 'commit' ? table.lakefs.ref.id : table.lakefs.ref.name;
  const required = new Set([table.timestampField, ...table.partitionBy]);
  return toToml(
    [
      `dlt settings of ${step.path} (pipeline ${pipeline}) in environment ${env.name}, rendered by dfp.`,
      "No secrets: the key pairs come from the pod's environment (Secret references).",
    ],
    [
      ['runtime', { dlthub_telemetry: false, log_level: 'WARNING' }],
      ['destination.filesystem', { bucket_url: `s3://${table.lakefs.repository}/${ref}/${WAREHOUSE_FOLDER}` }],
      [
        'dfp',
        {
          pipeline_name: load.pipelineName,
          dataset_name: table.namespace,
          table_name: table.table,
          resource: load.resource,
          write_disposition: load.writeDisposition,
          table_format: 'iceberg',
        },
      ],
      // dlt keeps credentials (endpoint included) out of config.toml; the runner hands these to them.
      ['dfp.s3', { endpoint_url: env.endpoints.lakefs, region_name: env.artifactRepository.region }],
      [
        'dfp.source',
        { bucket_url: load.source.bucketUrl, file_glob: load.source.fileGlob, format: load.source.format },
      ],
      ['dfp.columns', Object.fromEntries(table.fields.map((f) => [f.name, dltColumn(f.type, required.has(f.name))]))],
    ],
  );
}

function configMap(name: string, step: Step, env: Environment, toml: string): object {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace: env.namespace,
      labels: { 'app.kubernetes.io/managed-by': 'dfp', 'app.kubernetes.io/part-of': 'dlt' },
      annotations: { 'argocd.argoproj.io/sync-wave': '-1', 'dfp.dev/source': step.path },
    },
    data: { 'config.toml': toml },
  };
}

const loadsOf = (p: Pipeline) =>
  (p.exitHandler ? [...p.steps, p.exitHandler] : p.steps).filter(
    (s): s is Step & { dlt: DltLoad } => s.dlt !== undefined,
  );

export const dltTarget: Target = {
  name: 'dlt',
  syncWave: SYNC_WAVE.definitions,
  appliesTo: () => true,
  render(model: Model, env): RenderedFile[] {
    return model.pipelines.flatMap((p) =>
      loadsOf(p).flatMap((s) => {
        const table = model.data.tables.find((t) => t.name === s.dlt.destination);
        if (!table) throw new RenderError(s.path, `destination ${s.dlt.destination} is not a table of the model`);
        const toml = configToml(s, s.dlt, table, env, p.name);
        return [
          { path: `${p.name}/${s.name}/config.toml`, content: toml, kubernetes: false, pipeline: p.name },
          kubernetesFile(`sync/${s.dlt.configMap}.yaml`, [configMap(s.dlt.configMap, s, env, toml)], p.name),
        ];
      }),
    );
  },
};
