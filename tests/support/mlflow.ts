/**
 * A real MLflow tracking server for tests: `mlflow server` from the uv-locked lineage
 * harness (tests/conformance/lineage), on 127.0.0.1, with a SQLite backend store and its
 * artifact proxy over a local folder in a temporary directory. The local folder stands in
 * for the platform's MinIO bucket: clients only ever see `mlflow-artifacts:/` URIs
 * through the server, so the store behind it does not change what is tested.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, freePort } from './process.ts';

export const LINEAGE_HARNESS = join(ROOT, 'tests', 'conformance', 'lineage');
export const LINEAGE_PYTHON = join(LINEAGE_HARNESS, '.venv', 'bin', 'python');

export interface MlflowServer {
  /** `http://127.0.0.1:<port>`. */
  readonly trackingUri: string;
  /** The folder behind the artifact proxy (a test may tamper with a file there). */
  readonly artifactsDir: string;
  readonly logFile: string;
  stop(): Promise<void>;
}

export async function startMlflow(): Promise<MlflowServer> {
  const dir = mkdtempSync(join(tmpdir(), 'dfp-mlflow-'));
  const port = await freePort();
  const trackingUri = `http://127.0.0.1:${port}`;
  const artifactsDir = join(dir, 'artifacts');
  const logFile = join(dir, 'mlflow.log');
  const log = openSync(logFile, 'a');
  const child: ChildProcess = spawn(
    join(LINEAGE_HARNESS, '.venv', 'bin', 'mlflow'),
    [
      'server',
      '--backend-store-uri',
      `sqlite:///${join(dir, 'mlflow.db')}`,
      '--artifacts-destination',
      artifactsDir,
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--workers',
      '1',
    ],
    {
      cwd: dir,
      stdio: ['ignore', log, log],
      // Its own process group, so stop() ends the server's workers too.
      detached: true,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: dir,
        MLFLOW_DISABLE_TELEMETRY: 'true',
        DO_NOT_TRACK: 'true',
        // MLflow 3.x starts seven job-runner processes (~1.5 GiB) the tests never use.
        MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false',
      },
    },
  );
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, s);
    } catch {
      // Already gone.
    }
  };
  const stop = async () => {
    if (!exited) signal('SIGTERM');
    const timer = setTimeout(() => signal('SIGKILL'), 10_000);
    await exit;
    clearTimeout(timer);
    rmSync(join(dir, 'artifacts'), { recursive: true, force: true });
  };
  // MLflow's start-up imports a lot; on two busy cores it has taken over a minute.
  const deadline = Date.now() + 240_000;
  for (;;) {
    if (exited) throw new Error(`mlflow server exited while starting; see ${logFile}`);
    try {
      const r = await fetch(`${trackingUri}/health`, { signal: AbortSignal.timeout(2_000) });
      if (r.status === 200) break;
    } catch {
      // Not up yet.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`mlflow server did not answer on ${trackingUri} within 240 s; see ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return { trackingUri, artifactsDir, logFile, stop };
}
