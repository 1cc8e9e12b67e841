/**
 * Small kubectl helpers for the e2e suites: run kubectl against the cluster the suites use
 * (KUBECONFIG, else the embedded one: tests/support/cluster.ts), apply objects, wait for a
 * condition. Shared by every tests/e2e/*.e2e.test.ts; keep the API small and stable.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { clusterKubeconfig } from '../../support/cluster.ts';

/** A Kubernetes object as kubectl reads and prints it. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name?: string;
    generateName?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

/** The kubectl binary: the embedded cluster's build (v1.34.4), else `kubectl` on PATH. */
export function kubectlBinary(): string {
  const cache = process.env.DFP_CACHE || join(homedir(), '.cache', 'dfp');
  const built = join(cache, 'bin', 'kubectl-v1.34.4');
  return existsSync(built) ? built : 'kubectl';
}

export interface KubectlOptions {
  /** Written to kubectl's stdin (for `-f -`). */
  readonly input?: string;
  /** Return the result instead of throwing when kubectl exits non-zero. */
  readonly allowFailure?: boolean;
  readonly timeoutMs?: number;
}

export interface KubectlResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs kubectl; throws with its stderr when it fails, unless `allowFailure`. */
export function kubectl(args: readonly string[], options: KubectlOptions = {}): KubectlResult {
  const r = spawnSync(kubectlBinary(), ['--kubeconfig', clusterKubeconfig(), ...args], {
    input: options.input,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 120_000,
    maxBuffer: 64 << 20,
  });
  const result = { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? String(r.error ?? '') };
  if (result.status !== 0 && !options.allowFailure) {
    throw new Error(
      `kubectl ${args.join(' ')} exited ${result.status}: ${result.stderr.trim() || result.stdout.trim()}`,
    );
  }
  return result;
}

/** `kubectl get … -o json`, parsed; undefined when the object does not exist. */
export function getJson<T = KubeObject>(args: readonly string[]): T | undefined {
  const r = kubectl(['get', ...args, '-o', 'json'], { allowFailure: true });
  if (r.status !== 0) {
    if (/NotFound|not found/.test(r.stderr)) return undefined;
    throw new Error(`kubectl get ${args.join(' ')}: ${r.stderr.trim()}`);
  }
  return JSON.parse(r.stdout) as T;
}

/** Every object of a multi-document YAML text (empty documents dropped). */
export function parseObjects(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null && typeof o === 'object');
}

/** Server-side apply of objects (strict field validation), as the field manager `dfp-e2e`. */
export function apply(objects: readonly KubeObject[]): string {
  if (objects.length === 0) return '';
  const list = { apiVersion: 'v1', kind: 'List', items: objects };
  return kubectl(
    ['apply', '--server-side', '--force-conflicts', '--field-manager=dfp-e2e', '--validate=strict', '-f', '-'],
    {
      input: JSON.stringify(list),
    },
  ).stdout;
}

/** Applies the objects of YAML files as they are. */
export function applyFiles(files: readonly string[], read: (f: string) => string): string {
  return apply(files.flatMap((f) => parseObjects(read(f))));
}

/** Creates the namespace or updates its labels (e.g. Pod Security's `enforce`). */
export function ensureNamespace(name: string, labels: Record<string, string> = {}): void {
  apply([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } }]);
}

/** Deletes a namespace and what is in it, without waiting. */
export function deleteNamespace(name: string): void {
  kubectl(['delete', 'namespace', name, '--ignore-not-found', '--wait=false']);
}

/**
 * Polls `check` every `intervalMs` until it returns a value other than undefined; throws after `timeoutMs` with `what`.
 */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  check: () => T | undefined,
  intervalMs = 1000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`,
      );
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Logs of one container of a pod (empty when there are none). */
export function podLogs(namespace: string, pod: string, container = 'main'): string {
  return kubectl(['-n', namespace, 'logs', pod, '-c', container], { allowFailure: true }).stdout;
}

/** `kubectl` with a fixed namespace, for suites that work in one. */
export function inNamespace(namespace: string) {
  return (args: readonly string[], options?: KubectlOptions) => kubectl(['-n', namespace, ...args], options);
}
