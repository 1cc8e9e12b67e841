/**
 * The dfp command line:
 *
 *   dfp synth [--check] [--pipeline NAME]   render dist/ (or check it; or one pipeline only)
 *   dfp diff [--env NAME]                   what would change in dist/, as unified diffs; exit 1 if anything
 *   dfp graph [--pipeline NAME]             print each pipeline's task graph (Mermaid)
 *   dfp lock [--update REPO@REF]            pin the lakeFS branches and tags the definitions read
 *                                           to commits in dfp.lock.json (the only command that
 *                                           changes a file from what a server says)
 *   dfp lock --images FILE...               record the image digests `make images` built
 *                                           (scripts/images/build.sh calls it) in dfp.lock.json
 *   dfp trace RUN_ID | models:/NAME/VERSION  from an MLflow run back to its exact data and weights
 *                                           (--json, --fetch DIR; `dfp trace --help`)
 *
 * Run it with `npm run dfp -- <command>` or `npx tsx dfp.ts <command>`.
 */
import { argv, exit, stderr, stdout } from 'node:process';
import { buildModel } from './constructs/model/build.ts';
import { DfpError } from './constructs/model/errors.ts';
import { buildApp } from './main.ts';
import { EXIT_INTERNAL, EXIT_INVALID, runCli } from './synth/cli.ts';
import { renderAll } from './synth/render.ts';
import { review } from './synth/review.ts';
import { TARGETS } from './targets/index.ts';
import { mermaid } from './targets/docs/mermaid.ts';
import { LakeFsError } from './lakefs/client.ts';
import { LockUsageError, describeImageLock, describeLock, lockImages, lockRefs } from './lakefs/lock-command.ts';
import { LOCK_FILE, LockFileError } from './lakefs/lock-file.ts';
import { traceCommand } from './trace/command.ts';
import { isEntryPoint } from './synth/entry.ts';

const USAGE = [
  'usage: dfp synth [--check] [--pipeline NAME] | dfp diff [--env NAME] | dfp graph [--pipeline NAME]',
  '       dfp lock [--update REPO@REF] [--endpoint URL] [--access-key-id ID] [--secret-access-key KEY] [--timeout SECONDS]',
  '            (or LAKEFS_ENDPOINT, LAKEFS_ACCESS_KEY_ID, LAKEFS_SECRET_ACCESS_KEY in the environment)',
  '       dfp lock --images <digest file>...   (written by make images: one "<image> sha256:<digest>" line each)',
  '       dfp trace <run-id> | models:/<name>/<version> [--json] [--fetch DIR]   (dfp trace --help)',
  '',
].join('\n');
const DIST = process.env.DFP_DIST ?? 'dist';
/** The lock file synth reads and `dfp lock` writes. */
const LOCK = process.env.DFP_LOCK ?? LOCK_FILE;

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith('--')) throw new UsageError(`${name} needs a value`);
  return value;
}

class UsageError extends Error {}

function guarded(run: () => number): number {
  try {
    return run();
  } catch (e) {
    if (e instanceof UsageError) {
      stderr.write(`dfp: ${e.message}\n${USAGE}`);
      return 2;
    }
    if (e instanceof DfpError) {
      stderr.write(`${e.message}\ndist/ was left unchanged.\n`);
      return EXIT_INVALID;
    }
    if (e instanceof LockFileError) {
      stderr.write(`dfp: ${e.message}\ndist/ was left unchanged.\n`);
      return EXIT_INVALID;
    }
    return internalError(e, '');
  }
}

/** A dfp bug: one line, the stack only with DFP_DEBUG=1. */
function internalError(e: unknown, untouched: string): number {
  const err = e instanceof Error ? e : new Error(String(e));
  stderr.write(`dfp: internal error: ${err.message}\n${untouched}This is a dfp bug; rerun with DFP_DEBUG=1 for details.\n`);
  if (process.env.DFP_DEBUG) stderr.write(`${err.stack ?? ''}\n`);
  return EXIT_INTERNAL;
}

export function main(args: string[]): number | Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case 'synth':
      return guarded(() => {
        const pipeline = option(rest, '--pipeline');
        return runCli(({ check }) => buildApp({ check, distDir: DIST, pipeline, lockFile: LOCK }), rest);
      });
    case 'diff':
      return guarded(() => {
        const env = option(rest, '--env');
        const model = buildModel(buildApp({ distDir: DIST, lockFile: LOCK }));
        if (env !== undefined && !model.environments.some((e) => e.name === env)) {
          throw new UsageError(`no environment is named '${env}'; use one of ${model.environments.map((e) => e.name).join(', ')}`);
        }
        const rendered = new Map(renderAll(model, TARGETS).map((f) => [f.path, f.content]));
        const result = review(DIST, rendered, env === undefined ? '' : `${env}/`);
        stdout.write(result.text);
        return result.differs ? 1 : 0;
      });
    case 'graph':
      return guarded(() => {
        const only = option(rest, '--pipeline');
        const model = buildModel(buildApp({ distDir: DIST, lockFile: LOCK }));
        const pipelines = model.pipelines.filter((p) => only === undefined || p.name === only);
        if (pipelines.length === 0) throw new UsageError(`no pipeline is named '${only}'`);
        for (const p of pipelines) stdout.write(`%% ${p.name}\n${mermaid(p)}\n\n`);
        return 0;
      });
    case 'lock':
      return lock(rest);
    case 'trace':
      return traceCommand(rest, { root: process.cwd(), dist: DIST }).catch((e: unknown) => internalError(e, ''));
    default:
      stderr.write(USAGE);
      return 2;
  }
}

/** `dfp lock`: every failure exits non-zero with one clear line and the lock untouched. */
async function lock(args: string[]): Promise<number> {
  if (args[0] === '--images') {
    const files = args.slice(1);
    if (files.length === 0) {
      stderr.write(`dfp: lock --images needs the digest files make images wrote ($DFP_CACHE/images/<name>.digest)\n${USAGE}`);
      return 2;
    }
    try {
      stdout.write(`${describeImageLock(lockImages(LOCK, files), LOCK)}\n`);
      return 0;
    } catch (e) {
      if (!(e instanceof LockFileError)) return internalError(e, `${LOCK} was left unchanged.\n`);
      stderr.write(`dfp lock --images: ${e.message}\n${LOCK} was left unchanged.\n`);
      return EXIT_LOCK_FAILED;
    }
  }
  let options;
  try {
    const endpoint = option(args, '--endpoint') ?? process.env.LAKEFS_ENDPOINT;
    const accessKeyId = option(args, '--access-key-id') ?? process.env.LAKEFS_ACCESS_KEY_ID;
    const secretAccessKey = option(args, '--secret-access-key') ?? process.env.LAKEFS_SECRET_ACCESS_KEY;
    const timeout = option(args, '--timeout');
    const update = option(args, '--update');
    if (!endpoint) throw new UsageError('lock needs the lakeFS endpoint: set LAKEFS_ENDPOINT or pass --endpoint');
    if (!accessKeyId || !secretAccessKey) throw new UsageError('lock needs lakeFS credentials: set LAKEFS_ACCESS_KEY_ID and LAKEFS_SECRET_ACCESS_KEY');
    if (timeout !== undefined && !(Number(timeout) > 0)) throw new UsageError(`--timeout '${timeout}' is not a positive number of seconds`);
    options = {
      lockFile: LOCK,
      lakefs: { endpoint, credentials: { accessKeyId, secretAccessKey }, ...(timeout !== undefined ? { timeoutMs: Number(timeout) * 1000 } : {}) },
      ...(update !== undefined ? { update } : {}),
    };
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    stderr.write(`dfp: ${e.message}\n${USAGE}`);
    return 2;
  }
  const untouched = `${LOCK} was left unchanged.\n`;
  try {
    // The lock command must not need the lock it is about to write.
    const result = await lockRefs(buildApp({ distDir: DIST, lockFile: false }), options);
    stdout.write(`${describeLock(result, LOCK)}\n`);
    return 0;
  } catch (e) {
    if (e instanceof LakeFsError || e instanceof LockFileError || e instanceof LockUsageError) {
      stderr.write(`dfp lock: ${e.message}\n${untouched}`);
      return e instanceof LockUsageError ? 2 : EXIT_LOCK_FAILED;
    }
    if (e instanceof DfpError) {
      stderr.write(`${e.message}\n${untouched}`);
      return EXIT_INVALID;
    }
    return internalError(e, untouched);
  }
}

/** `dfp lock` could not pin (lakeFS unreachable, refused, or missing a ref). */
const EXIT_LOCK_FAILED = 4;

if (isEntryPoint(import.meta.url, 'dfp.ts')) {
  void Promise.resolve(main(argv.slice(2))).then((code) => exit(code));
}
