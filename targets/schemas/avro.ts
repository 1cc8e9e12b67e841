/**
 * A table as an Avro record schema (the Iceberg data files' format) and the schema's
 * fingerprint: sha256 over its Parsing Canonical Form (Avro specification, "Parsing
 * Canonical Form for Schemas"), the id a registry or a reader compares.
 */
import { createHash } from 'node:crypto';
import { parseFieldType, type AvroType } from '../../constructs/model/field-types.ts';
import type { Table } from '../../constructs/model/schema.ts';

export type AvroSchema = { readonly [key: string]: unknown };

/**
 * The record. The event time and the partition columns are required; every other
 * column is nullable (`["null", T]`, default null), as Iceberg columns are by default.
 */
export function avroSchema(t: Table): AvroSchema {
  const required = new Set([t.timestampField, ...t.partitionBy]);
  return {
    type: 'record',
    name: t.table,
    namespace: t.namespace,
    ...(t.description ? { doc: t.description } : {}),
    fields: t.fields.map((f) => {
      const type = (parseFieldType(f.type) as { avro: AvroType }).avro;
      return required.has(f.name) ? { name: f.name, type } : { name: f.name, type: ['null', type], default: null };
    }),
  };
}

/** Parsing Canonical Form: full names, only the attributes that define parsing, fixed key order, no white space. */
export function canonicalForm(schema: unknown, namespace?: string): string {
  if (typeof schema === 'string') return JSON.stringify(schema);
  if (Array.isArray(schema)) return `[${schema.map((s) => canonicalForm(s, namespace)).join(',')}]`;
  const s = schema as Record<string, unknown>;
  const type = s.type as string | object;
  if (typeof type === 'object' || !['record', 'enum', 'array', 'map', 'fixed'].includes(type)) {
    // A primitive written as an object, logical types included: the primitive alone.
    return canonicalForm(type, namespace);
  }
  if (type === 'array') return `{"type":"array","items":${canonicalForm(s.items, namespace)}}`;
  if (type === 'map') return `{"type":"map","values":${canonicalForm(s.values, namespace)}}`;
  const ns = (s.namespace as string | undefined) ?? namespace;
  const name = String(s.name);
  const full = name.includes('.') || !ns ? name : `${ns}.${name}`;
  if (type === 'record') {
    const fields = (s.fields as { name: string; type: unknown }[]).map(
      (f) => `{"name":${JSON.stringify(f.name)},"type":${canonicalForm(f.type, ns)}}`,
    );
    return `{"name":${JSON.stringify(full)},"type":"record","fields":[${fields.join(',')}]}`;
  }
  if (type === 'enum') return `{"name":${JSON.stringify(full)},"type":"enum","symbols":${JSON.stringify(s.symbols)}}`;
  return `{"name":${JSON.stringify(full)},"type":"fixed","size":${Number(s.size)}}`;
}

export const fingerprint = (schema: AvroSchema): string =>
  createHash('sha256').update(canonicalForm(schema)).digest('hex');
