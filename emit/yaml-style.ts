/**
 * How dfp's YAML looks, decided once: a fixed key order, no line wrapping (wrapped
 * `{{ … }}` expressions break templating engines), YAML 1.1 quoting so that strings
 * like `on` or `0755` stay strings for the Go and Python parsers that read the files.
 * The `yaml` package's printer, with these options, is the reference for every byte;
 * emit/yaml-block.ts lays out the same text faster and asks it how to write scalars.
 */
import {
  Scalar,
  stringify,
  type ToStringOptions,
  type DocumentOptions,
  type SchemaOptions,
  type CreateNodeOptions,
} from 'yaml';

export const YAML_OPTIONS: DocumentOptions & SchemaOptions & CreateNodeOptions & ToStringOptions = {
  version: '1.1',
  lineWidth: 0,
  minContentWidth: 0,
  aliasDuplicateObjects: false,
  indentSeq: true,
};

const LEADING_KEYS = ['apiVersion', 'kind', 'metadata', 'name', 'namespace'];

export function compareKeys(a: string, b: string): number {
  const ia = LEADING_KEYS.indexOf(a);
  const ib = LEADING_KEYS.indexOf(b);
  if (ia >= 0 || ib >= 0) return (ia < 0 ? LEADING_KEYS.length : ia) - (ib < 0 ? LEADING_KEYS.length : ib);
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A multi-line string with a whitespace-only line cannot be a block scalar: YAML reads
 * such a line as empty, and the printer would write one anyway (" \n" came back as
 * "\n"). Those strings are double-quoted instead.
 */
const BLANK_LINE = /(^|\n)[ \t]+(\n|$)/;

export function needsDoubleQuotes(value: string): boolean {
  return value.includes('\n') && BLANK_LINE.test(value);
}

function quotedIfNeeded(value: string): string | Scalar {
  if (!needsDoubleQuotes(value)) return value;
  const node = new Scalar(value);
  node.type = Scalar.QUOTE_DOUBLE;
  return node;
}

/** A copy with every map's keys in canonical order and undefined values dropped. */
export function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => compareKeys(a, b));
    return Object.fromEntries(entries.map(([k, v]) => [k, canonical(v)]));
  }
  return typeof value === 'string' ? quotedIfNeeded(value) : value;
}

/** One document as the `yaml` package prints it: the reference output. */
export function libraryYaml(document: unknown): string {
  return stringify(canonical(document), YAML_OPTIONS);
}
