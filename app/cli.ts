/**
 * Runs a synth for the command line: prints a summary, or the problems with their
 * construct paths, and turns the outcome into an exit code. Users never see a stack
 * trace unless they ask for one with DFP_DEBUG=1.
 */
import { DfpError } from '../constructs/model/errors.ts';
import { lastApp, type DfpApp } from './dfp-app.ts';
import { LockFileError } from '../constructs/model/lock-file.ts';
import { UsageError, helpText, parseVerb, usageLine, type VerbSpec } from '../synth/args.ts';
import { EXIT_INTERNAL, EXIT_INVALID, EXIT_OK, EXIT_STALE, EXIT_USAGE, exitCodeText } from '../synth/exit-codes.ts';
import { describeBuildError } from '../synth/build-error.ts';
import { describeDiff } from '../synth/synth.ts';

export { EXIT_INTERNAL, EXIT_INVALID, EXIT_OK, EXIT_STALE } from '../synth/exit-codes.ts';

/** `node scripts/run.mjs main.ts [--check]`, which `make synth` runs. */
const SYNTH: VerbSpec = {
  name: 'synth',
  summary: 'Renders every environment into dist/, atomically (make synth; make synth CHECK=1 adds --check).',
  options: {
    check: {
      type: 'boolean',
      help: 'write nothing; exit 3 listing the files when dist/ is not what the definitions render',
    },
  },
};

/**
 * Builds the app `makeApp` returns and synthesizes it. `argv` is parsed strictly: an
 * unknown flag (`--chek`) is a usage error (exit 2), never a silent full synth. A
 * {@link UsageError} thrown by `makeApp` is passed on to the caller's usage printing.
 */
export function runCli(makeApp: (options: { check: boolean }) => DfpApp, argv = process.argv.slice(2)): number {
  let check: boolean;
  try {
    const parsed = parseVerb(SYNTH, argv);
    if (parsed.help) {
      process.stdout.write(helpText(SYNTH, exitCodeText()));
      return EXIT_OK;
    }
    check = parsed.values.check === true || ['1', 'true'].includes(process.env.DFP_CHECK ?? '');
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`dfp: ${e.message}\nusage: ${usageLine(SYNTH)}\n`);
    return EXIT_USAGE;
  }
  let app: DfpApp;
  const limit = Error.stackTraceLimit;
  try {
    // Deep enough to reach the user's frame below constructs' and dfp's own.
    Error.stackTraceLimit = 100;
    app = makeApp({ check });
  } catch (e) {
    if (e instanceof UsageError) throw e;
    if (e instanceof LockFileError) {
      process.stderr.write(`dfp: ${e.message}\ndist/ was left unchanged.\n`);
      return EXIT_INVALID;
    }
    // Thrown by the user's own definition code (or by constructs, e.g. a duplicate id).
    process.stderr.write(`${describeBuildError(e, lastApp())}\ndist/ was left unchanged.\n`);
    if (process.env.DFP_DEBUG) process.stderr.write(`${(e as Error)?.stack ?? ''}\n`);
    return EXIT_INVALID;
  } finally {
    Error.stackTraceLimit = limit;
  }
  try {
    app.synth();
    const result = app.result;
    if (!result) throw new Error('synth produced no result');
    const summary = describeDiff(result.diff);
    if (result.notes.length > 0) process.stdout.write(`${result.notes.join('\n')}\n`);
    // When writing dist/ (a check only says whether dist/ is current).
    if (!check && result.unpinnedImages.length > 0) process.stderr.write(unpinnedWarning(result.unpinnedImages));
    if (check) {
      const stale = summary !== 'dist/ is up to date';
      (stale ? process.stderr : process.stdout).write(
        stale
          ? `dfp: dist/ is out of date with the definitions; run 'make synth' and commit dist/.\n${summary}\n`
          : `dfp: ${summary}\n`,
      );
      return stale ? EXIT_STALE : EXIT_OK;
    }
    process.stdout.write(
      `dfp: rendered ${result.files.length} files; ` +
        `${summary === 'dist/ is up to date' ? 'dist/ unchanged' : summary}\n`,
    );
    return EXIT_OK;
  } catch (e) {
    if (e instanceof DfpError) {
      process.stderr.write(`${e.message}\ndist/ was left unchanged.\n`);
      return EXIT_INVALID;
    }
    const err = e instanceof Error ? e : new Error(String(e));
    process.stderr.write(
      `dfp: internal error: ${err.message}\ndist/ was left unchanged. This is a dfp bug; rerun with ` +
        'DFP_DEBUG=1 for details.\n',
    );
    if (process.env.DFP_DEBUG) process.stderr.write(`${err.stack ?? ''}\n`);
    return EXIT_INTERNAL;
  }
}

/** What synth says about images it rendered by tag: a warning, not an error (docs/images.md). */
export function unpinnedWarning(images: readonly string[]): string {
  return (
    `dfp: warning: ${images.length} image${images.length === 1 ? '' : 's'} rendered by tag, with no digest in ` +
    `the lock (run 'make images', which records the digests in dfp.lock.json, and commit it): ` +
    `${images.join(', ')}\n`
  );
}
