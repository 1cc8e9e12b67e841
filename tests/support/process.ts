/** Runs dfp the way users do, in fresh processes, against copies of the project. */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');

export interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Run {
  const r = spawnSync(command, args, {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false', ...options.env },
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

/** `tsx <entry>` in a fresh process, without blocking: for running a few at once. */
export function runTsxAsync(
  entry: string,
  options: { env?: Record<string, string>; args?: string[] } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, [entry, ...(options.args ?? [])], {
      cwd: ROOT,
      env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false', ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Runs `jobs` with at most `width` in flight (the machine has two cores). */
export async function inParallel<T>(jobs: readonly (() => Promise<T>)[], width = 2): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, jobs.length) }, worker));
  return results;
}

/** `tsx <entry>` in a fresh process. */
export function runTsx(
  entry: string,
  options: { cwd?: string; env?: Record<string, string>; args?: string[] } = {},
): Run {
  return run(TSX, [entry, ...(options.args ?? [])], options);
}

const SOURCES = [
  'main.ts',
  'dfp.ts',
  'app',
  'dfp.lock.json',
  'cdk8s.yaml',
  'package.json',
  'tsconfig.json',
  'constructs',
  'lakefs',
  'mlflow',
  'trace',
  'emit',
  'synth',
  'targets',
  'pipelines',
  'features',
  'argocd',
  'android',
  'images/dbt-kronodroid/project',
  'dist',
  'scripts/run.mjs',
];

/** A throw-away copy of the project (sources and dist/), sharing node_modules. */
export function projectCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dfp-project-'));
  for (const entry of SOURCES) cpSync(join(ROOT, entry), join(dir, entry), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

/**
 * A definition change in a project copy that changes dist/: iris' `max_depth` default 4 → 5
 * (pipelines/iris.ts). Throws when the pipeline no longer has that default to change.
 */
export function editIris(dir: string): void {
  const file = join(dir, 'pipelines', 'iris.ts');
  const text = readFileSync(file, 'utf8');
  const from = "max_depth: { type: 'int', default: 4 }";
  if (!text.includes(from)) throw new Error(`${file} has no "${from}" to change; update editIris`);
  writeFileSync(file, text.replace(from, "max_depth: { type: 'int', default: 5 }"));
}

/** A throw-away copy of the committed dist/. */
export function distCopy(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'dfp-distcopy-')), 'dist');
  cpSync(join(ROOT, 'dist'), dir, { recursive: true });
  return dir;
}

/** A port the kernel says is free on 127.0.0.1 now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
