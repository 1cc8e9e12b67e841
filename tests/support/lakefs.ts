/**
 * A real lakeFS server for tests: the binary scripts/lakefs-build.sh builds from the Go
 * module proxy (cached in .tools/lakefs/), run on 127.0.0.1 with the local KV store and
 * local blockstore in a temporary folder, set up with an admin user through its API.
 * Nothing about lakeFS is imitated; the tests talk to the server over HTTP.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LakeFsClient } from '../../lakefs/client.ts';
import { ROOT, freePort } from './process.ts';

export interface LakeFsServer {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /** The admin user's keys, from the setup call. */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** A client signed in as the admin. */
  readonly client: LakeFsClient;
  /** The server's own log, for failure messages. */
  readonly logFile: string;
  /** Stops the server and waits for it to exit. */
  stop(): Promise<void>;
}

/** The binary, built on first use (a no-op once cached); `make test` builds it beforehand. */
export function lakeFsBinary(): string {
  const r = spawnSync(join(ROOT, 'scripts', 'lakefs-build.sh'), {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 40 * 60_000,
  });
  if (r.status !== 0) throw new Error(`scripts/lakefs-build.sh failed (exit ${r.status})`);
  return r.stdout.trim().split('\n').pop()!;
}

/**
 * Starts lakeFS, waits until it answers, and creates the admin user. `port`: a fixed port
 * on 127.0.0.1 (the e2e runs give containers the address dist/ names, e.g. `:8000`).
 * @default a free port
 */
export async function startLakeFs(options: { readonly port?: number } = {}): Promise<LakeFsServer> {
  const binary = lakeFsBinary();
  const dir = mkdtempSync(join(tmpdir(), 'dfp-lakefs-'));
  const port = options.port ?? (await freePort());
  const endpoint = `http://127.0.0.1:${port}`;
  const logFile = join(dir, 'lakefs.log');
  const log = openSync(logFile, 'a');
  const child: ChildProcess = spawn(binary, ['run'], {
    cwd: dir,
    stdio: ['ignore', log, log],
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: dir,
      LAKEFS_LISTEN_ADDRESS: `127.0.0.1:${port}`,
      LAKEFS_DATABASE_TYPE: 'local',
      LAKEFS_DATABASE_LOCAL_PATH: join(dir, 'metadata'),
      LAKEFS_BLOCKSTORE_TYPE: 'local',
      LAKEFS_BLOCKSTORE_LOCAL_PATH: join(dir, 'block'),
      LAKEFS_AUTH_ENCRYPT_SECRET_KEY: randomBytes(24).toString('hex'),
      // A test server talks to nobody but the tests.
      LAKEFS_STATS_ENABLED: 'false',
      LAKEFS_EMAIL_SUBSCRIPTION_ENABLED: 'false',
      LAKEFS_SECURITY_CHECK_LATEST_VERSION: 'false',
      LAKEFS_LOGGING_LEVEL: 'INFO',
    },
  });
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const stop = async () => {
    if (!exited) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exit;
    clearTimeout(timer);
    // The log stays for a failure message; the repository data goes.
    rmSync(join(dir, 'metadata'), { recursive: true, force: true });
    rmSync(join(dir, 'block'), { recursive: true, force: true });
  };

  const anonymous = new LakeFsClient({ endpoint, timeoutMs: 2_000 });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`lakeFS exited while starting; see ${logFile}`);
    try {
      await anonymous.healthcheck();
      break;
    } catch (e) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`lakeFS did not answer on ${endpoint} within 60 s (${(e as Error).message}); see ${logFile}`, {
          cause: e,
        });
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    if (!(await anonymous.needsSetup())) throw new Error('a fresh lakeFS says it is already set up');
    const credentials = await anonymous.setup('dfp-test-admin');
    return { endpoint, credentials, client: new LakeFsClient({ endpoint, credentials }), logFile, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
