/**
 * The lineage stamps only an environment knows. The model is the same for every
 * environment; a step that declared `lineage:` also has to say where it ran (the
 * environment, its lakeFS endpoint) and which definitions rendered it. Synth calls
 * {@link bindEnvironment} once per environment before any target renders, so every
 * orchestrator gets the same stamps as plain env entries and needs no code for them.
 */
import { createHash } from 'node:crypto';
import { LINEAGE_ENV } from '../lineage.ts';
import { canonicalJson } from './canonical-json.ts';
import type { Environment, JsonValue, Model, Pipeline, Step } from './schema.ts';

/** The env names {@link bindEnvironment} adds; a step with lineage may not set them itself. */
export const ENVIRONMENT_STAMPS: readonly string[] = [
  LINEAGE_ENV.pipeline,
  LINEAGE_ENV.environment,
  LINEAGE_ENV.definitions,
  LINEAGE_ENV.lakefsEndpoint,
  LINEAGE_ENV.image,
];

/**
 * The sha256 of a pipeline's model, as canonical JSON. It changes whenever anything
 * that runs changes (an image, an argument, a locked commit), and is the same for every
 * environment and orchestrator, so `dfp trace` can find the commit of this repository
 * whose dist/ first held it.
 */
export function definitionsDigest(pipeline: Pipeline): string {
  return createHash('sha256').update(canonicalJson(pipeline as unknown as JsonValue)).digest('hex');
}

/**
 * The model as `env` renders it: only the pipelines it selects (`pipelines:`, every one
 * by default), and steps with lineage gain the environment's stamps and their image.
 */
export function bindEnvironment(model: Model, env: Environment): Model {
  const selected = env.pipelines === undefined ? model.pipelines : model.pipelines.filter((p) => env.pipelines!.includes(p.name));
  if (selected === model.pipelines && !model.pipelines.some(hasLineage)) return model;
  return { ...model, pipelines: selected.map((p) => bindPipeline(p, env)) };
}

function hasLineage(p: Pipeline): boolean {
  return p.steps.some((s) => s.lineage) || p.exitHandler?.lineage === true;
}

function bindPipeline(p: Pipeline, env: Environment): Pipeline {
  if (!hasLineage(p)) return p;
  const stamps: Record<string, string> = {
    [LINEAGE_ENV.pipeline]: p.name,
    [LINEAGE_ENV.environment]: env.name,
    [LINEAGE_ENV.definitions]: definitionsDigest(p),
    [LINEAGE_ENV.lakefsEndpoint]: env.endpoints.lakefs,
  };
  // And the step's image, as the model has it (by digest when the lock pins it: images.ts),
  // so the run can record the exact code that made it (dfp_tools.lineage: `code.image`).
  const literal = (name: string, value: string) => ({ name, value: [{ kind: 'literal' as const, value }] });
  const bind = (s: Step): Step => (s.lineage
    ? { ...s, env: [...s.env, ...Object.entries(stamps).map(([name, value]) => literal(name, value)), literal(LINEAGE_ENV.image, s.image)] }
    : s);
  return { ...p, steps: p.steps.map(bind), ...(p.exitHandler ? { exitHandler: bind(p.exitHandler) } : {}) };
}
