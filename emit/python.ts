/**
 * The one Python printer, shared by every target that writes Python (Airflow DAGs now,
 * Feast definitions next). Code is built as a small expression tree and printed here;
 * user data enters only through {@link lit}, whose printer escapes it, and names only
 * through {@link name}, which refuses anything that is not a plain identifier. No
 * caller ever splices text into code.
 *
 * String literals are printed in ASCII: every character outside printable ASCII becomes
 * a `\x`, `\u` or `\U` escape, so the file means the same under any encoding, editor or
 * diff tool, and no line separator can end a literal. A JavaScript string is UTF-16: a
 * surrogate pair is one code point and prints as one `\U` escape. A lone surrogate is
 * not a Unicode character at all: Python could hold it, but could never encode it to
 * UTF-8 for a log line, an API call or a pod spec, so it is refused
 * ({@link UnrepresentableValue}) instead of written into a file that fails later.
 */

/** A value that has no faithful Python literal (a lone surrogate, NaN, infinity). */
export class UnrepresentableValue extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnrepresentableValue';
  }
}

/** A JSON-like value the literal printer accepts. */
export type PyValue = string | number | boolean | null | readonly PyValue[] | { readonly [key: string]: PyValue };

/** A Python expression. */
export type PyExpr =
  | { readonly kind: 'lit'; readonly value: PyValue }
  | { readonly kind: 'name'; readonly id: string }
  | { readonly kind: 'attr'; readonly of: PyExpr; readonly attr: string }
  | {
      readonly kind: 'call';
      readonly fn: PyExpr;
      readonly args: readonly PyExpr[];
      readonly kwargs: readonly (readonly [string, PyExpr])[];
    }
  | { readonly kind: 'list'; readonly items: readonly PyExpr[] }
  | { readonly kind: 'dict'; readonly entries: readonly (readonly [PyExpr, PyExpr])[] }
  | { readonly kind: 'shift'; readonly left: PyExpr; readonly right: PyExpr }
  | { readonly kind: 'index'; readonly of: PyExpr; readonly index: PyExpr };

/** A Python statement. */
export type PyStmt =
  | { readonly kind: 'import'; readonly module: string; readonly as?: string }
  | { readonly kind: 'from'; readonly module: string; readonly names: readonly string[] }
  | { readonly kind: 'assign'; readonly target: string; readonly value: PyExpr }
  | { readonly kind: 'expr'; readonly value: PyExpr }
  | { readonly kind: 'with'; readonly context: PyExpr; readonly as: string; readonly body: readonly PyStmt[] }
  | { readonly kind: 'raw'; readonly code: string }
  | { readonly kind: 'comment'; readonly text: string }
  | { readonly kind: 'blank' };

// Python 3.11's keyword.kwlist plus the soft keywords, which are legal but confusing as names.
const KEYWORDS = new Set([
  'False',
  'None',
  'True',
  'and',
  'as',
  'assert',
  'async',
  'await',
  'break',
  'class',
  'continue',
  'def',
  'del',
  'elif',
  'else',
  'except',
  'finally',
  'for',
  'from',
  'global',
  'if',
  'import',
  'in',
  'is',
  'lambda',
  'nonlocal',
  'not',
  'or',
  'pass',
  'raise',
  'return',
  'try',
  'while',
  'with',
  'yield',
  'match',
  'case',
  '_',
]);
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DOTTED = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** True for an ASCII Python identifier that is not a keyword. */
export function isIdentifier(s: string): boolean {
  return IDENTIFIER.test(s) && !KEYWORDS.has(s);
}

/**
 * Any text as a readable ASCII identifier: other characters become `_`, a leading digit
 * gets a `_` prefix, a keyword gets a `_` suffix. Not injective: use {@link Identifiers}
 * to keep names apart.
 */
export function sanitizeIdentifier(text: string): string {
  let id = text.replace(/[^A-Za-z0-9_]/g, '_');
  if (id === '') id = '_';
  if (/^[0-9]/.test(id)) id = `_${id}`;
  if (KEYWORDS.has(id)) id = `${id}_`;
  return id;
}

/** Hands out distinct identifiers for names in one Python scope, deterministically. */
export class Identifiers {
  private readonly taken: Set<string>;
  private readonly given = new Map<string, string>();

  /** `reserved`: names the module already binds (imports, helpers). */
  constructor(reserved: readonly string[] = []) {
    this.taken = new Set(reserved);
  }

  /** The identifier for `key`; the same key always gets the same identifier. */
  public for(key: string): string {
    const known = this.given.get(key);
    if (known) return known;
    const base = sanitizeIdentifier(key);
    let id = base;
    for (let n = 2; this.taken.has(id); n++) id = `${base}_${n}`;
    this.taken.add(id);
    this.given.set(key, id);
    return id;
  }
}

// ---- building expressions -------------------------------------------------------------

/** A literal value; the only way user data enters code. */
export const lit = (value: PyValue): PyExpr => ({ kind: 'lit', value });

/** A (dotted) name; throws on anything else, because names come from dfp, not users. */
export function name(id: string): PyExpr {
  if (!DOTTED.test(id) || id.split('.').some((part) => KEYWORDS.has(part)))
    throw new Error(`not a Python name: ${JSON.stringify(id)}`);
  return { kind: 'name', id };
}

export function attr(of: PyExpr, a: string): PyExpr {
  if (!isIdentifier(a)) throw new Error(`not a Python attribute: ${JSON.stringify(a)}`);
  return { kind: 'attr', of, attr: a };
}

/** A call; keyword arguments whose value is undefined are left out. */
export function call(
  fn: PyExpr | string,
  args: readonly PyExpr[] = [],
  kwargs: Readonly<Record<string, PyExpr | undefined>> = {},
): PyExpr {
  const entries = Object.entries(kwargs).filter((e): e is [string, PyExpr] => e[1] !== undefined);
  for (const [k] of entries)
    if (!isIdentifier(k)) throw new Error(`not a Python keyword argument: ${JSON.stringify(k)}`);
  return { kind: 'call', fn: typeof fn === 'string' ? name(fn) : fn, args, kwargs: entries };
}

export const list = (items: readonly PyExpr[]): PyExpr => ({ kind: 'list', items });
export const dict = (entries: readonly (readonly [PyExpr, PyExpr])[]): PyExpr => ({ kind: 'dict', entries });
export const shift = (left: PyExpr, right: PyExpr): PyExpr => ({ kind: 'shift', left, right });
/** `of[index]`. */
export const index = (of: PyExpr, i: PyExpr): PyExpr => ({ kind: 'index', of, index: i });

// ---- printing literals ----------------------------------------------------------------

/** Printable ASCII but the double quote and the backslash: what escapeCodePoint writes as it is. */
const VERBATIM = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** A Python string literal, double-quoted, ASCII only, equal to `s` when evaluated. */
export function pyString(s: string): string {
  // Most strings (names, images, paths) need no escape: written as they are, not code point by code point.
  if (VERBATIM.test(s)) return `"${s}"`;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const unit = s.charCodeAt(i);
    let cp = unit;
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) throw loneSurrogate(s, i);
      cp = (unit - 0xd800) * 0x400 + (next - 0xdc00) + 0x10000;
      i++;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      throw loneSurrogate(s, i);
    }
    out += escapeCodePoint(cp);
  }
  return `${out}"`;
}

function escapeCodePoint(cp: number): string {
  switch (cp) {
    case 0x5c:
      return '\\\\';
    case 0x22:
      return '\\"';
    case 0x0a:
      return '\\n';
    case 0x0d:
      return '\\r';
    case 0x09:
      return '\\t';
  }
  if (cp >= 0x20 && cp < 0x7f) return String.fromCharCode(cp);
  if (cp <= 0xff) return `\\x${hex(cp, 2)}`;
  if (cp <= 0xffff) return `\\u${hex(cp, 4)}`;
  return `\\U${hex(cp, 8)}`;
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

function loneSurrogate(s: string, i: number): UnrepresentableValue {
  const shown = JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);
  return new UnrepresentableValue(
    `the text ${shown} holds a lone UTF-16 surrogate (\\u${hex(s.charCodeAt(i), 4)}) at position ${i}, which ` +
      'is not a Unicode character; remove it or pair it',
  );
}

/** A Python number literal: integers exactly (any size), other numbers as floats. */
export function pyNumber(n: number): string {
  if (!Number.isFinite(n)) throw new UnrepresentableValue(`${n} is not a JSON number; use a finite number`);
  if (Number.isInteger(n)) return BigInt(n).toString();
  // JavaScript prints the shortest text that round-trips, as Python's repr does; it always
  // holds a '.' or an exponent for a non-integer, so Python reads a float.
  return String(n);
}

/** Any JSON-like value as a Python literal (dict keys keep their order). */
export function pyLiteral(v: PyValue): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return pyNumber(v);
  if (typeof v === 'string') return pyString(v);
  if (Array.isArray(v)) return `[${v.map(pyLiteral).join(', ')}]`;
  return `{${Object.entries(v)
    .map(([k, x]) => `${pyString(k)}: ${pyLiteral(x)}`)
    .join(', ')}}`;
}

// ---- printing code --------------------------------------------------------------------

const INDENT = '    ';
const WIDTH = 100;

/** An expression as text at `depth` indents, broken over lines when it is long. */
export function printExpr(e: PyExpr, depth = 0): string {
  const flat = printFlat(e);
  if (flat.length + depth * INDENT.length <= WIDTH && !flat.includes('\n')) return flat;
  const pad = INDENT.repeat(depth + 1);
  const close = INDENT.repeat(depth);
  switch (e.kind) {
    case 'call': {
      const items = [
        ...e.args.map((a) => printExpr(a, depth + 1)),
        ...e.kwargs.map(([k, v]) => `${k}=${printExpr(v, depth + 1)}`),
      ];
      return `${printExpr(e.fn, depth)}(\n${items.map((i) => `${pad}${i},\n`).join('')}${close})`;
    }
    case 'list':
      return `[\n${e.items.map((i) => `${pad}${printExpr(i, depth + 1)},\n`).join('')}${close}]`;
    case 'dict':
      return (
        '{\n' +
        `${e.entries.map(([k, v]) => `${pad}${printExpr(k, depth + 1)}: ${printExpr(v, depth + 1)},\n`).join('')}` +
        `${close}}`
      );
    case 'lit':
      return printLiteralBroken(e.value, depth);
    case 'shift':
      return `${printExpr(e.left, depth)} >> ${printExpr(e.right, depth)}`;
    case 'attr':
      return `${printExpr(e.of, depth)}.${e.attr}`;
    case 'index':
      return `${printExpr(e.of, depth)}[${printExpr(e.index, depth)}]`;
    case 'name':
      return e.id;
  }
}

/**
 * Long list and dict literals break like code does. A long string with line ends is
 * printed one line per literal inside parentheses: Python joins adjacent literals into
 * one constant when it parses, so the value is unchanged and the file is readable.
 */
function printLiteralBroken(v: PyValue, depth: number): string {
  if (typeof v === 'string' && v.includes('\n')) {
    const lines = v.split(/(?<=\n)/);
    const pad = INDENT.repeat(depth + 1);
    return `(\n${lines.map((line) => `${pad}${pyString(line)}\n`).join('')}${INDENT.repeat(depth)})`;
  }
  if (Array.isArray(v)) return printExpr(list(v.map(lit)), depth);
  if (v !== null && typeof v === 'object')
    return printExpr(dict(Object.entries(v).map(([k, x]) => [lit(k), lit(x as PyValue)])), depth);
  return pyLiteral(v as PyValue);
}

function printFlat(e: PyExpr): string {
  switch (e.kind) {
    case 'lit':
      return pyLiteral(e.value);
    case 'name':
      return e.id;
    case 'attr':
      return `${printFlat(e.of)}.${e.attr}`;
    case 'call':
      return (
        `${printFlat(e.fn)}(` +
        `${[...e.args.map(printFlat), ...e.kwargs.map(([k, v]) => `${k}=${printFlat(v)}`)].join(', ')})`
      );
    case 'list':
      return `[${e.items.map(printFlat).join(', ')}]`;
    case 'dict':
      return `{${e.entries.map(([k, v]) => `${printFlat(k)}: ${printFlat(v)}`).join(', ')}}`;
    case 'shift':
      return `${printFlat(e.left)} >> ${printFlat(e.right)}`;
    case 'index':
      return `${printFlat(e.of)}[${printFlat(e.index)}]`;
  }
}

/** Statements as a module (or block) text, each line ending in LF. */
export function printModule(stmts: readonly PyStmt[], depth = 0): string {
  const pad = INDENT.repeat(depth);
  return stmts
    .map((s): string => {
      switch (s.kind) {
        case 'import':
          checkDotted(s.module);
          if (s.as !== undefined && !isIdentifier(s.as)) throw new Error(`not a Python name: ${s.as}`);
          return `${pad}import ${s.module}${s.as ? ` as ${s.as}` : ''}\n`;
        case 'from':
          checkDotted(s.module);
          for (const n of s.names) if (!isIdentifier(n)) throw new Error(`not a Python name: ${n}`);
          return `${pad}from ${s.module} import ${s.names.join(', ')}\n`;
        case 'assign':
          if (!isIdentifier(s.target)) throw new Error(`not a Python name: ${s.target}`);
          return `${pad}${s.target} = ${printExpr(s.value, depth)}\n`;
        case 'expr':
          return `${pad}${printExpr(s.value, depth)}\n`;
        case 'with':
          if (!isIdentifier(s.as)) throw new Error(`not a Python name: ${s.as}`);
          return `${pad}with ${printExpr(s.context, depth)} as ${s.as}:\n${printModule(s.body, depth + 1)}`;
        case 'raw':
          // Fixed code written in dfp's own source (helper functions), never user data.
          return s.code
            .split('\n')
            .map((line) => (line === '' ? '\n' : `${pad}${line}\n`))
            .join('');
        case 'comment':
          return `${pad}# ${commentText(s.text)}\n`;
        case 'blank':
          return '\n';
      }
    })
    .join('');
}

function checkDotted(module: string): void {
  if (!DOTTED.test(module)) throw new Error(`not a Python module: ${module}`);
}

/** Comment text on one line, in printable ASCII; anything else is dropped, never escaped into code. */
function commentText(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}
