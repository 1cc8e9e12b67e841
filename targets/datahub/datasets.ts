/**
 * Each Iceberg table as a DataHub Dataset: its properties (where it lives in lakeFS), its
 * schema from the same table definition every other schema comes from
 * (model/field-types.ts), and the owners and tags of the feature views read from it.
 */
import { parseFieldType, type FieldType } from '../../constructs/model/field-types.ts';
import type { DataPlane, Table } from '../../constructs/model/schema.ts';
import { globalTags, mcp, ownership, UNKNOWN_STAMP, type Mcp } from './mcp.ts';
import { datasetUrn, ownerUrn, tagUrn, type Fabric } from './urns.ts';

/** DataHub's SchemaFieldDataType for a dfp field type. */
function dataHubType(t: FieldType): Record<string, unknown> {
  if (t.name.startsWith('list<'))
    return { 'com.linkedin.schema.ArrayType': { nestedType: [t.iceberg.slice('list<'.length, -1)] } };
  if (t.name.startsWith('decimal(')) return { 'com.linkedin.schema.NumberType': {} };
  const scalar: Record<string, string> = {
    string: 'StringType',
    int32: 'NumberType',
    int64: 'NumberType',
    float32: 'NumberType',
    float64: 'NumberType',
    bool: 'BooleanType',
    bytes: 'BytesType',
    timestamp: 'TimeType',
    date: 'DateType',
  };
  return { [`com.linkedin.schema.${scalar[t.name] ?? 'NullType'}`]: {} };
}

function schemaMetadata(t: Table): Record<string, unknown> {
  // As in the Avro schema: the event time and the partition columns are required.
  const required = new Set([t.timestampField, ...t.partitionBy]);
  const fields = t.fields.map((f) => {
    const type = parseFieldType(f.type) as FieldType;
    return {
      fieldPath: f.name,
      nullable: !required.has(f.name),
      type: { type: dataHubType(type) },
      nativeDataType: type.iceberg,
      recursive: false,
      isPartOfKey: false,
      ...(t.partitionBy.includes(f.name) ? { isPartitioningKey: true } : {}),
    };
  });
  const raw =
    'struct<' +
    `${t.fields.map((f) => `${f.name}: ${(parseFieldType(f.type) as FieldType).iceberg}`).join(', ')}` +
    '>';
  return {
    schemaName: t.name,
    platform: 'urn:li:dataPlatform:iceberg',
    version: 0,
    created: UNKNOWN_STAMP,
    lastModified: UNKNOWN_STAMP,
    hash: '',
    platformSchema: { 'com.linkedin.schema.OtherSchema': { rawSchema: raw } },
    fields,
  };
}

function properties(t: Table): Record<string, unknown> {
  const ref = t.lakefs.ref;
  return {
    customProperties: {
      catalog: t.catalog,
      'lakefs.repository': t.lakefs.repository,
      'lakefs.ref': ref.kind === 'commit' ? ref.id : ref.name,
      'lakefs.commit': t.lakefs.commit,
      'iceberg.timestamp_field': t.timestampField,
      ...(t.partitionBy.length ? { 'iceberg.partition_by': t.partitionBy.join(',') } : {}),
    },
    name: t.table,
    qualifiedName: t.name,
    ...(t.description !== undefined ? { description: t.description } : {}),
    tags: [],
  };
}

/** Every MCP of every table, unsorted. */
export function datasetMcps(data: DataPlane, fabric: Fabric): Mcp[] {
  return data.tables.flatMap((t) => {
    const urn = datasetUrn({ platform: 'iceberg', name: t.name }, fabric);
    const views = data.featureViews.filter((v) => v.source === t.name);
    const owners = views.flatMap((v) => (v.owner !== undefined && v.owner !== '' ? [ownerUrn(v.owner)] : []));
    const tags = views.flatMap((v) => Object.entries(v.tags).map(([k, value]) => tagUrn(`${k}:${value}`)));
    return [
      mcp('dataset', urn, 'datasetProperties', properties(t)),
      mcp('dataset', urn, 'schemaMetadata', schemaMetadata(t)),
      ...ownership('dataset', urn, owners),
      ...globalTags('dataset', urn, tags),
    ];
  });
}
