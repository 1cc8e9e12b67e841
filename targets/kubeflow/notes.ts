/**
 * What Kubeflow will not do of what a pipeline asks, as synth's notes (synth/notes.ts): it runs
 * a pipeline on a schedule only through a recurring run, which is made through KFP's API, not
 * from files, and it has no run-wide timeout. dfp keeps both as annotations on the Pipeline
 * object (manifests.ts) for reviewers.
 */
import type { Model } from '../../constructs/model/schema.ts';

export function kubeflowNotes(model: Model): string[] {
  return model.pipelines.flatMap((p) => {
    if (!p.schedule && p.timeoutSeconds === undefined) return [];
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
    return [`${p.name} on kubeflow: ${what}; ${fix}`];
  });
}
