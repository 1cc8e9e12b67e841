/**
 * A real Kubernetes API server for tests: kube-apiserver and etcd 3.6 built from the Go
 * module proxy (both by scripts/kube-apiserver.sh, cached in .tools/ and $DFP_CACHE/bin/), run on
 * 127.0.0.1 only, on free ports, with their own CA, serving certificate and
 * service-account key made by openssl in a temporary folder, a static bearer token, and
 * the PodSecurity admission plugin. No controller manager runs, so nothing is ever
 * scheduled or reconciled: the tests use the server for what it checks when an object is
 * applied (schema, strict fields, admission), through its REST API over HTTPS.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './process.ts';

type Json = Record<string, any>;

/** One answer of the API server. */
export interface ApiResponse {
  readonly status: number;
  readonly body: Json;
  /** The `Warning` headers (PodSecurity's `would violate …` among them), text only. */
  readonly warnings: readonly string[];
}

export interface KubeApiServer {
  /** `https://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /** Sends one request as the test's cluster admin (group system:masters). */
  request(method: string, path: string, body?: unknown): Promise<ApiResponse>;
  /** etcd's and the API server's logs, for failure messages. */
  readonly logFiles: readonly string[];
  /** Stops both processes and waits for them to exit. */
  stop(): Promise<void>;
}

/** The two binaries, built or installed on first use (a no-op once cached); `make test` does it beforehand. */
export function kubeApiServerBinaries(): { apiserver: string; etcd: string } {
  const r = spawnSync(join(ROOT, 'scripts', 'kube-apiserver.sh'), {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 40 * 60_000,
  });
  if (r.status !== 0) throw new Error(`scripts/kube-apiserver.sh failed (exit ${r.status})`);
  const [apiserver, etcd] = r.stdout.trim().split('\n').slice(-2);
  return { apiserver: apiserver!, etcd: etcd! };
}

/** A port the kernel says is free on 127.0.0.1 now. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function openssl(dir: string, args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
}

/** A CA, a serving certificate for 127.0.0.1 signed by it, and the service-account key pair. */
function makePki(dir: string): void {
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=dfp-test-ca',
  ]);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl(dir, [
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
    '-subj',
    '/CN=kube-apiserver',
  ]);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '2',
    '-extfile',
    'server.ext',
  ]);
  openssl(dir, ['genrsa', '-out', 'sa.key', '2048']);
  openssl(dir, ['rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub']);
}

/** Spawns `binary` with its output in `logFile`; `exited` resolves when it ends. */
function startProcess(binary: string, args: string[], dir: string, logFile: string) {
  const log = openSync(logFile, 'a');
  const child: ChildProcess = spawn(binary, args, {
    cwd: dir,
    stdio: ['ignore', log, log],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
  });
  const state = { exited: false };
  // Should the test process end without stop() (an uncaught error), take the server along.
  const onExit = () => child.kill('SIGKILL');
  process.once('exit', onExit);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      state.exited = true;
      process.off('exit', onExit);
      resolve();
    }),
  );
  const stop = async () => {
    if (!state.exited) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  return { state, stop };
}

async function waitFor(
  what: string,
  ready: () => Promise<boolean>,
  failed: () => boolean,
  logFile: string,
  timeoutMs = 90_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (failed()) throw new Error(`${what} exited while starting; see ${logFile}`);
    if (await ready().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} was not ready within ${timeoutMs / 1000} s; see ${logFile}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Starts etcd and kube-apiserver and waits until the API server is ready. */
export async function startKubeApiServer(): Promise<KubeApiServer> {
  const { apiserver, etcd } = kubeApiServerBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'dfp-kube-apiserver-'));
  makePki(dir);
  const token = randomBytes(24).toString('hex');
  // token,user,uid,"groups": system:masters passes every RBAC check, as a cluster admin does.
  writeFileSync(join(dir, 'tokens.csv'), `${token},dfp-test-admin,dfp-test-admin,"system:masters"\n`);
  const [etcdClient, etcdPeer, port] = [await freePort(), await freePort(), await freePort()];
  const etcdLog = join(dir, 'etcd.log');
  const apiLog = join(dir, 'kube-apiserver.log');
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.splice(0).reverse()) await s();
    rmSync(join(dir, 'etcd-data'), { recursive: true, force: true });
  };

  try {
    const e = startProcess(
      etcd,
      [
        '--name',
        'dfp-test',
        '--data-dir',
        join(dir, 'etcd-data'),
        '--listen-client-urls',
        `http://127.0.0.1:${etcdClient}`,
        '--advertise-client-urls',
        `http://127.0.0.1:${etcdClient}`,
        '--listen-peer-urls',
        `http://127.0.0.1:${etcdPeer}`,
        '--initial-advertise-peer-urls',
        `http://127.0.0.1:${etcdPeer}`,
        '--initial-cluster',
        `dfp-test=http://127.0.0.1:${etcdPeer}`,
        // The full Argo CRDs are large: a stored CRD is one etcd value.
        '--max-request-bytes',
        String(16 * 1024 * 1024),
        '--log-level',
        'warn',
      ],
      dir,
      etcdLog,
    );
    stops.push(e.stop);
    await waitFor(
      'etcd',
      async () => (await fetch(`http://127.0.0.1:${etcdClient}/health`)).ok,
      () => e.state.exited,
      etcdLog,
    );

    const a = startProcess(
      apiserver,
      [
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${port}`,
        `--etcd-servers=http://127.0.0.1:${etcdClient}`,
        `--cert-dir=${dir}`,
        `--tls-cert-file=${join(dir, 'server.crt')}`,
        `--tls-private-key-file=${join(dir, 'server.key')}`,
        `--client-ca-file=${join(dir, 'ca.crt')}`,
        `--token-auth-file=${join(dir, 'tokens.csv')}`,
        '--anonymous-auth=false',
        '--authorization-mode=RBAC',
        `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
        `--service-account-key-file=${join(dir, 'sa.pub')}`,
        `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
        '--service-cluster-ip-range=10.96.0.0/24',
        '--enable-admission-plugins=PodSecurity',
        '--allow-privileged=true',
        // Fewer moving parts on a two-core machine; none of them checks objects.
        '--profiling=false',
        '--enable-priority-and-fairness=false',
        '--watch-cache=false',
        '--enable-garbage-collector=false',
        '-v=1',
      ],
      dir,
      apiLog,
    );
    stops.push(a.stop);
    const ca = readFileSync(join(dir, 'ca.crt'));
    const endpoint = `https://127.0.0.1:${port}`;
    const request = (method: string, path: string, body?: unknown) => send(endpoint, ca, token, method, path, body);
    await waitFor(
      'kube-apiserver',
      async () => (await request('GET', '/readyz')).status === 200,
      () => a.state.exited,
      apiLog,
      180_000,
    );
    return { endpoint, request, logFiles: [etcdLog, apiLog], stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** One HTTPS request that trusts only the test CA. */
function send(
  endpoint: string,
  ca: Buffer,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiResponse> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      new URL(path, endpoint),
      {
        method,
        ca,
        headers: {
          Authorization: `Bearer ${token}`,
          Accept: 'application/json',
          ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) } : {}),
        },
        timeout: 60_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: Json;
          try {
            parsed = text ? (JSON.parse(text) as Json) : {};
          } catch {
            parsed = { text };
          }
          // headersDistinct keeps repeated Warning headers apart (headers joins them with ', ').
          const warnings = (res.headersDistinct.warning ?? []).map(warningText);
          resolve({ status: res.statusCode ?? 0, body: parsed, warnings });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

/** `299 - "text"` (RFC 7234) → `text`. */
function warningText(header: string): string {
  const m = /^\d{3} \S+ "(.*)"$/s.exec(header.trim());
  return m ? m[1]!.replace(/\\"/g, '"') : header;
}
