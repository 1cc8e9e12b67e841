/**
 * Rules for environments, and for what an environment demands of every pipeline
 * (its image tag policy).
 */
import type { Problems } from './errors.ts';
import { imagePolicyProblems } from './images.ts';
import { checkDnsLabel, checkDnsSubdomain, checkSecretKey, checkUrl } from './names.ts';
import {
  ACCELERATORS,
  ENGINES,
  FEATURE_STORES,
  IMAGE_TAG_POLICIES,
  ORCHESTRATORS,
  type Environment,
  type Model,
} from './schema.ts';

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const GIT_URL = /^(https:\/\/|ssh:\/\/|git@)[^\s]+$/;

export function checkEnvironments(model: Model, problems: Problems, appPath: string): void {
  if (model.environments.length === 0) {
    problems.add(
      appPath,
      "no Environment is defined; add one (new Environment(app, 'dev', {...})) so there is somewhere to render to",
    );
  }
  const seen = new Map<string, string>();
  for (const env of model.environments) {
    const first = seen.get(env.name);
    if (first)
      problems.add(
        env.path,
        `duplicate environment name '${env.name}' (also '${first}'); each renders to dist/<name>/`,
      );
    seen.set(env.name, env.path);
    checkEnvironment(env, problems);
    checkPipelineSelection(env, model, problems);
    checkAccelerators(env, model, problems);
  }
  checkImagePolicies(model, problems);
}

/**
 * In an environment without accelerators a step that asks for a GPU runs on its CPU-only
 * shape (bind-environment.ts); one that has none could never be scheduled there, so it is
 * refused here, at the step, naming the environment.
 */
function checkAccelerators(env: Environment, model: Model, problems: Problems): void {
  if (env.accelerators !== 'none') return;
  for (const p of model.pipelines) {
    if (env.pipelines !== undefined && !env.pipelines.includes(p.name)) continue;
    for (const s of [...p.steps, ...(p.exitHandler ? [p.exitHandler] : [])]) {
      const gpu = s.resources.gpu;
      if (!gpu || gpu.cpuOnly) continue;
      problems.add(
        s.path,
        `asks for ${gpu.count} ${gpu.resource}, but environment '${env.name}' has no accelerators ` +
          `(accelerators: 'none'), so no node could run it there; give the GPU a CPU-only shape ` +
          `(Resources.gpu(${gpu.count}, cpu, memory, { cpuOnly: Resources.fixed('1', '4Gi') })), ` +
          `or leave '${p.name}' out of the environment's pipelines`,
      );
    }
  }
}

/** `pipelines:` names pipelines of the app, each once. */
function checkPipelineSelection(env: Environment, model: Model, problems: Problems): void {
  if (env.pipelines === undefined || !Array.isArray(env.pipelines)) return; // not a list: the schema reports it
  const known = model.pipelines.map((p) => p.name);
  // An emulator benchmark Job is selected by its name too (bind-environment.ts).
  const benchmarks = model.androidBenchmarks.filter((b) => b.deployment.kind === 'job').map((b) => b.name);
  const seen = new Set<string>();
  for (const name of env.pipelines) {
    if (seen.has(name)) problems.add(env.path, `pipelines: '${name}' is listed twice; list each pipeline once`);
    else if (typeof name === 'string' && !known.includes(name) && !benchmarks.includes(name)) {
      problems.add(
        env.path,
        `pipelines: '${name}' is not a pipeline of this app; use the name of a Pipeline (` +
          `${known.length > 0 ? `one of ${known.map((k) => `'${k}'`).join(', ')}` : 'none is defined'}), or ` +
          'leave pipelines out to render every pipeline',
      );
    }
    seen.add(name);
  }
}

function checkEnvironment(env: Environment, problems: Problems): void {
  const add = (message: string | undefined) => message && problems.add(env.path, message);
  add(checkDnsLabel('environment name', env.name));
  // The types allow only these; JavaScript callers and casts can pass anything.
  for (const [field, value, allowed] of [
    ['orchestrator', env.orchestrator, ORCHESTRATORS],
    ['engine', env.engine, ENGINES],
    ['featureStore', env.featureStore, FEATURE_STORES],
    ['imageTagPolicy', env.imageTagPolicy, IMAGE_TAG_POLICIES],
    ['accelerators', env.accelerators, ACCELERATORS],
  ] as const) {
    if (!(allowed as readonly string[]).includes(value)) add(`${field} '${value}' is not one of ${allowed.join(', ')}`);
  }
  add(checkDnsLabel('namespace', env.namespace));
  add(checkUrl('endpoints.lakefs', env.endpoints.lakefs));
  add(checkUrl('endpoints.mlflow', env.endpoints.mlflow));
  add(checkUrl('endpoints.s3', env.endpoints.s3));
  if (env.endpoints.datahub !== undefined)
    add(checkUrl('endpoints.datahub', env.endpoints.datahub) ?? datahubQueryProblem(env.endpoints.datahub));
  // An empty secret is a refused token value, reported where it was built.
  if (env.datahubToken.secret !== '') {
    add(checkDnsSubdomain('datahubToken.secret', env.datahubToken.secret));
    add(checkSecretKey(env.datahubToken.secret, env.datahubToken.key));
  }
  const repo = env.artifactRepository;
  add(checkUrl('artifactRepository.endpoint', repo.endpoint));
  if (!BUCKET.test(repo.bucket))
    add(
      `artifactRepository.bucket '${repo.bucket}' is not an S3 bucket name: 3-63 lower-case letters, digits, ` +
        `'.' and '-'`,
    );
  // The prefix is spliced into Argo's keyFormat, a template: only S3's safe key characters.
  if (!/^[A-Za-z0-9!_.*'()/-]*$/.test(repo.keyPrefix))
    add(
      `artifactRepository.keyPrefix '${repo.keyPrefix}' may hold only letters, digits and ! _ . * ' ( ) / - ` +
        `(S3's safe key characters)`,
    );
  else if (/^\/|\/$|\/\//.test(repo.keyPrefix))
    add(`artifactRepository.keyPrefix '${repo.keyPrefix}' must not start or end with '/' or contain '//'`);
  if (!/^[a-z0-9][a-z0-9-]*$/.test(repo.region))
    add(`artifactRepository.region '${repo.region}' is not a region name such as 'us-east-1'`);
  add(checkDnsSubdomain('artifactRepository.credentials.secret', repo.credentials.secret));
  add(checkSecretKey(repo.credentials.secret, repo.credentials.accessKeyKey));
  add(checkSecretKey(repo.credentials.secret, repo.credentials.secretKeyKey));
  add(checkDnsSubdomain('serviceAccount', env.serviceAccount));
  if (!GIT_URL.test(env.gitops.repoURL))
    add(`gitops.repoURL '${env.gitops.repoURL}' must be an https://, ssh:// or git@ repository URL`);
  if (env.gitops.targetRevision.trim() === '') add('gitops.targetRevision must name a branch, tag or commit');
}

/** A query on the GMS URL is where a token would hide (`?token=`): the token has its own Secret reference. */
function datahubQueryProblem(url: string): string | undefined {
  const u = new URL(url);
  if (u.search === '' && u.hash === '') return undefined;
  return (
    `endpoints.datahub '${u.host}' must not carry a query or fragment; give the GMS base URL, and the token by ` +
    `reference in datahubToken: { secret: '<Secret name>', key: '<key>' }`
  );
}

/**
 * Every image against every environment's policy, each problem once: an image breaks a
 * policy whatever the environment, so environments with the same policy share one line.
 */
function checkImagePolicies(model: Model, problems: Problems): void {
  const jobContainers = model.androidBenchmarks.flatMap((b) =>
    b.deployment.kind === 'job' ? [b.deployment.container] : [],
  );
  for (const p of [...model.pipelines, { steps: jobContainers, exitHandler: undefined }]) {
    for (const s of p.exitHandler ? [...p.steps, p.exitHandler] : p.steps) {
      for (const problem of imagePolicyProblems(model.environments, s.image)) problems.add(s.path, problem);
    }
  }
}
