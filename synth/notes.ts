/**
 * What an environment's orchestrator will not do of what a pipeline asks (issue 27),
 * printed at synth, one line per pipeline: not errors, since the pipeline still runs,
 * but never dropped without a word.
 *
 * - Kubeflow runs a pipeline on a schedule only through a recurring run, which is made
 *   through KFP's API, not from files; it has no run-wide timeout. dfp keeps both as
 *   annotations on the Pipeline object (targets/kubeflow/manifests.ts) for reviewers.
 * - Argo memoizes a step by its parameters only, so a step that reads an input artifact
 *   is not cached (targets/argo/container.ts); Airflow has no task cache at all.
 */
import { bindEnvironment } from '../constructs/model/bind-environment.ts';
import type { Model, Pipeline } from '../constructs/model/schema.ts';

const stepsOf = (p: Pipeline) => [...p.steps, ...(p.exitHandler ? [p.exitHandler] : [])];

/** One line per pipeline and orchestrator (with the environments it concerns), sorted. */
export function synthNotes(model: Model): string[] {
  const notes = new Map<string, string[]>(); // line without environments -> environments
  const add = (line: string, env: string) => notes.set(line, [...(notes.get(line) ?? []), env]);
  for (const env of model.environments) {
    for (const p of bindEnvironment(model, env).pipelines) {
      if (env.orchestrator === 'kubeflow' && (p.schedule || p.timeoutSeconds !== undefined)) {
        const what = [
          p.schedule
            ? `its schedule (${p.schedule.cron} ${p.schedule.timezone}) does not run: KFP schedules only through ` +
              'recurring runs, which are made through its API, not from dist/'
            : undefined,
          p.timeoutSeconds !== undefined
            ? `its timeout (${p.timeoutSeconds} s) is not enforced: KFP has no run-wide timeout`
            : undefined,
        ]
          .filter((x) => x !== undefined)
          .join('; and ');
        const fix = p.schedule
          ? 'create a recurring run for it (kfp Client().create_recurring_run), or choose argo or airflow for ' +
            'this environment'
          : "give its steps a timeout (each step's timeout is enforced), or choose argo or airflow for this " +
            'environment';
        add(`${p.name} on kubeflow: ${what}; ${fix}`, env.name);
      }
      const cached = stepsOf(p).filter((s) => s.caching);
      if (env.orchestrator === 'airflow' && cached.length > 0) {
        add(
          `${p.name} on airflow: Airflow has no task cache, so caching on ` +
            `${cached.map((s) => s.name).join(', ')} has no effect; ` +
            `${cached.length === 1 ? 'it runs' : 'they run'} every time`,
          env.name,
        );
      }
      const withArtifacts = cached.filter((s) => s.inputs.artifacts.length > 0);
      if (env.orchestrator === 'argo' && withArtifacts.length > 0) {
        add(
          `${p.name} on argo: Argo memoizes a step by its parameters only, so ` +
            `${withArtifacts.map((s) => s.name).join(', ')} (reading input artifacts) ` +
            `${withArtifacts.length === 1 ? 'is' : 'are'} not cached`,
          env.name,
        );
      }
    }
  }
  return [...notes]
    .map(([line, envs]) => `dfp: note: ${line} (environment${envs.length === 1 ? '' : 's'} ${envs.join(', ')})`)
    .sort();
}
