/** A model Pipeline -> an Argo WorkflowTemplate and, when scheduled, a CronWorkflow. */
import type { ICronWorkflow } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/CronWorkflow';
import type { IWorkflowTemplate } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/WorkflowTemplate';
import { numericCron } from '../../constructs/model/cron.ts';
import type { Environment, Pipeline } from '../../constructs/model/schema.ts';
import { ARTIFACT_REPOSITORY_CONFIGMAP, ARTIFACT_REPOSITORY_KEY } from './artifact-repository.ts';
import { containerTemplate } from './container.ts';
import { DagBuilder } from './dag.ts';
import { literal, valueText } from './expressions.ts';

export const LABELS = { 'app.kubernetes.io/managed-by': 'dfp' };

function metadata(p: Pipeline, env: Environment) {
  return {
    name: p.name,
    namespace: env.namespace,
    labels: { ...LABELS, 'dfp.dev/pipeline': p.name },
    annotations: {
      'workflows.argoproj.io/description': p.description || undefined,
      'dfp.dev/source': p.path,
      'dfp.dev/tags': p.tags.length ? p.tags.join(',') : undefined,
    },
  };
}

export function workflowTemplate(p: Pipeline, env: Environment): IWorkflowTemplate {
  const stepTemplates = p.steps.map((s) => containerTemplate(p, s));
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'WorkflowTemplate',
    metadata: metadata(p, env),
    spec: {
      entrypoint: p.name,
      arguments: p.parameters.length
        ? {
            parameters: p.parameters.map((param) => ({
              name: param.name,
              value:
                param.default === undefined
                  ? undefined
                  : literal(p.path, `parameter '${param.name}' default`, valueText(param.default)),
              description: param.description,
            })),
          }
        : undefined,
      serviceAccountName: env.serviceAccount,
      artifactRepositoryRef: { configMap: ARTIFACT_REPOSITORY_CONFIGMAP, key: ARTIFACT_REPOSITORY_KEY },
      activeDeadlineSeconds: p.timeoutSeconds,
      onExit: p.exitHandler?.name,
      // Keep failed pods for debugging, and finished workflows for a week.
      podGC: { strategy: 'OnPodSuccess' },
      ttlStrategy: { secondsAfterCompletion: 7 * 24 * 3600 },
      templates: [
        ...new DagBuilder(p).templates(),
        ...stepTemplates,
        ...(p.exitHandler ? [containerTemplate(p, p.exitHandler, { exitHandler: true })] : []),
      ],
    },
  } as IWorkflowTemplate;
}

/** Argo v4 CronWorkflow: `schedules` is a list; the run is the WorkflowTemplate. */
export function cronWorkflow(p: Pipeline, env: Environment): ICronWorkflow | undefined {
  if (!p.schedule) return undefined;
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'CronWorkflow',
    metadata: metadata(p, env),
    spec: {
      schedules: [numericCron(p.schedule.cron)],
      timezone: p.schedule.timezone,
      // A pipeline still running when the next run is due is not started twice.
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 3600,
      workflowSpec: { workflowTemplateRef: { name: p.name } },
    },
  } as ICronWorkflow;
}
