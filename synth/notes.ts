/**
 * What an environment's targets will not do of what a pipeline asks (issue 27), printed at
 * synth, one line per pipeline: not errors, since the pipeline still runs, but never dropped
 * without a word. Each target says its own (`Target.notes`: Kubeflow's schedules and run
 * timeouts, Airflow's and Argo's caching); this file only gathers them.
 */
import { bindEnvironment } from '../constructs/model/bind-environment.ts';
import type { Model } from '../constructs/model/schema.ts';
import { TARGETS } from '../targets/index.ts';
import type { Target } from '../targets/types.ts';

/** One line per note (with the environments it concerns), sorted. */
export function synthNotes(model: Model, targets: readonly Target[] = TARGETS): string[] {
  const notes = new Map<string, string[]>(); // line without environments -> environments
  for (const env of model.environments) {
    const bound = bindEnvironment(model, env);
    for (const target of targets.filter((t) => t.notes && t.appliesTo(env))) {
      for (const line of target.notes!(bound, env)) notes.set(line, [...(notes.get(line) ?? []), env.name]);
    }
  }
  return [...notes]
    .map(([line, envs]) => `dfp: note: ${line} (environment${envs.length === 1 ? '' : 's'} ${envs.join(', ')})`)
    .sort();
}
