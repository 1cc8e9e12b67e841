/**
 * The one way into the model: construct tree -> plain data -> every rule checked ->
 * frozen. All problems are collected and reported together, each with its construct path.
 */
import type { IConstruct } from 'constructs';
import { Environment } from '../environment.ts';
import { Condition as ConditionGroup, ParallelFor } from '../groups.ts';
import { Pipeline } from '../pipeline.ts';
import { ContainerStep } from '../step.ts';
import type { JsonValue, LoopItemRef, Operand } from '../refs.ts';
import { Problems, article, describeValue } from './errors.ts';
import { StepBuilder } from './build-step.ts';
import { ANDROID_BENCHMARK, isAndroidBenchmarkSource, type AndroidBenchmarkSource } from './android.ts';
import { checkAndroidBenchmarks } from './rules-android.ts';
import { buildDataPlane } from './build-data.ts';
import { definitionsDigest } from './definitions-digest.ts';
import type { LineagePins } from '../lineage.ts';
import { buildTransforms } from './build-transforms.ts';
import { analyticsStepFields, buildDbtProjects, type AnalyticsContext } from './build-analytics.ts';
import { checkTransforms } from './rules-transforms.ts';
import { checkEnvironments } from './rules-environment.ts';
import { checkPipeline } from './rules-pipeline.ts';
import { checkMountPaths, checkStepPlacement } from './rules-usability.ts';
import { checkProps } from './props.ts';
import {
  jsonValue,
  model as modelSchema,
  type Environment as EnvironmentModel,
  type Group,
  type Model,
  type Pipeline as PipelineModel,
  type Source,
} from './schema.ts';
import { PipelineScope } from './scope.ts';
import { pinModelImages } from './images.ts';
import { lockOf } from '../lock.ts';
import { guarded, reportIssues } from './structure.ts';

/** Builds, checks and freezes the model of every pipeline and environment under `root`. */
export function buildModel(root: IConstruct): Model {
  const problems = new Problems();
  const all = root.node.findAll();
  const parseOptions = schemaParseOptions(all.filter((c) => c instanceof ContainerStep).length);
  // Props of the wrong shape first: the builders below read only the fields they know.
  for (const c of all) checkProps(c, problems, parseOptions);
  // The data plane first: lineage declarations refer to its locked commits and digest.
  const data = buildDataPlane(all, problems);
  const pins: LineagePins = {
    commitOf: (table) => data.tables.find((t) => t.path === table.node.path)?.lakefs.commit || undefined,
    featureDefinitionsSha256: definitionsDigest(data),
  };
  const dbtProjects = guarded(problems, root, () => buildDbtProjects(all, data.tables, problems))[0] ?? [];
  const analytics: AnalyticsContext = { tables: data.tables, dbtProjects };
  const pipelines = all
    .filter((c): c is Pipeline => c instanceof Pipeline)
    .flatMap((p) => guarded(problems, p, () => buildPipeline(p, problems, pins, analytics)));
  const environments = all
    .filter((c): c is Environment => c instanceof Environment)
    .flatMap((e) => guarded(problems, e, () => buildEnvironment(e, problems)));
  const androidBenchmarks = all
    .filter((c): c is IConstruct & AndroidBenchmarkSource => isAndroidBenchmarkSource(c))
    .flatMap((c) => guarded(problems, c, () => c[ANDROID_BENCHMARK]()));
  const transforms = guarded(problems, root, () => buildTransforms(all, data.tables, problems))[0] ?? [];
  // Images as the lock pins them (images.ts), before the rules, so that imageTagPolicy
  // 'digest' accepts an image the lock pins.
  const imagePins = Object.fromEntries(
    Object.entries(lockOf(root).lock.images ?? {}).map(([image, { digest }]) => [image, digest]),
  );
  const model: Model = {
    ...pinModelImages(
      {
        pipelines: byName(pipelines),
        environments: byName(environments),
        androidBenchmarks: androidBenchmarks.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
        data: {
          tables: byName(data.tables),
          entities: byName(data.entities),
          featureViews: byName(data.featureViews),
          featureServices: byName(data.featureServices),
          transforms: byName(transforms),
          dbtProjects,
        },
      },
      imagePins,
    ),
    imagePins,
  };

  // Constructs that check their own props (node.addValidation) report in the same pass.
  let crash: unknown;
  try {
    for (const c of all) for (const message of c.node.validate()) problems.add(c.node.path, message);
    for (const p of model.pipelines) checkPipeline(p, problems);
    checkAndroidBenchmarks(model, problems);
    checkEnvironments(model, problems, root.node.path || '(app)');
    checkTransforms(model, problems);
    checkStepPlacement(all, problems);
    checkMountPaths(model, problems);
  } catch (e) {
    // A rule can only trip over a value of the wrong type, which the schema names below.
    crash = e;
  }
  // The schema is the boundary for what the rules do not look at: a prop of the wrong
  // type (a JavaScript caller, a cast) is reported at the construct holding it.
  // Pipelines are the exception (see pipelineFreeModel).
  const { pipelines: _, ...rest } = model;
  const parsed = pipelineFreeModel.safeParse(rest, parseOptions);
  if (!parsed.success) reportIssues(model, parsed.error.issues, problems);
  if (crash !== undefined && problems.empty) throw crash; // a dfp bug, not a user error
  problems.throwIfAny();
  return deepFreeze({ pipelines: model.pipelines, ...parsed.data! });
}

/**
 * The model's schema without its pipelines. Every construct a pipeline is made of has a
 * strict props schema (props.ts), and the builders check what those leave to them, so
 * parsing the built pipelines again refused nothing more while costing a fifth of the
 * model phase at 100 pipelines (bench/optimisations.md). tests/model-boundary.property.test.ts
 * holds that: pipelines with fields of the wrong type are refused, or their model is of
 * the schema's shape; tests/model-shape.test.ts holds the builder's output to it exactly.
 * The rest (environments, the data plane, Android benchmarks) is small and still parsed.
 */
const pipelineFreeModel = modelSchema.omit({ pipelines: true });

/**
 * zod compiles each object schema into a function the first time it parses with it. For
 * the few pipelines of a typical synth that compilation costs more than it saves (about
 * 10 ms of a 30 ms model phase for one pipeline), while hundreds of pipelines gain from
 * it (bench/optimisations.md). zod reads its global `jitless` switch when a schema is
 * made (at import), so the choice goes with each parse instead. Both modes accept and
 * refuse the same.
 */
const COMPILE_SCHEMAS_FROM_STEPS = 200;
const schemaParseOptions = (steps: number) => ({ jitless: steps < COMPILE_SCHEMAS_FROM_STEPS });

/** The model parsed by its zod schema: unchanged when the builder is right, else a throw. */
export function parseModelShape(model: Model): Model {
  return modelSchema.parse(model);
}

function buildPipeline(
  pipeline: Pipeline,
  problems: Problems,
  pins: LineagePins,
  analytics: AnalyticsContext,
): PipelineModel {
  const scope = new PipelineScope(pipeline, problems, pins);
  // dbt and dlt steps add what they run and the datasets they read and write.
  const build = (c: ContainerStep) => ({
    ...new StepBuilder(c, scope).build(),
    ...analyticsStepFields(c, pipeline.node.id, analytics, problems),
  });
  const props = pipeline.props;
  const exit = pipeline.exitHandler;
  const steps = [];
  const groups: Group[] = [];

  for (const c of pipeline.node.findAll()) {
    if (c === pipeline || c === exit) continue;
    if (c instanceof ContainerStep) steps.push(...guarded(problems, c, () => build(c)));
    else if (c instanceof ConditionGroup || c instanceof ParallelFor)
      groups.push(...guarded(problems, c, () => buildGroup(c, scope)));
    else if (c instanceof Pipeline || c instanceof Environment)
      problems.add(
        c.node.path,
        `${article(c.constructor.name)} cannot sit inside pipeline '${pipeline.node.id}'; create it at the ` +
          `app's top level`,
      );
    else
      problems.add(
        c.node.path,
        `'${c.constructor.name}' is not a pipeline construct; use ContainerStep, Condition or ParallelFor ` +
          'inside a pipeline',
      );
  }

  let exitHandler;
  if (exit) {
    if (!(exit instanceof ContainerStep) || exit.node.scope !== pipeline) {
      problems.add(
        pipeline.node.path,
        `onExit(): '${exit.node.path}' must be a ContainerStep created directly in this pipeline`,
      );
    } else {
      exitHandler = guarded(problems, exit, () => build(exit))[0];
    }
  }

  return {
    name: pipeline.node.id,
    path: pipeline.node.path,
    description: props.description ?? '',
    tags: [...(props.tags ?? [])],
    parameters: Object.entries(props.parameters ?? {}).map(([name, spec]) => ({
      name,
      type: spec.type,
      ...(spec.default !== undefined
        ? { default: jsonCopy(spec.default, pipeline, `parameter '${name}': default`, problems) }
        : {}),
      ...(spec.description !== undefined ? { description: spec.description } : {}),
    })),
    ...(props.schedule ? { schedule: { cron: props.schedule.expression, timezone: props.schedule.timezone } } : {}),
    ...(props.timeout ? { timeoutSeconds: props.timeout.toSeconds() } : {}),
    steps,
    groups,
    ...(exitHandler ? { exitHandler } : {}),
  };
}

function buildGroup(g: ConditionGroup | ParallelFor, scope: PipelineScope): Group {
  const base = { name: g.node.id, path: g.node.path, ...(scope.groupOf(g) ? { parent: scope.groupOf(g) } : {}) };
  if (g instanceof ConditionGroup) {
    const operand = (o: Operand, field: string): Source =>
      typeof o === 'object'
        ? (scope.source(o, g, field) ?? { kind: 'literal', value: null })
        : { kind: 'literal', value: o };
    const c = g.props.when;
    return {
      kind: 'condition',
      ...base,
      condition: { left: operand(c.left, 'when.left'), op: c.op, right: operand(c.right, 'when.right') },
    };
  }
  const items: unknown = g.props.items;
  return {
    kind: 'loop',
    ...base,
    // A string or number (untyped callers) stays a literal, for the rule that says a list is needed.
    items: isList(items)
      ? { kind: 'literal', value: items.map((item, i) => jsonCopy(item, g, `items[${i}]`, scope.problems)) }
      : typeof items !== 'object' || items === null
        ? { kind: 'literal', value: items as JsonValue }
        : (scope.source(items as LoopItemRef, g, 'items') ?? { kind: 'literal', value: [] }),
    ...(g.props.parallelism !== undefined ? { parallelism: g.props.parallelism } : {}),
  };
}

/**
 * Missing settings (JavaScript callers, casts) become '' here and are reported by the
 * environment rules with what to set; credentials given as values are refused here.
 */
function buildEnvironment(env: Environment, problems: Problems): EnvironmentModel {
  const p = env.props;
  const endpoints: Partial<EnvironmentModel['endpoints']> = p.endpoints ?? {};
  if (p.endpoints === undefined)
    problems.add(env.node.path, "endpoints is missing; set { lakefs, mlflow, s3 } to the platform services' URLs");
  const repo: Partial<typeof p.artifactRepository> = p.artifactRepository ?? {};
  if (p.artifactRepository === undefined)
    problems.add(
      env.node.path,
      "artifactRepository is missing; set { bucket, credentials: { secret: '<Secret name>' } }",
    );
  const creds = credentialsRef(env.node.path, repo.credentials, problems);
  const s3 = endpoints.s3 ?? '';
  return {
    name: env.node.id,
    path: env.node.path,
    namespace: p.namespace ?? '',
    orchestrator: p.orchestrator ?? 'argo',
    engine: p.engine ?? 'spark',
    featureStore: p.featureStore ?? 'feast',
    endpoints: {
      lakefs: endpoints.lakefs ?? '',
      mlflow: endpoints.mlflow ?? '',
      s3,
      ...(endpoints.datahub !== undefined ? { datahub: endpoints.datahub } : {}),
    },
    datahubToken: datahubTokenRef(env.node.path, p.datahubToken, problems),
    artifactRepository: {
      bucket: repo.bucket ?? '',
      keyPrefix: repo.keyPrefix ?? 'dfp',
      endpoint: repo.endpoint ?? s3,
      insecure: (repo.endpoint ?? s3).startsWith('http://'),
      region: repo.region ?? 'us-east-1',
      credentials: creds,
    },
    imageTagPolicy: p.imageTagPolicy ?? 'no-latest',
    serviceAccount: p.serviceAccount ?? 'dfp-runner',
    accelerators: p.accelerators ?? 'available',
    gitops: { repoURL: p.gitops?.repoURL ?? '', targetRevision: p.gitops?.targetRevision ?? 'main' },
    // Not a list (JavaScript callers, casts): left as given, for the schema to report.
    ...(p.pipelines !== undefined
      ? { pipelines: Array.isArray(p.pipelines) ? [...p.pipelines].sort() : (p.pipelines as unknown as string[]) }
      : {}),
  };
}

/**
 * What is wrong with a value meant to be a Secret reference (an object naming `secret`, with
 * only the given keys), in words that finish "… credentials <what>"; undefined when it is one.
 */
function notSecretReference(v: unknown, keys: readonly string[]): string | undefined {
  if (typeof v === 'string') return 'is a literal value';
  if (typeof v !== 'object' || v === null) return 'names no Secret';
  const r = v as Record<string, unknown>;
  const extra = Object.keys(r).filter((k) => !keys.includes(k));
  if (extra.length > 0) return `holds ${extra.map((k) => `'${k}'`).join(', ')}, which are not Secret references`;
  return typeof r.secret === 'string' ? undefined : 'names no Secret';
}

const str = (v: unknown, d: string) => (typeof v === 'string' ? v : d);

/** The artifact repository's key pair, by Secret reference only; inline values are refused. */
function credentialsRef(
  path: string,
  c: unknown,
  problems: Problems,
): EnvironmentModel['artifactRepository']['credentials'] {
  const what = notSecretReference(c, ['secret', 'accessKeyKey', 'secretKeyKey']);
  if (what)
    problems.add(
      path,
      `artifactRepository.credentials ${what}; credentials go in by reference only: { secret: '<Secret name>', ` +
        `accessKeyKey?: '<key>', secretKeyKey?: '<key>' }`,
    );
  const r = (c ?? {}) as Record<string, unknown>;
  return {
    secret: str(r.secret, ''),
    accessKeyKey: str(r.accessKeyKey, 'accesskey'),
    secretKeyKey: str(r.secretKeyKey, 'secretkey'),
  };
}

/** DataHub's token, by Secret reference only: a string (the token itself) or any other key is refused. */
function datahubTokenRef(path: string, t: unknown, problems: Problems): EnvironmentModel['datahubToken'] {
  if (t === undefined) return { secret: 'datahub-token', key: 'token' };
  const what = notSecretReference(t, ['secret', 'key']);
  if (what)
    problems.add(
      path,
      `datahubToken ${what}; the DataHub token goes in by reference only: { secret: '<Secret name>', key?: ` +
        `'<key>' }, and the value stays in the Secret`,
    );
  const r = (t ?? {}) as Record<string, unknown>;
  return { secret: str(r.secret, ''), key: str(r.key, 'token') };
}

/**
 * A JSON value the user gave (a loop item, a parameter default), copied so that freezing
 * the model leaves the user's objects alone; anything else (a Duration, a function,
 * NaN, undefined inside a list), which no target could print as meant, is reported.
 */
function jsonCopy(value: JsonValue, at: IConstruct, what: string, problems: Problems): JsonValue {
  if (!jsonValue.safeParse(value, { jitless: true }).success) {
    const container =
      value !== null &&
      typeof value === 'object' &&
      (isList(value) || Object.getPrototypeOf(value) === Object.prototype);
    problems.add(
      at.node.path,
      `${what} ${container ? 'holds a value that is not JSON' : `is ${describeValue(value)}, not a JSON value`}` +
        '; give strings, finite numbers, booleans, null, and lists and plain objects of them',
    );
    return null;
  }
  return copyJson(value);
}

function copyJson(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map(copyJson);
  // fromEntries defines each key, `__proto__` included, where assigning it would set the prototype.
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copyJson(x)]));
  return v;
}

function isList(x: unknown): x is readonly JsonValue[] {
  return Array.isArray(x);
}

function byName<T extends { name: string }>(items: T[]): T[] {
  return [...items].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    // Index and for-in loops: Object.values allocated an array per object of the model.
    if (Array.isArray(value)) for (let i = 0; i < value.length; i++) deepFreeze(value[i]);
    else for (const k in value) deepFreeze((value as Record<string, unknown>)[k]);
    Object.freeze(value);
  }
  return value;
}
