/**
 * DataHub: per environment `dist/<env>/datahub/`, the catalogue of what dfp defines, as
 * metadata change proposals in the JSON form DataHub's file source reads:
 * `metadata/datasets.json` (each Iceberg table with its schema, owners and tags) and
 * `metadata/pipeline.<name>.json` (the pipeline as a DataFlow, each step as a DataJob with
 * its input and output datasets and upstream jobs). With `endpoints.datahub` set, also
 * `recipe.yml` (file source → datahub-rest sink) and `sync/datahub-ingest.yaml`, a
 * ConfigMap of those files and an Argo CD Sync-hook Job that runs `datahub ingest`.
 */
import { createHash } from 'node:crypto';
import { imagePolicyProblem } from '../../constructs/model/images.ts';
import type { Problem } from '../../constructs/model/errors.ts';
import type { Model } from '../../constructs/model/schema.ts';
import { kubernetesFile, RenderError, type RenderedFile, type Target } from '../types.ts';
import { datasetMcps } from './datasets.ts';
import { pipelineMcps } from './flows.ts';
import { jsonText } from '../../emit/json.ts';
import { sortMcps, type Mcp } from './mcp.ts';
import { recipeYaml } from './recipe.ts';
import { DATAHUB_IMAGE, syncObjects } from './sync.ts';
import { pinImage } from '../../constructs/model/images.ts';
import { URN_RESERVED, fabricOf } from './urns.ts';

/** What the ingest ConfigMap may hold: Kubernetes' 1 MiB, less room for the object's own fields. */
const CONFIG_MAP_LIMIT = 1_000_000;

/** Names that go into URNs as they are; the model's rules keep them plain, this makes sure of every one. */
function urnNameProblems(model: Model): Problem[] {
  return model.pipelines.flatMap((p) =>
    (p.exitHandler ? [...p.steps, p.exitHandler] : p.steps).flatMap((s) =>
      [...(s.datasets?.reads ?? []), ...(s.datasets?.writes ?? [])]
        .filter((d) => URN_RESERVED.test(d.name) || d.name === '')
        .map((d) => ({
          path: s.path,
          message:
            `dataset '${d.name}' (${d.platform}) cannot be a DataHub URN: its name must be non-empty and hold ` +
            'none of , ( ) ␟; rename the table, model or resource',
        })),
    ),
  );
}

const file = (path: string, mcps: readonly Mcp[]): RenderedFile => ({
  path,
  content: jsonText(sortMcps(mcps)),
  kubernetes: false,
});

export const datahubTarget: Target = {
  name: 'datahub',
  appliesTo: () => true,
  check(model, env) {
    const urns = urnNameProblems(model);
    if (env.endpoints.datahub === undefined) return urns;
    // The lock's digest, when it pins the image (constructs/model/images.ts).
    const policy = imagePolicyProblem(env, pinImage(model.imagePins, DATAHUB_IMAGE));
    return [...urns, ...(policy ? [{ path: env.path, message: `the DataHub ingest Job's ${policy}` }] : [])];
  },
  render(model, env): RenderedFile[] {
    // check() has reported every one; a last guard against a broken URN.
    const [urn] = urnNameProblems(model);
    if (urn) throw new RenderError(urn.path, urn.message);
    const fabric = fabricOf(env);
    const files: RenderedFile[] = [
      file('metadata/datasets.json', datasetMcps(model.data, fabric)),
      ...model.pipelines.map((p) => file(`metadata/pipeline.${p.name}.json`, pipelineMcps(p, env, fabric))),
    ];
    const server = env.endpoints.datahub;
    if (server === undefined) return files;
    // The lock's digest, when it pins the image (constructs/model/images.ts).
    const image = pinImage(model.imagePins, DATAHUB_IMAGE);
    const ingested: RenderedFile[] = [
      ...files,
      { path: 'recipe.yml', content: recipeYaml(env, server), kubernetes: false },
    ];
    const bytes = ingested.reduce((n, f) => n + Buffer.byteLength(f.content), 0);
    if (bytes > CONFIG_MAP_LIMIT) {
      throw new RenderError(
        env.path,
        `the DataHub metadata is ${bytes} bytes, more than the ${CONFIG_MAP_LIMIT} a ConfigMap holds; split ` +
          `the definitions over more apps or leave endpoints.datahub unset and ingest dist/${env.name}` +
          '/datahub/metadata/ another way',
      );
    }
    const digest = createHash('sha256');
    for (const f of ingested) digest.update(`${f.path}\n${f.content.length}\n${f.content}`);
    const sync = kubernetesFile('sync/datahub-ingest.yaml', syncObjects(ingested, digest.digest('hex'), env, image));
    return [...ingested, sync];
  },
};
