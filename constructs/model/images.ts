/**
 * Images by digest. Pipelines name images by name and tag; dfp.lock.json's `images`
 * section (written by `make images` through `dfp lock --images`) pins each to the manifest
 * digest it was built as, and the model carries every image as `name:tag@sha256:…` when
 * the lock has it, so every target renders the same pinned reference and an image rebuild
 * shows in the pull request as a diff of the lock and of dist/. Synth reads only the lock.
 *
 * An image the lock does not pin renders by its tag; synth says which ones (a warning), and
 * an environment with imageTagPolicy 'digest' refuses them (rules-environment.ts).
 */
import type { AndroidBenchmark } from './android.ts';
import { environmentsNamed } from './errors.ts';
import { checkImage, imageTagAndDigest } from './names.ts';
import type { Environment, Model, Pipeline, Step } from './schema.ts';

/** The images the sync hooks run, at the versions their conformance harnesses pin. */
export const FEAST_IMAGE = 'registry.dfp.internal/dfp/feast:0.67.0';
export const CHRONON_IMAGE = 'registry.dfp.internal/dfp/chronon:0.0.115';
export const DATAHUB_IMAGE = 'registry.dfp.internal/dfp/datahub-ingestion:1.7.0.17';
/**
 * The launcher dfp builds (dfp_tools.run_transform), which also moves Airflow's artifacts; pinned, as environments
 * require.
 */
export const TRANSFORM_LAUNCHER_IMAGE = 'registry.dfp.internal/dfp/transform-launcher:0.1.0';

/** Image reference -> `sha256:<hex>`, as dfp.lock.json's `images` section has it. */
export type ImagePins = Readonly<Record<string, string>>;

/** `image@digest` when the lock pins `image` (and it has no digest of its own), else `image`. */
export function pinImage(pins: ImagePins, image: string): string {
  // A prop of the wrong type (a JavaScript caller) is left for the rules to report at its path.
  if (typeof image !== 'string' || imageTagAndDigest(image).digest !== undefined) return image;
  const digest = pins[image];
  return digest === undefined ? image : `${image}@${digest}`;
}

/** The model with every image its parts name pinned as the lock says. */
export function pinModelImages<M extends Omit<Model, 'imagePins'>>(model: M, pins: ImagePins): M {
  if (Object.keys(pins).length === 0) return model;
  const pin = (image: string) => pinImage(pins, image);
  const step = (s: Step): Step => ({ ...s, image: pin(s.image) });
  const pipeline = (p: Pipeline): Pipeline => ({
    ...p,
    steps: p.steps.map(step),
    ...(p.exitHandler ? { exitHandler: step(p.exitHandler) } : {}),
  });
  const benchmark = (b: AndroidBenchmark): AndroidBenchmark => ({ ...b, emulatorImage: pin(b.emulatorImage) });
  return {
    ...model,
    pipelines: model.pipelines.map(pipeline),
    androidBenchmarks: model.androidBenchmarks.map(benchmark),
    data: {
      ...model.data,
      transforms: model.data.transforms.map((t) => ({
        ...t,
        images: Object.fromEntries(
          Object.entries(t.images).map(([engine, image]) => [engine, image === undefined ? image : pin(image)]),
        ),
      })),
      dbtProjects: model.data.dbtProjects.map((d) => ({ ...d, image: pin(d.image) })),
    },
  };
}

/**
 * Every image the model's environments render, sorted: the steps', the transforms' (for
 * the engines the environments use), the dbt projects', the emulator benchmarks' and the
 * sync hooks' (for the feature stores and catalogues the environments use).
 */
export function renderedImages(model: Model): string[] {
  const images = new Set<string>();
  for (const p of model.pipelines)
    for (const s of [...p.steps, ...(p.exitHandler ? [p.exitHandler] : [])]) images.add(s.image);
  const engines = new Set(model.environments.map((e) => e.engine));
  for (const t of model.data.transforms)
    for (const [engine, image] of Object.entries(t.images))
      if (image !== undefined && engines.has(engine as never)) images.add(image);
  for (const d of model.data.dbtProjects) images.add(d.image);
  for (const b of model.androidBenchmarks) images.add(b.emulatorImage);
  const stores = new Set(model.environments.map((e) => e.featureStore));
  if (model.data.featureViews.length > 0 && stores.has('feast')) images.add(pinImage(model.imagePins, FEAST_IMAGE));
  if (model.data.featureViews.length > 0 && stores.has('chronon')) images.add(pinImage(model.imagePins, CHRONON_IMAGE));
  if (model.environments.some((e) => e.endpoints.datahub !== undefined))
    images.add(pinImage(model.imagePins, DATAHUB_IMAGE));
  return [...images].sort();
}

/** The images synth renders by tag because the lock has no digest for them. */
export function unpinnedImages(model: Model): string[] {
  return renderedImages(model).filter((i) => imageTagAndDigest(i).digest === undefined);
}

/**
 * Why `image` breaks the policies of `envs`: one message per policy it breaks, naming
 * every environment that has that policy (malformed images are reported elsewhere).
 */
export function imagePolicyProblems(envs: readonly Environment[], image: string): string[] {
  const byPolicy = new Map<Environment['imageTagPolicy'], string[]>();
  for (const env of envs) byPolicy.set(env.imageTagPolicy, [...(byPolicy.get(env.imageTagPolicy) ?? []), env.name]);
  return [...byPolicy].flatMap(([policy, names]) => policyProblem(policy, names, image) ?? []);
}

/** Why `image` breaks the environment's imageTagPolicy, or undefined (malformed images are reported elsewhere). */
export function imagePolicyProblem(env: Environment, image: string): string | undefined {
  return policyProblem(env.imageTagPolicy, [env.name], image);
}

function policyProblem(
  policy: Environment['imageTagPolicy'],
  envs: readonly string[],
  image: string,
): string | undefined {
  if (policy === 'any' || checkImage(image)) return undefined;
  const { tag, digest } = imageTagAndDigest(image);
  const { who, plural } = environmentsNamed(envs);
  const s = plural ? '' : 's';
  if (policy === 'digest' && !digest) {
    return (
      `image '${image}' has no digest, but ${who} require${s} one (imageTagPolicy 'digest'); pin it as ` +
      `'<image>@sha256:…'`
    );
  }
  if (policy === 'no-latest' && !digest && (tag === undefined || tag === 'latest')) {
    return (
      `image '${image}' is not pinned, but ${who} forbid${s} untagged and ':latest' images (imageTagPolicy ` +
      `'no-latest'); give it a version tag or a digest`
    );
  }
  return undefined;
}
