/** 'an int', 'a string', 'an Environment': kind names read as English in messages. */
export const article = (kind: string): string => `${/^[aeiou]/i.test(kind) ? 'an' : 'a'} ${kind}`;

/** What a value of the wrong type is, for a message: `a Duration`, `a number`, `null`. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') return article((value as object).constructor?.name ?? 'object');
  return article(typeof value);
}

/**
 * `environment 'dev'` or `environments 'dev', 'prod'`, and whether a verb after it is
 * plural: a problem that holds for several environments is said once, naming them all.
 */
export function environmentsNamed(names: readonly string[]): { readonly who: string; readonly plural: boolean } {
  const plural = names.length !== 1;
  return { who: `${plural ? 'environments' : 'environment'} ${names.map((n) => `'${n}'`).join(', ')}`, plural };
}

/** One thing wrong with the definitions: where (the construct path) and what to change. */
export interface Problem {
  readonly path: string;
  readonly message: string;
}

/**
 * The only error dfp shows users: every problem found, each with its construct path.
 * The CLI prints `format()` and exits non-zero; no stack trace.
 */
export class DfpError extends Error {
  constructor(
    public readonly problems: readonly Problem[],
    public readonly headline = 'the definitions are invalid',
  ) {
    super(formatProblems(headline, problems));
    this.name = 'DfpError';
  }
}

function formatProblems(headline: string, problems: readonly Problem[]): string {
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  const lines = problems.map((p) => `  ${p.path}: ${p.message}`);
  return [`dfp: ${headline} (${count}):`, ...lines].join('\n');
}

/** Collects problems so that one pass reports all of them at once. */
export class Problems {
  private readonly list: Problem[] = [];

  /** Records a problem at `path`, once: the same problem found twice (per environment, per target) is listed once. */
  public add(path: string, message: string): void {
    if (!this.list.some((p) => p.path === path && p.message === message)) this.list.push({ path, message });
  }

  /** Whether a problem was recorded at `path`. */
  public has(path: string): boolean {
    return this.list.some((p) => p.path === path);
  }

  /** Whether anything was recorded. */
  public get empty(): boolean {
    return this.list.length === 0;
  }

  /** Throws a {@link DfpError} holding every problem, if there are any. */
  public throwIfAny(headline?: string): void {
    if (!this.empty) throw new DfpError([...this.list], headline);
  }
}
