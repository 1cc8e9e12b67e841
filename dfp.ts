/**
 * The dfp command line (`dfp --help`, `dfp <verb> --help`):
 *
 *   dfp synth [--check] [--pipeline NAME]   render dist/ (or check it; or one pipeline only)
 *   dfp diff [--env NAME]                   what would change in dist/, as unified diffs
 *   dfp graph [--pipeline NAME]             print each pipeline's task graph (Mermaid)
 *   dfp lock [--update REPO@REF]            pin the lakeFS branches and tags the definitions read
 *                                           to commits in dfp.lock.json (the only command that
 *                                           changes a file from what a server says)
 *   dfp lock --images FILE...               record the image digests `make images` built
 *                                           (scripts/images/build.sh calls it) in dfp.lock.json
 *   dfp trace RUN_ID | models:/NAME/VERSION  from an MLflow run back to its exact data and weights
 *
 * Every verb parses its arguments strictly (synth/args.ts) and returns the exit codes of
 * synth/exit-codes.ts. Run it with `npm run dfp -- <verb>` or `npx tsx dfp.ts <verb>`.
 */
import { readFileSync } from 'node:fs';
import { argv, exit, stderr, stdout } from 'node:process';
import type { Construct } from 'constructs';
import { buildModel } from './constructs/model/build.ts';
import { DfpError } from './constructs/model/errors.ts';
import { Environment } from './constructs/environment.ts';
import { Pipeline } from './constructs/pipeline.ts';
import { buildApp } from './main.ts';
import {
  UsageError,
  checkEndpoint,
  checkVerb,
  helpText,
  parseVerb,
  unknownName,
  usageLine,
  type VerbSpec,
} from './synth/args.ts';
import { runCli } from './app/cli.ts';
import {
  EXIT_INTERNAL,
  EXIT_INVALID,
  EXIT_OK,
  EXIT_SERVICE,
  EXIT_STALE,
  EXIT_USAGE,
  exitCodeText,
} from './synth/exit-codes.ts';
import { renderAll } from './synth/render.ts';
import { review } from './synth/review.ts';
import { TARGETS } from './targets/index.ts';
import { mermaid } from './targets/docs/mermaid.ts';
import { LakeFsError } from './lakefs/client.ts';
import { LockUsageError, describeImageLock, describeLock, lockImages, lockRefs } from './lakefs/lock-command.ts';
import { LOCK_FILE, LockFileError } from './constructs/model/lock-file.ts';
import { TRACE_VERB, traceCommand } from './trace/command.ts';
import { isEntryPoint } from './synth/entry.ts';

const DIST = process.env.DFP_DIST ?? 'dist';
/** The lock file synth reads and `dfp lock` writes. */
const LOCK = process.env.DFP_LOCK ?? LOCK_FILE;

const VERBS: Readonly<Record<string, VerbSpec>> = {
  synth: {
    name: 'synth',
    summary: 'Renders every environment into dist/, atomically (or, with --check, only says whether dist/ is current).',
    options: {
      check: {
        type: 'boolean',
        help: 'write nothing; exit 3 listing the files when dist/ is not what the definitions render',
      },
      pipeline: {
        type: 'string',
        value: 'NAME',
        help: "render only this pipeline's files and leave every other file alone",
      },
    },
  },
  diff: {
    name: 'diff',
    summary: 'Prints what a synth would change in dist/: a summary per file, then unified diffs. Writes nothing.',
    options: { env: { type: 'string', value: 'NAME', help: 'only this environment' } },
  },
  graph: {
    name: 'graph',
    summary: "Prints each pipeline's task graph in Mermaid.",
    options: { pipeline: { type: 'string', value: 'NAME', help: 'only this pipeline' } },
  },
  lock: {
    name: 'lock',
    summary: 'Pins the lakeFS branches and tags the definitions read to commits in dfp.lock.json.',
    options: {
      update: { type: 'string', value: 'REPO@REF', help: 're-pin only this ref and keep every other pin' },
      endpoint: {
        type: 'string',
        value: 'URL',
        help: 'the lakeFS server, e.g. http://lakefs:8000 (or LAKEFS_ENDPOINT)',
      },
      'access-key-id': { type: 'string', value: 'ID', help: 'the access key id (or LAKEFS_ACCESS_KEY_ID)' },
      'secret-access-key-file': {
        type: 'string',
        value: 'FILE',
        help: 'a file holding the secret access key (or LAKEFS_SECRET_ACCESS_KEY)',
      },
      timeout: { type: 'string', value: 'SECONDS', help: 'seconds per request, default 10' },
    },
    secretsFrom: 'set LAKEFS_SECRET_ACCESS_KEY in the environment, or pass --secret-access-key-file FILE',
    more:
      'The secret access key is never taken as a flag: a flag shows in the process list and the shell history.\n' +
      ("'dfp lock --images FILE...' records instead the image digests make images wrote (one '<image> " +
        "sha256:<digest>' line per file).\n"),
  },
  trace: TRACE_VERB,
};

const USAGE = `usage: ${Object.values(VERBS).map(usageLine).join('\n       ')}\n`;
const HELP = `${USAGE}\n'dfp <verb> --help' tells more about one verb.\n\n${exitCodeText()}`;

/** A usage mistake: the message, the verb's usage line (or all of them), exit 2. */
function usageError(e: UsageError): number {
  const spec = e.verb !== undefined ? VERBS[e.verb] : undefined;
  stderr.write(
    `dfp: ${e.message}\n${spec ? `usage: ${usageLine(spec)}\n(dfp ${spec.name} --help for more)\n` : USAGE}`,
  );
  return EXIT_USAGE;
}

function guarded(run: () => number): number {
  try {
    return run();
  } catch (e) {
    if (e instanceof UsageError) return usageError(e);
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
  stderr.write(
    `dfp: internal error: ${err.message}\n${untouched}This is a dfp bug; rerun with DFP_DEBUG=1 for details.\n`,
  );
  if (process.env.DFP_DEBUG) stderr.write(`${err.stack ?? ''}\n`);
  return EXIT_INTERNAL;
}

/** The pipeline named `name`, or the same usage error whichever verb asked. */
function checkPipeline(app: Construct, name: string | undefined, verb: string): void {
  if (name === undefined) return;
  const names = app.node.children
    .filter((c) => c instanceof Pipeline)
    .map((c) => c.node.id)
    .sort();
  if (!names.includes(name)) throw unknownName('pipeline', name, names, verb);
}

/** Parses the verb's arguments; `--help` prints its help and exits 0. */
function parsed(spec: VerbSpec, args: readonly string[]): ReturnType<typeof parseVerb> | undefined {
  const p = parseVerb(spec, args);
  if (!p.help) return p;
  stdout.write(helpText(spec, exitCodeText()));
  return undefined;
}

export function main(args: string[]): number | Promise<number> {
  const [command, ...rest] = args;
  if (command === '--help' || command === '-h' || command === 'help') {
    stdout.write(HELP);
    return EXIT_OK;
  }
  let verb: string;
  try {
    verb = checkVerb(command, Object.keys(VERBS));
  } catch (e) {
    return usageError(e as UsageError);
  }
  switch (verb) {
    case 'synth':
      return guarded(() => {
        const p = parsed(VERBS.synth!, rest);
        if (!p) return EXIT_OK;
        const pipeline = p.values.pipeline as string | undefined;
        return runCli(
          ({ check }) => {
            const app = buildApp({
              check,
              distDir: DIST,
              ...(pipeline !== undefined ? { pipeline } : {}),
              lockFile: LOCK,
            });
            checkPipeline(app, pipeline, 'synth');
            return app;
          },
          p.values.check ? ['--check'] : [],
        );
      });
    case 'diff':
      return guarded(() => {
        const p = parsed(VERBS.diff!, rest);
        if (!p) return EXIT_OK;
        const env = p.values.env as string | undefined;
        const app = buildApp({ distDir: DIST, lockFile: LOCK });
        // A usage mistake is answered before the definitions are checked, as graph and synth do.
        const names = app.node.children
          .filter((c) => c instanceof Environment)
          .map((c) => c.node.id)
          .sort();
        if (env !== undefined && !names.includes(env)) throw unknownName('environment', env, names, 'diff');
        const model = buildModel(app);
        const rendered = new Map(renderAll(model, TARGETS).map((f) => [f.path, f.content]));
        const result = review(DIST, rendered, env === undefined ? '' : `${env}/`);
        stdout.write(result.text);
        return result.differs ? EXIT_STALE : EXIT_OK;
      });
    case 'graph':
      return guarded(() => {
        const p = parsed(VERBS.graph!, rest);
        if (!p) return EXIT_OK;
        const only = p.values.pipeline as string | undefined;
        const app = buildApp({ distDir: DIST, lockFile: LOCK });
        checkPipeline(app, only, 'graph');
        const model = buildModel(app);
        for (const pl of model.pipelines.filter((x) => only === undefined || x.name === only))
          stdout.write(`%% ${pl.name}\n${mermaid(pl)}\n\n`);
        return EXIT_OK;
      });
    case 'lock':
      return lock(rest);
    default:
      return traceCommand(rest, { root: process.cwd(), dist: DIST });
  }
}

/** The secret access key: from a file named by a flag, else from the environment. */
function secretFrom(file: string | undefined): string | undefined {
  if (file === undefined) return process.env.LAKEFS_SECRET_ACCESS_KEY;
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (e) {
    throw new UsageError(
      `cannot read --secret-access-key-file '${file}' (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      'lock',
    );
  }
}

/** `dfp lock`: every failure exits non-zero with one clear line and the lock untouched. */
async function lock(args: string[]): Promise<number> {
  if (args[0] === '--images') {
    const files = args.slice(1);
    try {
      if (files.length === 0)
        throw new UsageError(
          'lock --images needs the digest files make images wrote ($DFP_CACHE/images/<name>/<key>.digest)',
          'lock',
        );
      const flag = files.find((f) => f.startsWith('-'));
      if (flag !== undefined) throw new UsageError(`lock --images takes only digest files, not '${flag}'`, 'lock');
      stdout.write(`${describeImageLock(lockImages(LOCK, files), LOCK)}\n`);
      return EXIT_OK;
    } catch (e) {
      if (e instanceof UsageError) return usageError(e);
      if (!(e instanceof LockFileError)) return internalError(e, `${LOCK} was left unchanged.\n`);
      stderr.write(`dfp lock --images: ${e.message}\n${LOCK} was left unchanged.\n`);
      return EXIT_INVALID;
    }
  }
  let options;
  try {
    const p = parsed(VERBS.lock!, args);
    if (!p) return EXIT_OK;
    const v = p.values as Record<string, string | undefined>;
    const endpoint =
      v.endpoint !== undefined
        ? checkEndpoint('--endpoint', v.endpoint)
        : process.env.LAKEFS_ENDPOINT
          ? checkEndpoint('LAKEFS_ENDPOINT', process.env.LAKEFS_ENDPOINT)
          : undefined;
    const accessKeyId = v['access-key-id'] ?? process.env.LAKEFS_ACCESS_KEY_ID;
    const secretAccessKey = secretFrom(v['secret-access-key-file']);
    const timeout = v.timeout;
    if (!endpoint)
      throw new UsageError('lock needs the lakeFS endpoint: set LAKEFS_ENDPOINT or pass --endpoint', 'lock');
    if (!accessKeyId || !secretAccessKey)
      throw new UsageError(
        'lock needs lakeFS credentials: set LAKEFS_ACCESS_KEY_ID and LAKEFS_SECRET_ACCESS_KEY (or pass ' +
          '--secret-access-key-file FILE)',
        'lock',
      );
    if (timeout !== undefined && !(Number(timeout) > 0))
      throw new UsageError(`--timeout '${timeout}' is not a positive number of seconds`, 'lock');
    options = {
      lockFile: LOCK,
      lakefs: {
        endpoint,
        credentials: { accessKeyId, secretAccessKey },
        ...(timeout !== undefined ? { timeoutMs: Number(timeout) * 1000 } : {}),
      },
      ...(v.update !== undefined ? { update: v.update } : {}),
    };
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    return usageError(e.verb === undefined ? new UsageError(e.message, 'lock') : e);
  }
  const untouched = `${LOCK} was left unchanged.\n`;
  try {
    // The lock command must not need the lock it is about to write.
    const result = await lockRefs(buildApp({ distDir: DIST, lockFile: false }), options);
    stdout.write(`${describeLock(result, LOCK)}\n`);
    return EXIT_OK;
  } catch (e) {
    if (e instanceof LakeFsError || e instanceof LockFileError || e instanceof LockUsageError) {
      stderr.write(`dfp lock: ${e.message}\n${untouched}`);
      return e instanceof LockUsageError ? EXIT_USAGE : e instanceof LakeFsError ? EXIT_SERVICE : EXIT_INVALID;
    }
    if (e instanceof DfpError) {
      stderr.write(`${e.message}\n${untouched}`);
      return EXIT_INVALID;
    }
    return internalError(e, untouched);
  }
}

if (isEntryPoint(import.meta.url, 'dfp.ts')) {
  void Promise.resolve(main(argv.slice(2))).then((code) => exit(code));
}
