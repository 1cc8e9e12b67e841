/**
 * Chronon, the alternative feature store (docs/feature-stores.md): per environment with
 * `featureStore: 'chronon'` one repo, `dist/<env>/chronon/<project>/`: `teams.json` (the
 * team and the namespace Chronon writes its tables to), a GroupBy module per feature view
 * (`group_bys/dfp/<view>.py`), a Join module per feature service (`joins/dfp/<service>.py`)
 * and `definitions.sha256`, the same digest of the canonical definitions the Feast repo
 * carries and training records as `features.defs_sha256`. `sync/chronon-apply.yaml`
 * compiles and uploads that repo on every Argo CD sync (sync.ts). What Chronon cannot
 * express (a TTL that is not whole hours, a column Chronon reserves, a service whose views
 * share no table with every key) is a RenderError at the view's or service's path.
 */
import { definitionsDigest } from '../../constructs/model/definitions-digest.ts';
import { jsonText } from '../../emit/json.ts';
import { imagePolicyProblem } from '../../constructs/model/images.ts';
import type { Environment } from '../../constructs/model/schema.ts';
import { featureRepoName } from '../data-plane.ts';
import { kubernetesFile, SYNC_WAVE, type RenderedFile, type Target } from '../types.ts';
import { TEAM, chrononProblems, groupByModule, joinModule } from './definitions.ts';
import { CHRONON_IMAGE, syncObjects } from './sync.ts';
import { pinImage } from '../../constructs/model/images.ts';

/** The repo's folder under `dist/<env>/chronon/`: `dfp_<env>`, as Feast's project is named. */
export const chrononProject = featureRepoName;

/** Chronon's team configuration: where the team's tables go; `default` is required by compile.py. */
function teamsJson(env: Environment): string {
  const namespace = `chronon_${env.name.replace(/-/g, '_')}`;
  const teams = {
    default: { description: 'Defaults for every team.', namespace, table_properties: {} },
    [TEAM]: { description: `The definitions dfp renders for environment ${env.name}.`, namespace },
  };
  return jsonText(teams);
}

export const chrononTarget: Target = {
  name: 'chronon',
  syncWave: SYNC_WAVE.definitions,
  appliesTo: (env) => env.featureStore === 'chronon',
  check(model, env) {
    if (model.data.featureViews.length === 0) return [];
    // The lock's digest, when it pins the image (constructs/model/images.ts).
    const policy = imagePolicyProblem(env, pinImage(model.imagePins, CHRONON_IMAGE));
    return [
      ...chrononProblems(model.data),
      ...(policy ? [{ path: env.path, message: `the Chronon sync Job's ${policy}` }] : []),
    ];
  },
  render(model, env): RenderedFile[] {
    const data = model.data;
    if (data.featureViews.length === 0) return [];
    // The lock's digest, when it pins the image (constructs/model/images.ts).
    const image = pinImage(model.imagePins, CHRONON_IMAGE);
    const dir = chrononProject(env);
    const digest = definitionsDigest(data);
    // A Join is online when every view it reads is (joinModule's `online`).
    const onlineJoin = data.featureServices.some((s) =>
      s.features.every((f) => data.featureViews.find((v) => v.name === f.view)?.online),
    );
    const repo: RenderedFile[] = [
      { path: `${dir}/teams.json`, content: teamsJson(env), kubernetes: false },
      ...data.featureViews.map((v): RenderedFile => ({
        path: `${dir}/group_bys/${TEAM}/${v.name}.py`,
        content: groupByModule(data, v),
        kubernetes: false,
      })),
      ...data.featureServices.map((s): RenderedFile => ({
        path: `${dir}/joins/${TEAM}/${s.name}.py`,
        content: joinModule(data, s),
        kubernetes: false,
      })),
      { path: `${dir}/definitions.sha256`, content: `${digest}\n`, kubernetes: false },
    ];
    return [...repo, kubernetesFile('sync/chronon-apply.yaml', syncObjects(dir, repo, digest, env, image, onlineJoin))];
  },
};
