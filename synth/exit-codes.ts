/**
 * The exit codes of every dfp verb, in one table: `dfp --help` prints it and
 * docs/cli.md holds the same table (tests/cli-args.test.ts compares them). A code means
 * the same thing whichever verb returns it.
 */
export const EXIT_OK = 0;
/** The definitions or the lock file are invalid, or (trace) a recorded pin does not hold. */
export const EXIT_INVALID = 1;
/** An unknown verb, flag or argument; a missing or malformed value. */
export const EXIT_USAGE = 2;
/** dist/ is not what the definitions render (synth --check, diff). */
export const EXIT_STALE = 3;
/** lakeFS or MLflow could not be asked: unreachable, timed out, refused, or not that server. */
export const EXIT_SERVICE = 4;
/** A dfp bug. */
export const EXIT_INTERNAL = 70;

export const EXIT_CODES: readonly (readonly [number, string])[] = [
  [EXIT_OK, 'success: rendered; dist/ is current (synth --check, diff); every pin holds (trace)'],
  [
    EXIT_INVALID,
    'the definitions or the lock file are invalid (every verb), or a recorded pin does not hold (trace); ' +
      'nothing was written',
  ],
  [EXIT_USAGE, 'usage: an unknown verb, flag or argument, a missing or malformed value, a secret given as a flag'],
  [EXIT_STALE, 'dist/ is not what the definitions render (synth --check, diff)'],
  [
    EXIT_SERVICE,
    'lakeFS or MLflow could not be asked: unreachable, timed out, refused the credentials, or not that server ' +
      '(lock, trace)',
  ],
  [EXIT_INTERNAL, 'internal error: a dfp bug (DFP_DEBUG=1 prints the stack)'],
];

/** The table as `--help` prints it. */
export function exitCodeText(): string {
  return (
    'Exit status (the same for every verb):\n' +
    `${EXIT_CODES.map(([code, what]) => `  ${String(code).padStart(2)}  ${what}`).join('\n')}\n`
  );
}

/** The table as docs/cli.md holds it (Markdown). */
export function exitCodeMarkdown(): string {
  return `| exit | meaning |\n| --- | --- |\n${EXIT_CODES.map(([code, what]) => `| ${code} | ${what} |`).join('\n')}\n`;
}
