/**
 * `dfp trace <run-id> | models:/<name>/<version>`: from an MLflow run back to the exact
 * data, feature definitions and weights that made it. Exits 0 when every pin holds,
 * 1 when one does not (no lineage tags, a commit lakeFS lacks, a tampered artifact),
 * 2 on a usage mistake, 4 when MLflow or lakeFS cannot be asked (synth/exit-codes.ts).
 * Credentials come from the environment only and are never written anywhere; with
 * --json an error is a JSON document too.
 */
import { stderr, stdout } from 'node:process';
import { UsageError, checkEndpoint, parseVerb, type VerbSpec } from '../synth/args.ts';
import { EXIT_INTERNAL, EXIT_INVALID, EXIT_OK, EXIT_SERVICE, EXIT_USAGE, exitCodeText } from '../synth/exit-codes.ts';
import { LakeFsClient, LakeFsError } from '../lakefs/client.ts';
import { MlflowClient, MlflowError } from '../mlflow/client.ts';
import { checkFetchDir, fetchTrace } from './fetch.ts';
import { formatReport } from './format.ts';
import { TraceError, trace, type Checkout, type TraceTarget } from './report.ts';

/** The verb's flags, parsed strictly by synth/args.ts. */
export const TRACE_VERB: VerbSpec = {
  name: 'trace',
  summary: 'From an MLflow run back to the exact data, feature definitions and weights that made it.',
  positionals: ['<run-id> | models:/<name>/<version>'],
  options: {
    json: { type: 'boolean', help: 'print the report, or the error, as one JSON document on stdout' },
    fetch: { type: 'string', value: 'DIR', help: 'download the data and the weights into DIR (new or empty)' },
    mlflow: { type: 'string', value: 'URL', help: 'the tracking server (or MLFLOW_TRACKING_URI)' },
    lakefs: { type: 'string', value: 'URL', help: 'the lakeFS server (or LAKEFS_ENDPOINT)' },
    timeout: { type: 'string', value: 'SECONDS', help: 'seconds per request, default 30' },
  },
  secretsFrom:
    'set MLFLOW_TRACKING_TOKEN (or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD) and ' +
    'LAKEFS_SECRET_ACCESS_KEY in the environment',
};

export const TRACE_HELP = `usage: dfp trace <run-id> | models:/<name>/<version> [--json] [--fetch DIR]
                 [--mlflow URL] [--lakefs URL] [--timeout SECONDS]

Reads the lineage a training run recorded in MLflow (dfp_tools.lineage) and checks it
against lakeFS: the commit exists, the table has files at it, the Iceberg snapshot
there is the one recorded, the weights are among the run's artifacts, a model
version's tags are its run's. Prints the pipeline, environment and definitions
revision, the lakeFS repository and commit, the table and its snapshot, the feature
view and its definitions digest (and which rendered definitions.sha256 equals it), the
dataset split ids, the weights with their sha256, and the run's metrics.

  --json          print the report as one JSON document; an error too, as
                  {"error": {"exit": N, "kind": "...", "message": "..."}}
  --fetch DIR     download the table's files as they were at the commit, and the
                  weights, into DIR (new or empty), checking every checksum; DIR is
                  only created when everything matched
  --mlflow URL    the tracking server          (or MLFLOW_TRACKING_URI)
  --lakefs URL    the lakeFS server            (or LAKEFS_ENDPOINT)
  --timeout S     seconds per request, default 30

Credentials, from the environment only (never flags): MLFLOW_TRACKING_TOKEN, or
MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD; LAKEFS_ACCESS_KEY_ID and
LAKEFS_SECRET_ACCESS_KEY.

${exitCodeText()}`;

const KIND: Record<number, string> = {
  [EXIT_INVALID]: 'broken-pin',
  [EXIT_USAGE]: 'usage',
  [EXIT_SERVICE]: 'service',
  [EXIT_INTERNAL]: 'internal',
};

/** Writes an error as text on stderr, or with --json as one JSON document on stdout; returns its exit code. */
function failure(json: boolean, exit: number, message: string, usage = false): number {
  if (json) stdout.write(`${JSON.stringify({ error: { exit, kind: KIND[exit] ?? 'error', message } }, null, 2)}\n`);
  else stderr.write(`dfp trace: ${message}\n${usage ? `${TRACE_HELP.split('\n\n')[0]}\n` : ''}`);
  return exit;
}

function parseTarget(s: string): TraceTarget {
  const model = /^models:\/([^/]+)\/([0-9]+)$/.exec(s);
  if (model) return { model: model[1]!, version: model[2]! };
  if (s.startsWith('models:'))
    throw new UsageError(
      `'${s}' is not a model version; write models:/<name>/<version>, e.g. models:/kronodroid-autoencoder/1`,
    );
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(s)) throw new UsageError(`'${s}' is not an MLflow run id`);
  return { runId: s };
}

/** Runs the verb; `checkout` is where this repository's dist/ and git history are. */
/** A dfp bug: one line (or JSON), the stack only with DFP_DEBUG=1. */
function internal(json: boolean, e: unknown): number {
  const err = e instanceof Error ? e : new Error(String(e));
  if (process.env.DFP_DEBUG) stderr.write(`${err.stack ?? ''}\n`);
  return failure(
    json,
    EXIT_INTERNAL,
    `internal error: ${err.message}; this is a dfp bug, rerun with DFP_DEBUG=1 for details`,
  );
}

export async function traceCommand(
  argv: readonly string[],
  checkout: Checkout,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const json = argv.includes('--json');
  let run: () => Promise<number>;
  try {
    const p = parseVerb(TRACE_VERB, argv);
    if (p.help) {
      stdout.write(TRACE_HELP);
      return EXIT_OK;
    }
    const v = p.values as Record<string, string | undefined>;
    const target = parseTarget(p.positionals[0]!);
    const mlflowUri =
      v.mlflow !== undefined
        ? checkEndpoint('--mlflow', v.mlflow)
        : env.MLFLOW_TRACKING_URI
          ? checkEndpoint('MLFLOW_TRACKING_URI', env.MLFLOW_TRACKING_URI)
          : undefined;
    const lakefsUri =
      v.lakefs !== undefined
        ? checkEndpoint('--lakefs', v.lakefs)
        : env.LAKEFS_ENDPOINT
          ? checkEndpoint('LAKEFS_ENDPOINT', env.LAKEFS_ENDPOINT)
          : undefined;
    const fetchDir = v.fetch;
    const timeout = v.timeout;
    if (!mlflowUri)
      throw new UsageError('trace needs the MLflow tracking server: set MLFLOW_TRACKING_URI or pass --mlflow');
    if (!lakefsUri) throw new UsageError('trace needs the lakeFS server: set LAKEFS_ENDPOINT or pass --lakefs');
    if (!env.LAKEFS_ACCESS_KEY_ID || !env.LAKEFS_SECRET_ACCESS_KEY)
      throw new UsageError('trace needs lakeFS credentials: set LAKEFS_ACCESS_KEY_ID and LAKEFS_SECRET_ACCESS_KEY');
    if (timeout !== undefined && !(Number(timeout) > 0))
      throw new UsageError(`--timeout '${timeout}' is not a positive number of seconds`);
    const timeoutMs = timeout === undefined ? 30_000 : Number(timeout) * 1000;
    const mlflow = new MlflowClient({
      trackingUri: mlflowUri,
      timeoutMs,
      ...(env.MLFLOW_TRACKING_TOKEN ? { token: env.MLFLOW_TRACKING_TOKEN } : {}),
      ...(env.MLFLOW_TRACKING_USERNAME
        ? { basicAuth: { username: env.MLFLOW_TRACKING_USERNAME, password: env.MLFLOW_TRACKING_PASSWORD ?? '' } }
        : {}),
    });
    const lakefs = new LakeFsClient({
      endpoint: lakefsUri,
      timeoutMs,
      credentials: { accessKeyId: env.LAKEFS_ACCESS_KEY_ID, secretAccessKey: env.LAKEFS_SECRET_ACCESS_KEY },
    });
    run = async () => {
      // Refused before anything is downloaded, so a wrong DIR costs no transfer.
      if (fetchDir !== undefined) checkFetchDir(fetchDir);
      const t = await trace(target, mlflow, lakefs, checkout);
      if (fetchDir !== undefined) {
        const files = await fetchTrace(t, fetchDir, mlflow, lakefs, (line) => stderr.write(`dfp trace: ${line}\n`));
        stderr.write(`dfp trace: ${files} files in ${fetchDir}, every checksum matched\n`);
      }
      stdout.write(json ? `${JSON.stringify(t.report, null, 2)}\n` : formatReport(t.report));
      return 0;
    };
  } catch (e) {
    if (!(e instanceof UsageError)) return internal(json, e);
    return failure(json, EXIT_USAGE, e.message, true);
  }
  try {
    return await run();
  } catch (e) {
    if (e instanceof TraceError) return failure(json, EXIT_INVALID, e.message);
    if (e instanceof MlflowError || e instanceof LakeFsError) {
      return failure(
        json,
        e.reason === 'not-found' && e instanceof MlflowError ? EXIT_INVALID : EXIT_SERVICE,
        e.message,
      );
    }
    return internal(json, e);
  }
}
