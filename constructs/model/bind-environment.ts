/**
 * The lineage stamps only an environment knows. The model is the same for every
 * environment; a step that declared `lineage:` also has to say where it ran (the
 * environment, its lakeFS endpoint) and which definitions rendered it. Synth calls
 * {@link bindEnvironment} once per environment before any target renders, so every
 * orchestrator gets the same stamps as plain env entries and needs no code for them.
 */
import { createHash } from 'node:crypto';
import { LINEAGE_ENV } from '../lineage.ts';
import { canonicalJson } from '../../emit/json.ts';
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
  return createHash('sha256')
    .update(canonicalJson(pipeline as unknown as JsonValue))
    .digest('hex');
}

/**
 * The model as `env` renders it: only the pipelines and benchmark Jobs it selects
 * (`pipelines:`, every one by default), and steps with lineage gain the environment's stamps
 * and their image.
 */
export function bindEnvironment(model: Model, env: Environment): Model {
  const selected =
    env.pipelines === undefined ? model.pipelines : model.pipelines.filter((p) => env.pipelines!.includes(p.name));
  const cpuOnly = env.accelerators === 'none';
  if (selected === model.pipelines && !model.pipelines.some((p) => needsBinding(p) || (cpuOnly && usesGpu(p))))
    return model;
  return {
    ...model,
    pipelines: selected.map((p) => {
      const bound = bindPipeline(p, env);
      return cpuOnly && usesGpu(bound) ? withoutAccelerators(bound) : bound;
    }),
    androidBenchmarks: selectedBenchmarks(model, env),
  };
}

const usesGpu = (p: Pipeline) => p.steps.some((s) => s.resources.gpu) || p.exitHandler?.resources.gpu !== undefined;

/**
 * The pipeline as an environment without accelerators runs it (`accelerators: 'none'`): each
 * step that asks for a GPU asks for its CPU-only shape instead, and its node selector and
 * tolerations lose those of the GPU's nodes. A step without a CPU-only shape was refused
 * already (rules-environment.ts). The definitions digest stays that of the pipeline as
 * written: it is the same code, run on other nodes.
 */
function withoutAccelerators(p: Pipeline): Pipeline {
  const cpu = (s: Step): Step => {
    const gpu = s.resources.gpu;
    if (!gpu?.cpuOnly) return s;
    const sameToleration = (a: Step['tolerations'][number], b: Step['tolerations'][number]) =>
      a.key === b.key && a.operator === b.operator && a.value === b.value && a.effect === b.effect;
    const { gpu: _gpu, ...resources } = s.resources;
    return {
      ...s,
      resources: { ...resources, requests: { ...gpu.cpuOnly.requests }, limits: { ...gpu.cpuOnly.limits } },
      nodeSelector: Object.fromEntries(Object.entries(s.nodeSelector).filter(([k, v]) => gpu.nodeSelector[k] !== v)),
      tolerations: s.tolerations.filter((t) => !gpu.tolerations.some((g) => sameToleration(t, g))),
    };
  };
  return { ...p, steps: p.steps.map(cpu), ...(p.exitHandler ? { exitHandler: cpu(p.exitHandler) } : {}) };
}

/** An environment that lists its pipelines deploys the benchmark Jobs it lists too, and no other. */
function selectedBenchmarks(model: Model, env: Environment): Model['androidBenchmarks'] {
  return env.pipelines === undefined
    ? model.androidBenchmarks
    : model.androidBenchmarks.filter((b) => env.pipelines!.includes(b.name));
}

function hasLineage(p: Pipeline): boolean {
  return p.steps.some((s) => s.lineage) || p.exitHandler?.lineage === true;
}

/**
 * A step given lakeFS's key pair (`LAKEFS_ACCESS_KEY_ID` from a Secret) without lineage is
 * also told where lakeFS is: `LAKEFS_ENDPOINT`, the environment's (a lineage step gets it
 * with its stamps). lakeFS programs (dfp_tools.lakefs_commit_merge) read it from there.
 */
function needsLakeFsEndpoint(s: Step): boolean {
  return (
    !s.lineage &&
    s.secretEnv.some((e) => e.name === 'LAKEFS_ACCESS_KEY_ID') &&
    !s.env.some((e) => e.name === LINEAGE_ENV.lakefsEndpoint)
  );
}

function needsBinding(p: Pipeline): boolean {
  return (
    hasLineage(p) ||
    p.steps.some(needsLakeFsEndpoint) ||
    (p.exitHandler !== undefined && needsLakeFsEndpoint(p.exitHandler))
  );
}

function bindPipeline(p: Pipeline, env: Environment): Pipeline {
  if (!needsBinding(p)) return p;
  if (!hasLineage(p)) {
    const endpoint = (s: Step): Step =>
      needsLakeFsEndpoint(s)
        ? {
            ...s,
            env: [
              ...s.env,
              { name: LINEAGE_ENV.lakefsEndpoint, value: [{ kind: 'literal' as const, value: env.endpoints.lakefs }] },
            ],
          }
        : s;
    return { ...p, steps: p.steps.map(endpoint), ...(p.exitHandler ? { exitHandler: endpoint(p.exitHandler) } : {}) };
  }
  const stamps: Record<string, string> = {
    [LINEAGE_ENV.pipeline]: p.name,
    [LINEAGE_ENV.environment]: env.name,
    [LINEAGE_ENV.definitions]: definitionsDigest(p),
    [LINEAGE_ENV.lakefsEndpoint]: env.endpoints.lakefs,
  };
  // And the step's image, as the model has it (by digest when the lock pins it: images.ts),
  // so the run can record the exact code that made it (dfp_tools.lineage: `code.image`).
  const literal = (name: string, value: string) => ({ name, value: [{ kind: 'literal' as const, value }] });
  const bind = (s: Step): Step =>
    s.lineage
      ? {
          ...s,
          env: [
            ...s.env,
            ...Object.entries(stamps).map(([name, value]) => literal(name, value)),
            literal(LINEAGE_ENV.image, s.image),
          ],
        }
      : needsLakeFsEndpoint(s)
        ? { ...s, env: [...s.env, literal(LINEAGE_ENV.lakefsEndpoint, env.endpoints.lakefs)] }
        : s;
  return { ...p, steps: p.steps.map(bind), ...(p.exitHandler ? { exitHandler: bind(p.exitHandler) } : {}) };
}
