/**
 * The dbt sources of a project, generated from the IcebergTable definitions (one schema,
 * no second copy): one source per namespace, each table with its description and its
 * columns with their Spark SQL types. Models read them as `source('<namespace>', '<table>')`.
 */
import { parseFieldType, type FieldType } from '../../constructs/model/field-types.ts';
import type { DbtProject, Table } from '../../constructs/model/schema.ts';
import { toYaml } from '../../emit/yaml.ts';

export function sourcesYaml(p: DbtProject, tables: readonly Table[]): string {
  const used = tables.filter((t) => p.sources.includes(t.name));
  const namespaces = [...new Set(used.map((t) => t.namespace))].sort();
  return toYaml({
    version: 2,
    sources: namespaces.map((ns) => ({
      name: ns,
      schema: ns,
      tables: used
        .filter((t) => t.namespace === ns)
        .map((t) => ({
          name: t.table,
          ...(t.description ? { description: t.description } : {}),
          meta: { dfp_path: t.path },
          columns: t.fields.map((f) => ({
            name: f.name,
            data_type: (parseFieldType(f.type) as FieldType).spark.toLowerCase(),
          })),
        })),
    })),
  });
}
