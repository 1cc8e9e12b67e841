/** What Airflow will not do of what a pipeline asks, as synth's notes (synth/notes.ts): it has no task cache. */
import type { Model } from '../../constructs/model/schema.ts';

export function airflowNotes(model: Model): string[] {
  return model.pipelines.flatMap((p) => {
    const cached = [...p.steps, ...(p.exitHandler ? [p.exitHandler] : [])].filter((s) => s.caching);
    if (cached.length === 0) return [];
    return [
      `${p.name} on airflow: Airflow has no task cache, so caching on ` +
        `${cached.map((s) => s.name).join(', ')} has no effect; ` +
        `${cached.length === 1 ? 'it runs' : 'they run'} every time`,
    ];
  });
}
