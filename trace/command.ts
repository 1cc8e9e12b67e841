/**
 * `dfp trace <run-id> | models:/<name>/<version>`: from an MLflow run back to the exact
 * data, feature definitions and weights that made it. Exits 0 when every pin holds,
 * 1 when one does not (no lineage tags, a commit lakeFS lacks, a tampered artifact),
 * 2 on a usage mistake, 4 when MLflow or lakeFS cannot be asked. Credentials come from
 * the environment or flags and are never written anywhere.
 */
import { stderr, stdout } from 'node:process';
import { LakeFsClient, LakeFsError } from '../lakefs/client.ts';
import { MlflowClient, MlflowError } from '../mlflow/client.ts';
import { checkFetchDir, fetchTrace } from './fetch.ts';
import { formatReport } from './format.ts';
import { TraceError, trace, type Checkout, type TraceTarget } from './report.ts';

export const TRACE_HELP = `usage: dfp trace <run-id> | models:/<name>/<version> [--json] [--fetch DIR]
                 [--mlflow URL] [--lakefs URL] [--timeout SECONDS]

Reads the lineage a training run recorded in MLflow (dfp_tools.lineage) and checks it
against lakeFS: the commit exists, the table has files at it, the Iceberg snapshot
there is the one recorded, the weights are among the run's artifacts, a model
version's tags are its run's. Prints the pipeline, environment and definitions
revision, the lakeFS repository and commit, the table and its snapshot, the feature
view and its definitions digest (and which rendered definitions.sha256 equals it), the
dataset split ids, the weights with their sha256, and the run's metrics.

  --json          print the report as one JSON document
  --fetch DIR     download the table's files as they were at the commit, and the
                  weights, into DIR (new or empty), checking every checksum; DIR is
                  only created when everything matched
  --mlflow URL    the tracking server          (or MLFLOW_TRACKING_URI)
  --lakefs URL    the lakeFS server            (or LAKEFS_ENDPOINT)
  --timeout S     seconds per request, default 30

Credentials, from the environment only: MLFLOW_TRACKING_TOKEN, or
MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD; LAKEFS_ACCESS_KEY_ID and
LAKEFS_SECRET_ACCESS_KEY.

Exit status: 0 every pin holds; 1 a pin does not; 2 usage; 4 MLflow or lakeFS
could not be asked.
`;

const EXIT_BROKEN_PIN = 1;
const EXIT_USAGE = 2;
const EXIT_SERVICE = 4;

class TraceUsageError extends Error {}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith('--')) throw new TraceUsageError(`${name} needs a value`);
  args.splice(i, 2);
  return value;
}

function parseTarget(s: string): TraceTarget {
  const model = /^models:\/([^/]+)\/([0-9]+)$/.exec(s);
  if (model) return { model: model[1]!, version: model[2]! };
  if (s.startsWith('models:')) throw new TraceUsageError(`'${s}' is not a model version; write models:/<name>/<version>, e.g. models:/kronodroid-autoencoder/1`);
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(s)) throw new TraceUsageError(`'${s}' is not an MLflow run id`);
  return { runId: s };
}

/** Runs the verb; `checkout` is where this repository's dist/ and git history are. */
export async function traceCommand(argv: readonly string[], checkout: Checkout, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const args = [...argv];
  if (args.includes('--help') || args.includes('-h')) {
    stdout.write(TRACE_HELP);
    return 0;
  }
  let run: () => Promise<number>;
  try {
    const mlflowUri = flag(args, '--mlflow') ?? env.MLFLOW_TRACKING_URI;
    const lakefsUri = flag(args, '--lakefs') ?? env.LAKEFS_ENDPOINT;
    const fetchDir = flag(args, '--fetch');
    const timeout = flag(args, '--timeout');
    const json = args.includes('--json');
    const rest = args.filter((a) => a !== '--json');
    if (rest.length !== 1 || rest[0]!.startsWith('--')) throw new TraceUsageError(rest.length === 0 ? 'trace needs a run id or models:/<name>/<version>' : `unexpected argument '${rest.find((a, i) => i > 0 || a.startsWith('--'))}'`);
    const target = parseTarget(rest[0]!);
    if (!mlflowUri) throw new TraceUsageError('trace needs the MLflow tracking server: set MLFLOW_TRACKING_URI or pass --mlflow');
    if (!lakefsUri) throw new TraceUsageError('trace needs the lakeFS server: set LAKEFS_ENDPOINT or pass --lakefs');
    if (!env.LAKEFS_ACCESS_KEY_ID || !env.LAKEFS_SECRET_ACCESS_KEY) throw new TraceUsageError('trace needs lakeFS credentials: set LAKEFS_ACCESS_KEY_ID and LAKEFS_SECRET_ACCESS_KEY');
    if (timeout !== undefined && !(Number(timeout) > 0)) throw new TraceUsageError(`--timeout '${timeout}' is not a positive number of seconds`);
    const timeoutMs = timeout === undefined ? 30_000 : Number(timeout) * 1000;
    const mlflow = new MlflowClient({
      trackingUri: mlflowUri,
      timeoutMs,
      ...(env.MLFLOW_TRACKING_TOKEN ? { token: env.MLFLOW_TRACKING_TOKEN } : {}),
      ...(env.MLFLOW_TRACKING_USERNAME ? { basicAuth: { username: env.MLFLOW_TRACKING_USERNAME, password: env.MLFLOW_TRACKING_PASSWORD ?? '' } } : {}),
    });
    const lakefs = new LakeFsClient({ endpoint: lakefsUri, timeoutMs, credentials: { accessKeyId: env.LAKEFS_ACCESS_KEY_ID, secretAccessKey: env.LAKEFS_SECRET_ACCESS_KEY } });
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
    if (!(e instanceof TraceUsageError)) throw e;
    stderr.write(`dfp trace: ${e.message}\n${TRACE_HELP.split('\n\n')[0]}\n`);
    return EXIT_USAGE;
  }
  try {
    return await run();
  } catch (e) {
    if (e instanceof TraceError) {
      stderr.write(`dfp trace: ${e.message}\n`);
      return EXIT_BROKEN_PIN;
    }
    if (e instanceof MlflowError || e instanceof LakeFsError) {
      stderr.write(`dfp trace: ${e.message}\n`);
      return e.reason === 'not-found' && e instanceof MlflowError ? EXIT_BROKEN_PIN : EXIT_SERVICE;
    }
    throw e;
  }
}
