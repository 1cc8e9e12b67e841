/**
 * Kubeflow's Kubernetes-native API (`pipelines.kubeflow.org/v2beta1`): a Pipeline and a
 * PipelineVersion that embeds the compiled spec, for Argo CD to apply. A version's spec
 * cannot change once created, so its name carries a hash of what it embeds: a changed
 * pipeline becomes a new version, an unchanged one keeps its name.
 *
 * Argo CD never prunes a PipelineVersion (docs/gitops.md): when an edit renames it, the
 * previous version may still be used by a run in progress or by a recurring run, so it
 * stays in the cluster, and does not make the Application OutOfSync (IgnoreExtraneous).
 * Removing old versions is the platform's retention job, not a sync's.
 */
import { createHash } from 'node:crypto';
import type { Environment, Pipeline } from '../../constructs/model/schema.ts';
import type { CompiledPipeline } from './pipeline-spec.ts';

const API_VERSION = 'pipelines.kubeflow.org/v2beta1';

function labels(p: Pipeline) {
  return { 'app.kubernetes.io/managed-by': 'dfp', 'dfp.dev/pipeline': p.name };
}

/**
 * What the spec has no field for, kept visible for reviewers and tooling: KFP schedules
 * runs through recurring runs, not through the pipeline, and has no run-wide timeout.
 */
function annotations(p: Pipeline): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  if (p.schedule) out['dfp.dev/schedule'] = `${p.schedule.cron} (${p.schedule.timezone})`;
  if (p.timeoutSeconds !== undefined) out['dfp.dev/timeout-seconds'] = String(p.timeoutSeconds);
  if (p.tags.length) out['dfp.dev/tags'] = p.tags.join(',');
  return Object.keys(out).length ? out : undefined;
}

/**
 * `<pipeline>-<first 10 hex digits of sha256 over the IR file>`: a new version name
 * exactly when the IR Kubeflow runs changes.
 */
export function versionName(p: Pipeline, ir: string): string {
  return `${p.name}-${createHash('sha256').update(ir).digest('hex').slice(0, 10)}`;
}

/** Argo CD's per-object settings that keep a PipelineVersion when git no longer has it. */
export const KEEP_WHEN_REMOVED = {
  'argocd.argoproj.io/sync-options': 'Prune=false',
  'argocd.argoproj.io/compare-options': 'IgnoreExtraneous',
};

/** The Pipeline and PipelineVersion objects; `ir` is the pipeline's printed IR file. */
export function pipelineObjects(p: Pipeline, env: Environment, compiled: CompiledPipeline, ir: string): object[] {
  const version = versionName(p, ir);
  return [
    {
      apiVersion: API_VERSION,
      kind: 'Pipeline',
      metadata: { name: p.name, namespace: env.namespace, labels: labels(p), annotations: annotations(p) },
      spec: { displayName: p.name, description: p.description || undefined },
    },
    {
      apiVersion: API_VERSION,
      kind: 'PipelineVersion',
      metadata: { name: version, namespace: env.namespace, labels: labels(p), annotations: { ...KEEP_WHEN_REMOVED } },
      spec: {
        pipelineName: p.name,
        displayName: version,
        description: p.description || undefined,
        pipelineSpec: compiled.pipelineSpec,
        platformSpec: compiled.platformSpec,
      },
    },
  ];
}
