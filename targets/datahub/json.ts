/**
 * The one JSON printer of the DataHub files: the model's canonical JSON (keys sorted at
 * every level), laid out with a two-space indent, LF and one final newline, so that the
 * same MCPs always give the same bytes and a change reads as a small diff.
 */
import { canonicalJson } from '../../emit/json.ts';
import type { JsonValue } from '../../constructs/model/schema.ts';

export function canonicalJsonText(value: unknown): string {
  // JSON.parse keeps the sorted key order canonicalJson wrote.
  return `${JSON.stringify(JSON.parse(canonicalJson(value as JsonValue)), null, 2)}\n`;
}
