/**
 * The command line's arguments, parsed strictly by Node's `util.parseArgs`: an unknown
 * flag, an unexpected argument, a missing value or a flag given twice is a usage error
 * that names it and, for a near miss, what was probably meant. A secret is never taken
 * as a flag (it would show in the process list and the shell history).
 */
import { parseArgs } from 'node:util';

/** A mistake in how dfp was called; the CLI prints it with the verb's usage and exits 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    public readonly verb?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  /** What the value is, in the usage line (`NAME`, `URL`). Only for string options. */
  readonly value?: string;
  readonly help: string;
}

export interface VerbSpec {
  readonly name: string;
  /** One line: what the verb does. */
  readonly summary: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** The arguments the verb takes, in order, all required (`RUN_ID`). @default none */
  readonly positionals?: readonly string[];
  /**
   * Where a secret comes from instead of a flag (`set LAKEFS_SECRET_ACCESS_KEY, …`). @default 'set it in the
   * environment'
   */
  readonly secretsFrom?: string;
  /** More text for `--help`, after the options. */
  readonly more?: string;
}

export interface Parsed {
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
  readonly help: boolean;
}

const HELP: OptionSpec = { type: 'boolean', help: 'print this help' };
/** Flag names that carry a secret; only their `-file` forms are flags. */
const SECRET = /secret|password|token|api-key/i;

/** Edit distance with transpositions (optimal string alignment), for near-miss suggestions. */
export function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The choice `given` was most likely meant to be: a close spelling or a prefix, else undefined. */
export function nearest(given: string, choices: readonly string[]): string | undefined {
  const bare = (s: string) => s.replace(/^-+/, '').toLowerCase();
  const g = bare(given);
  const scored = choices
    .map((c) => ({ c, d: bare(c).startsWith(g) && g.length >= 2 ? 0.5 : distance(g, bare(c)) }))
    .filter(({ c, d }) => d <= (bare(c).length <= 3 ? 1 : 2))
    .sort((x, y) => x.d - y.d || x.c.localeCompare(y.c));
  return scored[0]?.c;
}

/** `; did you mean 'x'?`, or the list of choices. */
export function suggest(given: string, choices: readonly string[], what: string): string {
  const near = nearest(given, choices);
  if (near !== undefined) return `; did you mean '${near}'?`;
  return choices.length === 0 ? `; it takes no ${what}` : `; the ${what} are ${choices.join(', ')}`;
}

/** `no pipeline is named 'x' (did you mean 'y'?); use one of a, b`: the same for every verb. */
export function unknownName(what: string, given: string, choices: readonly string[], verb: string): UsageError {
  const near = nearest(given, choices);
  return new UsageError(
    `no ${what} is named '${given}'${near !== undefined ? ` (did you mean '${near}'?)` : ''}; use one of ` +
      `${choices.join(', ')}`,
    verb,
  );
}

const flagsOf = (spec: VerbSpec) =>
  Object.keys(spec.options)
    .map((o) => `--${o}`)
    .concat('--help');

/** The one-line usage of a verb: `dfp synth [--check] [--pipeline NAME]`. */
export function usageLine(spec: VerbSpec): string {
  const opts = Object.entries(spec.options).map(
    ([name, o]) => `[--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}]`,
  );
  return ['dfp', spec.name, ...(spec.positionals ?? []), ...opts].join(' ');
}

/** `dfp <verb> --help`. */
export function helpText(spec: VerbSpec, exitCodes: string): string {
  const width =
    Math.max(...Object.entries(spec.options).map(([n, o]) => n.length + (o.value ? o.value.length + 1 : 0)), 4) + 4;
  const lines = Object.entries(spec.options).map(
    ([name, o]) => `  ${`--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`.padEnd(width)}${o.help}`,
  );
  return (
    `usage: ${usageLine(spec)}\n\n${spec.summary}\n\n${lines.join('\n')}${lines.length ? '\n' : ''}  ` +
    `${'--help'.padEnd(width)}${HELP.help}\n${spec.more ? `\n${spec.more}` : ''}\n${exitCodes}`
  );
}

/**
 * Parses `argv` for `spec`, strictly. Throws {@link UsageError} naming the first mistake;
 * `--help` anywhere returns `help: true` whatever else is wrong.
 */
export function parseVerb(spec: VerbSpec, argv: readonly string[]): Parsed {
  if (argv.includes('--help') || argv.includes('-h')) return { values: {}, positionals: [], help: true };
  const known = new Set(Object.keys(spec.options));
  for (const arg of argv) {
    if (arg === '--') break;
    const name = /^--([^=]+)/.exec(arg)?.[1];
    if (name !== undefined && !known.has(name) && SECRET.test(name) && !name.endsWith('-file')) {
      throw new UsageError(
        `${spec.name} takes no secret as a flag ('--${name}' would show in the process list and the shell ` +
          `history); ${spec.secretsFrom ?? 'set it in the environment'}`,
        spec.name,
      );
    }
  }
  const options = Object.fromEntries(Object.entries(spec.options).map(([n, o]) => [n, { type: o.type }]));
  const expected = spec.positionals ?? [];
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: expected.length > 0, tokens: true });
  } catch (e) {
    throw new UsageError(describe(spec, argv, e), spec.name);
  }
  const seen = new Set<string>();
  for (const t of parsed.tokens) {
    if (t.kind !== 'option') continue;
    if (seen.has(t.name)) throw new UsageError(`--${t.name} is given twice; give it once`, spec.name);
    seen.add(t.name);
  }
  if (parsed.positionals.length > expected.length) {
    const extra = parsed.positionals[expected.length]!;
    throw new UsageError(
      `${spec.name} takes ${expected.length === 0 ? 'no arguments' : `only ${expected.join(' ')}`}, not also '` +
        `${extra}'`,
      spec.name,
    );
  }
  if (parsed.positionals.length < expected.length)
    throw new UsageError(`${spec.name} needs ${expected.slice(parsed.positionals.length).join(' ')}`, spec.name);
  return {
    values: parsed.values as Record<string, string | boolean | undefined>,
    positionals: parsed.positionals,
    help: false,
  };
}

/** Turns parseArgs's complaint into one that says what to change. */
function describe(spec: VerbSpec, argv: readonly string[], e: unknown): string {
  const code = (e as { code?: string }).code;
  const { tokens } = parseArgs({
    args: [...argv],
    options: Object.fromEntries(Object.entries(spec.options).map(([n, o]) => [n, { type: o.type }])),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  for (const t of tokens) {
    if (t.kind === 'positional' && (spec.positionals ?? []).length === 0)
      return `${spec.name} takes no arguments, not '${t.value}'`;
    if (t.kind !== 'option') continue;
    const o = spec.options[t.name];
    if (o === undefined)
      return `${spec.name} has no option '${t.rawName}'${suggest(t.rawName, flagsOf(spec), 'options')}`;
    if (
      o.type === 'string' &&
      (t.value === undefined ||
        (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && t.inlineValue === false && t.value.startsWith('-')))
    ) {
      return `--${t.name} needs a value (--${t.name} ${o.value ?? 'VALUE'})`;
    }
    if (o.type === 'boolean' && t.value !== undefined) return `--${t.name} takes no value; write --${t.name} alone`;
  }
  return (e as Error).message;
}

/** The verb meant by `given`, or a usage error with a suggestion. */
export function checkVerb(given: string | undefined, verbs: readonly string[]): string {
  if (given === undefined) throw new UsageError(`which verb? one of ${verbs.join(', ')}`);
  if (verbs.includes(given)) return given;
  throw new UsageError(`'${given}' is not a dfp verb${suggest(given, verbs, 'verbs')}`);
}

/**
 * An http(s) URL given by `source` (a flag or an environment variable), or a usage error
 * saying how to write it: `lakefs:8000` has no scheme, and fetch would answer only
 * "invalid URL".
 */
export function checkEndpoint(source: string, value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url !== undefined && (url.protocol === 'http:' || url.protocol === 'https:') && url.host !== '') return value;
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(value)) {
    return fail(`${source} '${value}' has no scheme; write it as 'http://${value.replace(/^\/+/, '')}' (or https://)`);
  }
  return fail(`${source} '${value}' is not an http:// or https:// URL`);
}

function fail(message: string): never {
  throw new UsageError(message);
}
