/**
 * The one JSON printer of the DataHub files: keys sorted at every level, two-space
 * indent, LF, one final newline. The same MCPs always give the same bytes.
 */
type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

function sortKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys(value[k]!)]));
  }
  return value;
}

export function canonicalJsonText(value: unknown): string {
  return `${JSON.stringify(sortKeys(value as Json), null, 2)}\n`;
}
