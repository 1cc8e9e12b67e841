/**
 * dfp_tools.artifacts, the program that moves a step's artifacts where the orchestrator
 * does not (Airflow), moves real files through a real S3 server: lakeFS's S3 gateway on
 * loopback (tests/support/lakefs.ts), with the minio client the tool uses, pinned in
 * tests/conformance/artifacts. Files and directories go up and come back byte for byte;
 * the sidecar handshake uploads only after the step succeeded and reports its own
 * failure through the marker the step's wrapper exits with; a missing input or output
 * fails with its path. The wrapper the Airflow pod runs the step in (ARTIFACTS_SCRIPT),
 * run by `sh` beside the real sidecar, exits with the step's failure or the upload's.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS_SCRIPT } from '../targets/airflow/runtime.ts';
import { startLakeFs, type LakeFsServer } from './support/lakefs.ts';
import { ROOT } from './support/process.ts';

const PYTHON = join(ROOT, 'tests', 'conformance', 'artifacts', '.venv', 'bin', 'python');
const REPO = 'dfp-artifacts';

let lakefs: LakeFsServer;
let env: NodeJS.ProcessEnv;
let common: string[];

beforeAll(async () => {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing; run 'make python' (make test does)`);
  lakefs = await startLakeFs();
  await lakefs.client.createRepository(REPO, `local://${REPO}`, 'main');
  env = {
    PATH: process.env.PATH,
    PYTHONPATH: join(ROOT, 'images', 'dfp_tools'),
    AWS_ACCESS_KEY_ID: lakefs.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: lakefs.credentials.secretAccessKey,
  };
  common = ['--endpoint', lakefs.endpoint, '--region', 'us-east-1', '--bucket', REPO];
}, 120_000);

afterAll(async () => {
  await lakefs?.stop();
});

function tool(args: string[], extra: Record<string, string> = {}) {
  const r = spawnSync(PYTHON, ['-m', 'dfp_tools.artifacts', ...args], {
    env: { ...env, ...extra },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

describe("dfp_tools.artifacts through lakeFS's S3 gateway", () => {
  it('uploads a file and a directory, and downloads both byte for byte into fresh paths', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dfp-artifacts-'));
    const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 31) % 256));
    writeFileSync(join(dir, 'metrics'), '{"loss": 0.25}\n');
    mkdirSync(join(dir, 'model', 'sub'), { recursive: true });
    writeFileSync(join(dir, 'model', 'weights.bin'), bytes);
    writeFileSync(join(dir, 'model', 'sub', 'config.json'), '{"latent_dim": 16}');
    const keys = {
      K_METRICS: 'main/pipelines/kronodroid/run 1/train/metrics',
      K_MODEL: 'main/pipelines/kronodroid/run 1/train/model',
    };

    const up = tool(
      ['upload', ...common, '--item', 'K_METRICS', join(dir, 'metrics'), '--item', 'K_MODEL', join(dir, 'model')],
      keys,
    );
    expect(up.err).toBe('');
    expect(up.status).toBe(0);
    expect(up.out).toContain('(2 objects)');

    const back = join(dir, 'back', 'inputs', 'artifacts');
    const down = tool(
      [
        'download',
        ...common,
        '--item',
        'K_METRICS',
        join(back, 'training_metrics'),
        '--item',
        'K_MODEL',
        join(back, 'model'),
      ],
      keys,
    );
    expect(down.err).toBe('');
    expect(down.status).toBe(0);
    expect(readFileSync(join(back, 'training_metrics'), 'utf8')).toBe('{"loss": 0.25}\n');
    expect(readFileSync(join(back, 'model', 'weights.bin')).equals(bytes)).toBe(true);
    expect(readFileSync(join(back, 'model', 'sub', 'config.json'), 'utf8')).toBe('{"latent_dim": 16}');
  });

  it('a missing input fails the download with its key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dfp-artifacts-'));
    const r = tool(['download', ...common, '--item', 'K', join(dir, 'x')], { K: 'main/pipelines/none/here' });
    expect(r.status).not.toBe(0);
    expect(r.err).toContain('no artifact at s3://dfp-artifacts/main/pipelines/none/here');
  });

  it('a key that is not set is refused, not uploaded to an empty key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dfp-artifacts-'));
    writeFileSync(join(dir, 'x'), 'x');
    const r = tool(['upload', ...common, '--item', 'UNSET', join(dir, 'x')]);
    expect(r.status).toBe(1);
    expect(r.err).toContain("$UNSET is '': expected the artifact's object key");
  });

  /** Starts the upload sidecar as the pod runs it, for object key `key`, in a fresh pod folder. */
  function startSidecar(key: string) {
    const dir = mkdtempSync(join(tmpdir(), 'dfp-artifacts-'));
    const sync = join(dir, 'sync');
    const out = join(dir, 'outputs', 'artifacts', 'summary');
    const args = ['upload', ...common, '--wait-for', sync, '--poll-seconds', '0.1', '--stay', '--item', 'K', out];
    const child = spawn(PYTHON, ['-m', 'dfp_tools.artifacts', ...args], { env: { ...env, K: key } });
    return { dir, sync, out, child };
  }

  /** Runs the sidecar until it writes upload.exit, after the step wrote `mainExit`. */
  async function sidecar(mainExit: number, write: (outputs: string) => void, key: string) {
    const { dir, sync, out, child } = startSidecar(key);
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    try {
      // The sidecar makes the folders the step writes into; the step then writes and exits.
      for (let i = 0; !existsSync(sync) && i < 100; i++) await new Promise((r) => setTimeout(r, 100));
      expect(existsSync(join(dir, 'outputs', 'artifacts'))).toBe(true);
      write(out);
      writeFileSync(join(sync, 'main.exit'), `${mainExit}\n`);
      for (let i = 0; !existsSync(join(sync, 'upload.exit')) && i < 300; i++)
        await new Promise((r) => setTimeout(r, 100));
      const code = readFileSync(join(sync, 'upload.exit'), 'utf8').trim();
      // A sidecar waits to be stopped after its work, then exits 0.
      expect(child.exitCode).toBeNull();
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      return { code, err };
    } finally {
      child.kill('SIGKILL');
    }
  }

  it('the sidecar uploads after the step succeeded and reports 0', async () => {
    const key = 'main/pipelines/p/run/aggregate/summary';
    const r = await sidecar(0, (out) => writeFileSync(out, 'summary'), key);
    expect(r.code).toBe('0');
    const back = mkdtempSync(join(tmpdir(), 'dfp-artifacts-'));
    expect(tool(['download', ...common, '--item', 'K', join(back, 's')], { K: key }).status).toBe(0);
    expect(readFileSync(join(back, 's'), 'utf8')).toBe('summary');
  }, 60_000);

  it('the sidecar uploads nothing after the step failed', async () => {
    const key = 'main/pipelines/p/failed-run/aggregate/summary';
    const r = await sidecar(3, (out) => writeFileSync(out, 'partial'), key);
    expect(r.code).toBe('0');
    const back = mkdtempSync(join(tmpdir(), 'dfp-artifacts-'));
    expect(tool(['download', ...common, '--item', 'K', join(back, 's')], { K: key }).status).not.toBe(0);
  }, 60_000);

  it('the sidecar reports 1 when the step wrote no output artifact', async () => {
    const r = await sidecar(0, () => {}, 'main/pipelines/p/run2/aggregate/summary');
    expect(r.code).toBe('1');
    expect(r.err).toMatch(/the step wrote no artifact at .*outputs\/artifacts\/summary/);
  }, 60_000);

  /**
   * The step's wrapper, as the pod runs it, beside the sidecar: the wrapper's exit code and whether the object arrived.
   */
  async function pod(command: string[], key: string) {
    const { dir, sync, out, child: side } = startSidecar(key);
    const sideExit = new Promise<number | null>((resolve) => side.once('exit', (c) => resolve(c)));
    try {
      for (let i = 0; !existsSync(join(dir, 'outputs', 'artifacts')) && i < 100; i++)
        await new Promise((r) => setTimeout(r, 100));
      const step = spawn('sh', ['-c', ARTIFACTS_SCRIPT, 'dfp-artifacts', ...command], {
        env: { PATH: process.env.PATH, DFP_SYNC_DIR: sync, OUT: out },
      });
      const code = await new Promise<number | null>((resolve) => step.once('exit', (c) => resolve(c)));
      side.kill('SIGTERM');
      expect(await sideExit).toBe(0);
      const back = mkdtempSync(join(tmpdir(), 'dfp-artifacts-'));
      const got = tool(['download', ...common, '--item', 'K', join(back, 's')], { K: key });
      return { code, uploaded: got.status === 0 ? readFileSync(join(back, 's'), 'utf8') : null };
    } finally {
      side.kill('SIGKILL');
    }
  }

  it('the wrapper exits 0 once the sidecar uploaded what the step wrote', async () => {
    expect(await pod(['sh', '-c', 'printf done > "$OUT"'], 'main/pipelines/w/ok/s/summary')).toEqual({
      code: 0,
      uploaded: 'done',
    });
  }, 60_000);

  it("the wrapper exits with the step's own failure, and nothing is uploaded", async () => {
    expect(await pod(['sh', '-c', 'printf partial > "$OUT"; exit 3'], 'main/pipelines/w/failed/s/summary')).toEqual({
      code: 3,
      uploaded: null,
    });
  }, 60_000);

  it('the wrapper fails when the upload fails (the step wrote no output artifact)', async () => {
    expect(await pod(['true'], 'main/pipelines/w/none/s/summary')).toEqual({ code: 1, uploaded: null });
  }, 60_000);
});
