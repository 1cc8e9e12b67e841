/**
 * Strict validation of Kubernetes objects by the real schema of the pinned Kubernetes
 * version: the kubernetes-validate package (PyPI), in its own locked environment
 * (tests/conformance/kubernetes/, created by `make python`), with its strict schemas,
 * which reject unknown fields.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './process.ts';

/** The Kubernetes version dfp renders for: the one cdk8s-plus-28 targets. */
export const KUBERNETES_VERSION = '1.28.0';

const HARNESS = join(ROOT, 'tests', 'conformance', 'kubernetes');
const PYTHON = join(HARNESS, '.venv', 'bin', 'python');

export interface KubernetesResult {
  readonly name: string;
  readonly ok: boolean;
  readonly error: string | null;
  /** Dotted path of the offending value (`spec.template.spec.containers.0`). */
  readonly path: string | null;
}

/** Validates every object in one Python process. */
export function validateKubernetes(subjects: readonly { name: string; object: unknown }[]): KubernetesResult[] {
  if (!existsSync(PYTHON))
    throw new Error(`${PYTHON} is missing; run 'make python' (make test does) to create the harness environment`);
  const r = spawnSync(PYTHON, [join(HARNESS, 'validate.py'), KUBERNETES_VERSION], {
    input: JSON.stringify(subjects),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`kubernetes-validate harness failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as KubernetesResult[];
}

/** CRD groups under k8s.io that Kubernetes does not define (checked by their own harness). */
const CRD_GROUPS = ['sparkoperator.k8s.io'];

/** Whether Kubernetes itself defines the kind (core and *.k8s.io groups), not a CRD. */
export function isBuiltInKind(apiVersion: unknown): boolean {
  if (typeof apiVersion !== 'string') return false;
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
  if (CRD_GROUPS.includes(group)) return false;
  return group === '' || !group.includes('.') || group.endsWith('.k8s.io');
}
