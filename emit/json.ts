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
  const data = options.sortKeys === false ? value : JSON.parse(canonicalJson(value as JsonValue));
  return `${JSON.stringify(data, null, 2)}\n`;
}
