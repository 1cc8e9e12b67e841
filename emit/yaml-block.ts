/**
 * Block-style YAML for plain data (maps, lists, strings, numbers, booleans, null),
 * byte for byte what the `yaml` package writes with YAML_OPTIONS, several times faster.
 * The layout (indentation, `- ` items, `{}` and `[]` for empty collections) is simple
 * and done here. How a scalar is written (plain, quoted, block literal, YAML 1.1 words
 * such as `on`) is not, so the package is asked, once per distinct scalar, in a
 * one-entry map or list, and its answer is cached. Anything outside that (a top-level
 * scalar, integer-like keys that JavaScript would reorder, undefined in a list, a
 * bigint, a key YAML cannot write inline) gives undefined: the caller prints with the
 * package itself. tests/yaml-block.property.test.ts compares the two on random data.
 */
import { Scalar, stringify } from 'yaml';
import { YAML_OPTIONS, compareKeys, needsDoubleQuotes } from './yaml-style.ts';

/** Thrown inside the printer for data it leaves to the package. */
class Unsupported extends Error {}

/** Keys JavaScript moves to the front of an object, which the reference output shows. */
const INTEGER_LIKE = /^(0|[1-9][0-9]*)$/;

/**
 * The package's answers, one map per context and kind, keyed by the value itself: a
 * composed key string would have to be built and hashed again on every lookup.
 */
const cache = {
  keys: new Map<string, string>(),
  values: new Map<unknown, string>(),
  quotedValues: new Map<string, string>(),
  items: new Map<unknown, string>(),
  quotedItems: new Map<string, string>(),
};
const CACHE_LIMIT = 100_000;

/** Forgets every cached answer (the benchmark measures the printer from cold). */
export function clearScalarCache(): void {
  for (const m of Object.values(cache)) m.clear();
}

function remember<K>(map: Map<K, string>, key: K, text: string): string {
  if (map.size >= CACHE_LIMIT) map.clear();
  map.set(key, text);
  return text;
}

/**
 * Strings that no YAML 1.1 reader takes for anything but a string when written plain (a
 * letter first, then letters, digits and `_./-`; no boolean, null or exponent-only float):
 * the package writes them as they are, so they skip asking it. Names, kinds, images
 * and label keys are most of a manifest's scalars. tests/yaml-block.property.test.ts
 * holds this to the package's answer.
 */
const PLAIN_SAFE = /^[A-Za-z][A-Za-z0-9_./-]*$/;
// The package's YAML 1.1 tags that a letter can start: booleans, null, and a float with no
// digits before its exponent (`e5`, `E-3`).
const YAML11_WORDS = /^(y|yes|n|no|true|false|on|off|null)$|^e[-+]?[0-9]+$/i;
export const isPlainSafe = (s: string): boolean => PLAIN_SAFE.test(s) && !YAML11_WORDS.test(s);

function scalarNode(v: unknown, quoted: boolean): unknown {
  if (!quoted) return v;
  const node = new Scalar(v);
  node.type = Scalar.QUOTE_DOUBLE;
  return node;
}

/**
 * `v` as the package writes it after `k: ` (a map value) or `- ` (a list item), with
 * continuation lines (block literals) indented for column 0.
 */
function scalarText(kind: 'value' | 'item', v: unknown): string {
  const t = typeof v;
  // -0 is a Map key equal to 0, but the package writes it as `-0`.
  if ((t !== 'string' && t !== 'number' && t !== 'boolean' && v !== null) || Object.is(v, -0)) throw new Unsupported();
  if (t === 'string' && isPlainSafe(v as string)) return v as string;
  const quoted = t === 'string' && needsDoubleQuotes(v as string);
  const map: Map<unknown, string> =
    kind === 'value' ? (quoted ? cache.quotedValues : cache.values) : quoted ? cache.quotedItems : cache.items;
  const known = map.get(v);
  if (known !== undefined) return known;
  const prefix = kind === 'value' ? 'k: ' : '- ';
  const node = scalarNode(v, quoted);
  const text = stringify(kind === 'value' ? { k: node } : [node], YAML_OPTIONS);
  if (!text.startsWith(prefix) || !text.endsWith('\n')) throw new Unsupported();
  return remember(map, v, text.slice(prefix.length, -1));
}

function keyText(k: string): string {
  if (isPlainSafe(k)) return k;
  const known = cache.keys.get(k);
  if (known !== undefined) return known;
  // The package quotes a key that starts like a document marker at column 0 but not inside a list item:
  // its text depends on where the key is, which this cache cannot know, so such keys go to the package.
  if (k === '__proto__' || k.startsWith('---') || k.startsWith('...')) throw new Unsupported();
  const text = stringify({ [k]: null }, YAML_OPTIONS);
  const key = text.slice(0, -': null\n'.length);
  if (!text.endsWith(': null\n') || key.includes('\n') || key.startsWith('? ')) throw new Unsupported();
  return remember(cache.keys, k, key);
}

/**
 * A map that appears in more than one document (Kubeflow's pipeline spec is the IR file
 * and again the PipelineVersion's `spec.pipelineSpec`): printed where it first appears,
 * and its lines reused, indented, after that. The printer's lines for a map do not
 * depend on where the map sits, only their indentation does (block literal lines
 * included), so the reused text is the text printing it again would give.
 * tests/yaml-block.property.test.ts compares the two.
 */
export class PrintOnce {
  // null: not printed yet; undefined: the package must print it.
  #text: string | undefined | null = null;
  /** @param value a map (not a list) that is not changed after it is first printed */
  constructor(public readonly value: object) {}

  /** The map as a document (printed at most once), or undefined when the package must print it. */
  public text(): string | undefined {
    if (this.#text === null) this.#text = Array.isArray(this.value) ? undefined : blockYaml(this.value);
    return this.#text;
  }
}

/**
 * The maps printed last as documents by appendBlockYaml (at most RECENT), and where their
 * lines are: a map that appears again, nested in a later document (Kubeflow's pipeline spec
 * is the IR file and, next, the PipelineVersion's `spec.pipelineSpec`), reuses them,
 * indented, as PrintOnce does, with nothing asked of the caller but not to change a map
 * after printing it. Joined only when reused, so a document printed once costs no extra
 * copy. A short list compared by identity, not a WeakMap of every document: the lookup
 * runs for every nested map of every document, and a WeakMap's cost there was measurable
 * (bench/optimisations.md, issue 29); a map printed longer ago is laid out again, to the
 * same bytes.
 */
const RECENT = 4;
const recent: {
  readonly map: object;
  readonly pieces: string[];
  readonly start: number;
  readonly end: number;
  text?: string;
}[] = [];

function printedText(map: object): string | undefined {
  for (let i = 0; i < recent.length; i++) {
    const p = recent[i]!;
    if (p.map === map) return (p.text ??= p.pieces.slice(p.start, p.end).join(''));
  }
  return undefined;
}

/** `document` with every PrintOnce replaced by its value: what the package prints. */
export function withoutPrintOnce(document: unknown): unknown {
  if (document instanceof PrintOnce) return withoutPrintOnce(document.value);
  if (Array.isArray(document)) return document.map(withoutPrintOnce);
  // fromEntries defines each key, `__proto__` included, where assigning it would set the prototype.
  if (document !== null && typeof document === 'object')
    return Object.fromEntries(Object.entries(document).map(([k, v]) => [k, withoutPrintOnce(v)]));
  return document;
}

/** Continuation lines of a block literal moved to `indent`; empty lines stay empty. */
function indented(text: string, indent: string): string {
  return indent === '' || !text.includes('\n') ? text : text.replace(/\n(?=[^\n])/g, `\n${indent}`);
}

/** The keys printed, in the reference order: undefined values dropped, then sorted. */
function keysOf(o: Record<string, unknown>): string[] {
  const keys: string[] = [];
  for (const k of Object.keys(o)) {
    if (o[k] === undefined) continue;
    const c = k.charCodeAt(0);
    if (c >= 48 && c <= 57 && INTEGER_LIKE.test(k)) throw new Unsupported();
    keys.push(k);
  }
  return sortKeys(keys);
}

/**
 * `keys` sorted in place. A map's keys are few and mostly in order already; insertion
 * sort allocates nothing, where Array.prototype.sort copies every array it sorts (a tenth
 * of all the memory a synth allocated, in a heap profile).
 */
function sortKeys(keys: string[]): string[] {
  if (keys.length > 32) return keys.sort(compareKeys);
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i]!;
    let j = i - 1;
    while (j >= 0 && compareKeys(keys[j]!, k) > 0) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = k;
  }
  return keys;
}

/** A map's lines; its first line starts with `first` (a list item's `- `), the others with `indent`. */
function mapLines(o: Record<string, unknown>, keys: string[], indent: string, first: string, out: string[]): void {
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    out.push(i === 0 ? first : indent, keyText(k));
    const v = o[k];
    const printed =
      v instanceof PrintOnce
        ? (v.text() ?? null)
        : v !== null && typeof v === 'object' && !Array.isArray(v)
          ? printedText(v)
          : undefined;
    if (printed === null) throw new Unsupported();
    if (printed !== undefined) {
      out.push(':\n', indent, '  ', indented(printed, `${indent}  `));
    } else if (v !== null && typeof v === 'object') {
      const inner = `${indent}  `;
      if (Array.isArray(v)) {
        if (v.length === 0) out.push(': []\n');
        else {
          out.push(':\n');
          listLines(v, inner, inner, out);
        }
      } else {
        const ks = keysOf(v as Record<string, unknown>);
        if (ks.length === 0) out.push(': {}\n');
        else {
          out.push(':\n');
          mapLines(v as Record<string, unknown>, ks, inner, inner, out);
        }
      }
    } else {
      out.push(': ', indented(scalarText('value', v), indent), '\n');
    }
  }
}

/** A list's lines; its first item starts after `first`, the others after `indent`. */
function listLines(a: readonly unknown[], indent: string, first: string, out: string[]): void {
  for (let i = 0; i < a.length; i++) {
    // A list item's first line starts after `- `, unlike a document's: printed here.
    const v = a[i] instanceof PrintOnce ? (a[i] as PrintOnce).value : a[i];
    if (v === undefined) throw new Unsupported();
    const lead = `${i === 0 ? first : indent}- `;
    if (v !== null && typeof v === 'object') {
      const inner = `${indent}  `;
      if (Array.isArray(v)) {
        if (v.length === 0) out.push(lead, '[]\n');
        else listLines(v, inner, lead, out);
      } else {
        const ks = keysOf(v as Record<string, unknown>);
        if (ks.length === 0) out.push(lead, '{}\n');
        else mapLines(v as Record<string, unknown>, ks, inner, lead, out);
      }
    } else {
      out.push(lead, indented(scalarText('item', v), indent), '\n');
    }
  }
}

/** The document as YAML, or undefined when the package must print it. */
export function blockYaml(document: unknown): string | undefined {
  if (document instanceof PrintOnce) return document.text();
  const out: string[] = [];
  return appendBlockYaml(document, out) ? out.join('') : undefined;
}

/**
 * The document's pieces appended to `out`, so that the documents of one file are joined
 * once (a join per document copied every file's text once more); false, with `out` as it
 * was, when the package must print it.
 */
export function appendBlockYaml(document: unknown, out: string[]): boolean {
  if (document instanceof PrintOnce) {
    const text = document.text();
    if (text !== undefined) out.push(text);
    return text !== undefined;
  }
  if (document === null || typeof document !== 'object') return false;
  const start = out.length;
  try {
    if (Array.isArray(document)) {
      if (document.length === 0) return false;
      listLines(document, '', '', out);
    } else {
      const keys = keysOf(document as Record<string, unknown>);
      if (keys.length === 0) return false;
      mapLines(document as Record<string, unknown>, keys, '', '', out);
      recent.unshift({ map: document, pieces: out, start, end: out.length });
      if (recent.length > RECENT) recent.pop();
    }
    return true;
  } catch (e) {
    if (!(e instanceof Unsupported)) throw e;
    out.length = start;
    return false;
  }
}
