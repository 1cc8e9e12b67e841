/**
 * Table schemas, written once per environment from the one field list: the Avro record
 * (`<namespace>.<table>.avsc`), the Iceberg table definition (`<namespace>.<table>.iceberg.json`,
 * a REST catalog CreateTableRequest)
 * and `fingerprints.json`, the sha256 Parsing-Canonical-Form fingerprint of each Avro
 * schema, so a reader can tell which schema wrote a file.
 */
import { parseFieldType, type FieldType } from '../../constructs/model/field-types.ts';
import type { Table } from '../../constructs/model/schema.ts';
import { jsonText } from '../../emit/json.ts';
import { warehouseUri } from '../data-plane.ts';
import type { RenderedFile, Target } from '../types.ts';
import { avroSchema, fingerprint } from './avro.ts';

// An Avro schema's and a table definition's keys keep the order the formats' readers expect.
const json = (value: unknown) => jsonText(value, { sortKeys: false });

/**
 * The table as an Iceberg REST catalog CreateTableRequest: its schema (field ids in
 * column order, required like the Avro record), identity partitions and the property
 * that makes Iceberg write Avro data files.
 */
function icebergTable(t: Table): object {
  const required = new Set([t.timestampField, ...t.partitionBy]);
  let nextId = t.fields.length + 1;
  const type = (f: FieldType) => {
    if (!f.name.startsWith('list<')) return f.iceberg;
    const element = (parseFieldType(f.name.slice(5, -1)) as FieldType).iceberg;
    return { type: 'list', 'element-id': nextId++, element, 'element-required': false };
  };
  const ref = t.lakefs.ref.kind === 'commit' ? t.lakefs.ref.id : t.lakefs.ref.name;
  return {
    name: t.table,
    location: `${warehouseUri('s3', t.lakefs.repository, ref)}/${t.namespace}/${t.table}`,
    schema: {
      type: 'struct',
      'schema-id': 0,
      'identifier-field-ids': [],
      fields: t.fields.map((f, i) => ({
        id: i + 1,
        name: f.name,
        required: required.has(f.name),
        type: type(parseFieldType(f.type) as FieldType),
      })),
    },
    'partition-spec': {
      'spec-id': 0,
      fields: t.partitionBy.map((col, i) => ({
        name: col,
        transform: 'identity',
        'source-id': t.fields.findIndex((f) => f.name === col) + 1,
        'field-id': 1000 + i,
      })),
    },
    'write-order': { 'order-id': 0, fields: [] },
    'stage-create': false,
    properties: { 'write.format.default': 'avro' },
  };
}

export const schemasTarget: Target = {
  name: 'schemas',
  appliesTo: () => true,
  render(model): RenderedFile[] {
    const files: RenderedFile[] = [];
    const prints: Record<string, string> = {};
    for (const t of model.data.tables) {
      const avro = avroSchema(t);
      prints[t.name] = fingerprint(avro);
      files.push({ path: `${t.name}.avsc`, content: json(avro), kubernetes: false });
      files.push({ path: `${t.name}.iceberg.json`, content: json(icebergTable(t)), kubernetes: false });
    }
    if (files.length)
      files.push({
        path: 'fingerprints.json',
        content: json({ algorithm: 'sha256 of the Avro Parsing Canonical Form', schemas: prints }),
        kubernetes: false,
      });
    return files;
  },
};
