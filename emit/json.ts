/**
 * JSON with object keys sorted and no white space: equal data gives equal text, so it
 * can be hashed (dataset split ids, the Feast definitions digest).
 */

/** A JSON value: what a parameter default or a literal loop item can hold. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export function canonicalJson(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    // As JSON.stringify does, a key whose value is undefined is left out.
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k]!)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * JSON as a file: two-space indent, LF, one final newline. Keys are sorted at every level
 * (canonicalJson's order), unless the author's order means something (`sortKeys: false`:
 * an Avro schema's fields). The one way dfp prints a JSON file.
 */
export function jsonText(value: unknown, options: { readonly sortKeys?: boolean } = {}): string {
  const data = options.sortKeys === false ? value : sorted(value as JsonValue);
  return `${JSON.stringify(data, null, 2)}\n`;
}

/**
 * `value` with the keys of every object in canonicalJson's order: the data
 * `JSON.parse(canonicalJson(value))` gives, without printing and parsing it (a DataHub
 * file is a few hundred kilobytes). tests/json.property.test.ts compares the two.
 */
function sorted(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(sorted);
  if (value === null || typeof value !== 'object') return value;
  const out: { [key: string]: JsonValue } = {};
  for (const k of Object.keys(value).sort()) {
    const v = value[k];
    if (v === undefined) continue;
    // Defined, not assigned: assigning `__proto__` would set the prototype, as JSON.parse does not.
    if (k === '__proto__') Object.defineProperty(out, k, { value: sorted(v), enumerable: true, writable: true });
    else out[k] = sorted(v);
  }
  return out;
}
