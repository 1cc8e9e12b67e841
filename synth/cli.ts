/**
 * Runs a synth for the command line: prints a summary, or the problems with their
 * construct paths, and turns the outcome into an exit code. Users never see a stack
 * trace unless they ask for one with DFP_DEBUG=1.
 */
import { DfpError } from '../constructs/model/errors.ts';
import type { DfpApp } from '../constructs/app.ts';
import { LockFileError } from '../lakefs/lock-file.ts';
import { describeDiff } from './synth.ts';

export const EXIT_OK = 0;
export const EXIT_INVALID = 1;
export const EXIT_STALE = 3;
export const EXIT_INTERNAL = 70;

export function runCli(makeApp: (options: { check: boolean }) => DfpApp, argv = process.argv.slice(2)): number {
  const check = argv.includes('--check') || ['1', 'true'].includes(process.env.DFP_CHECK ?? '');
  let app: DfpApp;
  try {
    app = makeApp({ check });
  } catch (e) {
    if (e instanceof LockFileError) {
      process.stderr.write(`dfp: ${e.message}\ndist/ was left unchanged.\n`);
      return EXIT_INVALID;
    }
    // Thrown by the user's own definition code (or by constructs, e.g. a duplicate id).
    const err = e instanceof Error ? e : new Error(String(e));
    const where = userFrame(err);
    process.stderr.write(`dfp: the definitions could not be built: ${err.message}${where ? `\n  at ${where}` : ''}\ndist/ was left unchanged.\n`);
    if (process.env.DFP_DEBUG) process.stderr.write(`${err.stack ?? ''}\n`);
    return EXIT_INVALID;
  }
  try {
    app.synth();
    const result = app.result;
    if (!result) throw new Error('synth produced no result');
    const summary = describeDiff(result.diff);
    // When writing dist/ (a check only says whether dist/ is current).
    if (!check && result.unpinnedImages.length > 0) process.stderr.write(unpinnedWarning(result.unpinnedImages));
    if (check) {
      const stale = summary !== 'dist/ is up to date';
      (stale ? process.stderr : process.stdout).write(
        stale ? `dfp: dist/ is out of date with the definitions; run 'make synth' and commit dist/.\n${summary}\n` : `dfp: ${summary}\n`,
      );
      return stale ? EXIT_STALE : EXIT_OK;
    }
    process.stdout.write(`dfp: rendered ${result.files.length} files; ${summary === 'dist/ is up to date' ? 'dist/ unchanged' : summary}\n`);
    return EXIT_OK;
  } catch (e) {
    if (e instanceof DfpError) {
      process.stderr.write(`${e.message}\ndist/ was left unchanged.\n`);
      return EXIT_INVALID;
    }
    const err = e instanceof Error ? e : new Error(String(e));
    process.stderr.write(`dfp: internal error: ${err.message}\ndist/ was left unchanged. This is a dfp bug; rerun with DFP_DEBUG=1 for details.\n`);
    if (process.env.DFP_DEBUG) process.stderr.write(`${err.stack ?? ''}\n`);
    return EXIT_INTERNAL;
  }
}

/** What synth says about images it rendered by tag: a warning, not an error (docs/images.md). */
export function unpinnedWarning(images: readonly string[]): string {
  return `dfp: warning: ${images.length} image${images.length === 1 ? '' : 's'} rendered by tag, with no digest in the lock (run 'make images', which records the digests in dfp.lock.json, and commit it): ${images.join(', ')}\n`;
}

/** The first stack frame in the user's definition files, as `file:line`. */
function userFrame(err: Error): string | undefined {
  const cwd = process.cwd();
  for (const line of (err.stack ?? '').split('\n').slice(1)) {
    const m = /\(?(?:file:\/\/)?([^()\s]+):(\d+):\d+\)?$/.exec(line.trim());
    if (!m || !m[1] || m[1].includes('node_modules') || m[1].startsWith('node:')) continue;
    if (/\/(constructs|synth)\/[^/]+\.ts$/.test(m[1]) || m[1].includes('/constructs/model/')) continue;
    return `${m[1].startsWith(cwd) ? m[1].slice(cwd.length + 1) : m[1]}:${m[2]}`;
  }
  return undefined;
}
