/**
 * What Argo will not do of what a pipeline asks, as synth's notes (synth/notes.ts): it memoizes
 * a step by its parameters only, so a step that reads an input artifact is not cached
 * (container.ts).
 */
import type { Model } from '../../constructs/model/schema.ts';

export function argoNotes(model: Model): string[] {
  return model.pipelines.flatMap((p) => {
    const steps = [...p.steps, ...(p.exitHandler ? [p.exitHandler] : [])];
    const withArtifacts = steps.filter((s) => s.caching && s.inputs.artifacts.length > 0);
    if (withArtifacts.length === 0) return [];
    return [
      `${p.name} on argo: Argo memoizes a step by its parameters only, so ` +
        `${withArtifacts.map((s) => s.name).join(', ')} (reading input artifacts) ` +
        `${withArtifacts.length === 1 ? 'is' : 'are'} not cached`,
    ];
  });
}
