/**
 * The one TOML printer of the dlt target: tables of string, boolean, integer and inline-table
 * values, every string through one quoting function. TOML basic strings take JSON's
 * escapes, plus DEL, which JSON leaves raw and TOML forbids.
 */

/** A value the printer writes. */
export type TomlValue = string | boolean | number | { readonly [key: string]: TomlValue };

/** A TOML basic string holding exactly `s`. */
export function tomlString(s: string): string {
  // A lone surrogate has no TOML escape (\u must name a scalar value): it becomes U+FFFD, as a UTF-8 writer would.
  return JSON.stringify(
    s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD'),
  ).replace(/\u007f/g, '\\u007F');
}

const key = (k: string) => (/^[A-Za-z0-9_-]+$/.test(k) ? k : tomlString(k));

function value(v: TomlValue): string {
  if (typeof v === 'string') return tomlString(v);
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`dfp bug: TOML number ${v} is not an integer`);
    return String(v);
  }
  return `{ ${Object.entries(v)
    .map(([k, x]) => `${key(k)} = ${value(x)}`)
    .join(', ')} }`;
}

/** A document: a comment and `[table]` sections, each with its keys in the given order. */
export function toToml(
  comment: readonly string[],
  tables: readonly (readonly [string, Readonly<Record<string, TomlValue>>])[],
): string {
  const head = comment.map((line) => `# ${line}`).join('\n');
  const body = tables.map(([name, entries]) =>
    [
      `[${name.split('.').map(key).join('.')}]`,
      ...Object.entries(entries).map(([k, v]) => `${key(k)} = ${value(v)}`),
    ].join('\n'),
  );
  return `${[head, ...body].join('\n\n')}\n`;
}
