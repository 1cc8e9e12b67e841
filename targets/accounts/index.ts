/**
 * The ServiceAccounts the environment's pods run as: every `serviceAccountName` in the
 * Kubernetes objects the other targets render (the environment's account, `dfp-runner` by
 * default, and the steps' own), each once, in the namespace. Their own Application, in the
 * first sync wave, because pods of every wave run as them: the Sync hooks of wave 0 (Feast,
 * Chronon apply) as much as the workflows, Jobs and catalog ingestion of wave 1. A
 * ServiceAccount synced by a wave-1 Application (the Argo target rendered them before)
 * does not exist when a wave-0 hook's pod is to be created; the hook then holds its
 * wave until its deadline, on every sync from an empty namespace (docs/gitops.md).
 */
import type { RenderedFile, Target } from '../types.ts';
import { SYNC_WAVE, kubernetesFile } from '../types.ts';

type Json = Record<string, unknown>;

/** Adds every `serviceAccountName` string in `o` (a Kubernetes object or part of one) to `out`. */
function serviceAccountNames(o: object, out: Set<string>): void {
  // Only collections are descended into: a Kubeflow PipelineVersion holds its whole spec.
  if (Array.isArray(o)) {
    for (const v of o as unknown[]) if (v !== null && typeof v === 'object') serviceAccountNames(v, out);
    return;
  }
  for (const k of Object.keys(o)) {
    const v = (o as Json)[k];
    if (v !== null && typeof v === 'object') serviceAccountNames(v, out);
    else if (k === 'serviceAccountName' && typeof v === 'string') out.add(v);
  }
}

export const accountsTarget: Target = {
  name: 'accounts',
  last: true,
  syncWave: SYNC_WAVE.accounts,
  appliesTo: () => true,
  render(_model, env, others = []): RenderedFile[] {
    const names = new Set<string>();
    const rendered = new Set<string>();
    for (const output of others) {
      for (const f of output.files) {
        if (!f.kubernetes) continue;
        for (const o of f.objects as readonly Json[]) {
          const md = o.metadata as Json | undefined;
          if (o.kind === 'ServiceAccount' && typeof md?.name === 'string') rendered.add(md.name);
          serviceAccountNames(o, names);
        }
      }
    }
    const accounts = [...names].filter((n) => !rendered.has(n)).sort();
    if (accounts.length === 0) return [];
    const labels = { 'app.kubernetes.io/managed-by': 'dfp' };
    return [
      kubernetesFile(
        'service-accounts.yaml',
        accounts.map((name) => ({
          apiVersion: 'v1',
          kind: 'ServiceAccount',
          metadata: { name, namespace: env.namespace, labels },
        })),
      ),
    ];
  },
};
