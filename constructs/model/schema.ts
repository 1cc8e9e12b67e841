/**
 * The neutral model: plain, JSON-serialisable data and nothing else. Targets read only
 * this. The zod schemas are the single description of its shape; the TypeScript types
 * are inferred from them.
 */
import { z } from 'zod';
import type { JsonValue } from '../../emit/json.ts';
import { HEX64 } from './names.ts';

/** The value types a pipeline parameter or step output parameter can have. */
export const PARAM_TYPES = ['string', 'int', 'float', 'bool', 'list', 'struct'] as const;
/** The artifact types a step can produce or consume (the kfp system types). */
export const ARTIFACT_TYPES = ['Dataset', 'Model', 'Metrics', 'Artifact'] as const;
/** A comparison operator in a condition. */
export const COMPARISON_OPS = ['==', '!=', '<', '<=', '>', '>='] as const;
export type ComparisonOp = (typeof COMPARISON_OPS)[number];
/** How a dlt load writes its destination table. */
export const WRITE_DISPOSITIONS = ['append', 'replace'] as const;
/** A Kubernetes toleration's operator and the taint effects it may name. */
export const TOLERATION_OPERATORS = ['Equal', 'Exists'] as const;
export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;

// Declared once, with the JSON printer (emit/json.ts).
export type { JsonValue };
export const jsonValue: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(jsonValue), z.record(z.string(), jsonValue)]),
);

export const paramType = z.enum(PARAM_TYPES);
export const artifactType = z.enum(ARTIFACT_TYPES);
export type ParamType = z.infer<typeof paramType>;
export type ArtifactType = z.infer<typeof artifactType>;

/** Where a value comes from at run time. */
export const source = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('literal'), value: jsonValue }),
  z.object({ kind: z.literal('pipelineParam'), name: z.string() }),
  z.object({ kind: z.literal('taskOutput'), step: z.string(), output: z.string() }),
  z.object({ kind: z.literal('loopItem'), loop: z.string(), field: z.string().optional() }),
]);
export type Source = z.infer<typeof source>;

/** One piece of an argument; an argument is the concatenation of its pieces. */
export const argPart = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('literal'), value: z.string() }),
  z.object({ kind: z.literal('input'), name: z.string() }),
  z.object({ kind: z.literal('outputPath'), name: z.string() }),
  z.object({ kind: z.literal('outputArtifactPath'), name: z.string() }),
  z.object({ kind: z.literal('inputArtifactPath'), name: z.string() }),
]);
export type ArgPart = z.infer<typeof argPart>;
export const arg = z.array(argPart);
export type Arg = z.infer<typeof arg>;

export const condition = z.object({
  left: source,
  op: z.enum(COMPARISON_OPS),
  right: source,
});
export type Condition = z.infer<typeof condition>;

const quantities = z.object({ cpu: z.string().optional(), memory: z.string().optional() }).strict();

export const volume = z.object({
  name: z.string(),
  mountPath: z.string(),
  readOnly: z.boolean(),
  source: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('pvc'), claimName: z.string() }),
    z.object({ kind: z.literal('emptyDir'), sizeLimit: z.string().optional(), medium: z.literal('Memory').optional() }),
    z.object({ kind: z.literal('configMap'), name: z.string() }),
    z.object({ kind: z.literal('secret'), secretName: z.string() }),
    /** A device node of the host (`/dev/kvm`); only a step with the privileged profile may mount one. */
    z.object({ kind: z.literal('hostDevice'), path: z.string() }),
  ]),
});
export type Volume = z.infer<typeof volume>;

/**
 * The Pod Security profile a step's pod meets. `restricted` (the default) is the
 * Kubernetes "restricted" Pod Security Standard: non-root user, no privilege
 * escalation, every capability dropped, the runtime's default seccomp profile.
 * `privileged` is a declared exception with the reason a reviewer reads in the output.
 */
export const security = z.discriminatedUnion('profile', [
  z.object({ profile: z.literal('restricted'), runAsUser: z.number().int(), runAsGroup: z.number().int() }),
  z.object({ profile: z.literal('privileged'), reason: z.string() }),
]);
export type Security = z.infer<typeof security>;

/**
 * A dataset a step reads or writes: an Iceberg table (`namespace.table`), a dbt model (`<project>.<model>`) or a dlt
 * source (`<load>.<resource>`).
 */
export const datasetRef = z.object({ platform: z.enum(['iceberg', 'dbt', 'dlt']), name: z.string() });
export type DatasetRef = z.infer<typeof datasetRef>;

/** What a dbt step runs: the project (by name), the command and the selection as given. */
export const dbtRun = z.object({
  project: z.string(),
  command: z.enum(['build', 'run', 'test']),
  select: z.array(z.string()),
});
export type DbtRun = z.infer<typeof dbtRun>;

/** A dlt load: what the dlt target renders into the step's config.toml. */
export const dltLoad = z.object({
  /** The dlt pipeline name (the step's name in snake_case). */
  pipelineName: z.string(),
  resource: z.string(),
  source: z.object({
    kind: z.literal('files'),
    bucketUrl: z.string(),
    fileGlob: z.string(),
    format: z.enum(['csv', 'jsonl', 'parquet']),
  }),
  /** The destination table's `namespace.table`. */
  destination: z.string(),
  writeDisposition: z.enum(WRITE_DISPOSITIONS),
  /** The ConfigMap with config.toml the step mounts. */
  configMap: z.string(),
});
export type DltLoad = z.infer<typeof dltLoad>;

const toleration = z.object({
  key: z.string().optional(),
  operator: z.enum(TOLERATION_OPERATORS),
  value: z.string().optional(),
  effect: z.enum(TAINT_EFFECTS).optional(),
});

export const step = z.object({
  name: z.string(),
  path: z.string(),
  description: z.string().optional(),
  image: z.string(),
  command: z.array(arg),
  args: z.array(arg),
  env: z.array(z.object({ name: z.string(), value: arg })),
  secretEnv: z.array(z.object({ name: z.string(), secret: z.string(), key: z.string() })),
  inputs: z.object({
    parameters: z.array(z.object({ name: z.string(), type: paramType, source })),
    artifacts: z.array(
      z.object({ name: z.string(), type: artifactType, source: z.object({ step: z.string(), output: z.string() }) }),
    ),
  }),
  outputs: z.object({
    parameters: z.array(z.object({ name: z.string(), type: paramType, description: z.string().optional() })),
    artifacts: z.array(z.object({ name: z.string(), type: artifactType })),
  }),
  resources: z.object({
    requests: quantities,
    limits: quantities,
    /**
     * `nodeSelector` and `tolerations`: those of the accelerator's nodes, already in the
     * step's own (sorted the same way), kept here so that an environment without accelerators
     * can take them out again; `cpuOnly`: what the step asks for there instead.
     */
    gpu: z
      .object({
        count: z.number().int(),
        resource: z.string(),
        nodeSelector: z.record(z.string(), z.string()),
        tolerations: z.array(toleration),
        cpuOnly: z.object({ requests: quantities, limits: quantities }).optional(),
      })
      .optional(),
    /** Device-plugin resources (`devices.kubevirt.io/kvm`), set as request and limit. Sorted by resource. */
    devices: z.array(z.object({ resource: z.string(), count: z.number().int() })),
  }),
  volumes: z.array(volume),
  nodeSelector: z.record(z.string(), z.string()),
  tolerations: z.array(toleration),
  retry: z
    .object({
      limit: z.number().int(),
      backoffSeconds: z.number().int(),
      backoffFactor: z.number(),
      maxBackoffSeconds: z.number().int(),
    })
    .optional(),
  timeoutSeconds: z.number().int().optional(),
  caching: z.boolean(),
  serviceAccount: z.string().optional(),
  security,
  /** Every step this one runs after, explicit or implied by the data it consumes. Sorted. */
  dependsOn: z.array(z.string()),
  /** The innermost condition or loop group the step sits in. */
  group: z.string().optional(),
  when: condition.optional(),
  /**
   * The step can skip itself at run time (an emulator benchmark's `run: false`): its own
   * arguments carry the switch, so every orchestrator may run it, and one that can skip a
   * task instead (Argo: the task's `when`) schedules nothing when `when` is false; each
   * reader of an artifact listed in `artifacts` then gets `content` at its path instead of
   * the step's output. Artifacts sorted by name.
   */
  skip: z
    .object({ when: condition, artifacts: z.array(z.object({ name: z.string(), content: z.string() })) })
    .optional(),
  /** The transform this step runs (by name): the step's container is the launcher that starts it. */
  transform: z.string().optional(),
  /**
   * The step declared `lineage:`: its env already holds the data stamps, and each
   * environment adds the `dfp` stamps when it renders (model/bind-environment.ts).
   */
  lineage: z.literal(true).optional(),
  /** Datasets the step reads and writes, for catalogues (DataHub). Sorted by platform then name; none when empty. */
  datasets: z.object({ reads: z.array(datasetRef), writes: z.array(datasetRef) }).optional(),
  /** The dbt command the step runs (a DbtStep). */
  dbt: dbtRun.optional(),
  /** The dlt load the step runs (a DltLoad). */
  dlt: dltLoad.optional(),
});
export type Step = z.infer<typeof step>;

export const group = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('condition'),
    name: z.string(),
    path: z.string(),
    parent: z.string().optional(),
    condition,
  }),
  z.object({
    kind: z.literal('loop'),
    name: z.string(),
    path: z.string(),
    parent: z.string().optional(),
    items: source,
    parallelism: z.number().int().optional(),
  }),
]);
export type Group = z.infer<typeof group>;

export const parameter = z.object({
  name: z.string(),
  type: paramType,
  default: jsonValue.optional(),
  description: z.string().optional(),
});
export type Parameter = z.infer<typeof parameter>;

export const pipeline = z.object({
  name: z.string(),
  path: z.string(),
  description: z.string(),
  tags: z.array(z.string()),
  parameters: z.array(parameter),
  schedule: z.object({ cron: z.string(), timezone: z.string() }).optional(),
  timeoutSeconds: z.number().int().optional(),
  /** Steps in declaration order, the exit handler excluded. */
  steps: z.array(step),
  groups: z.array(group),
  exitHandler: step.optional(),
});
export type Pipeline = z.infer<typeof pipeline>;

export const ORCHESTRATORS = ['kubeflow', 'airflow', 'argo'] as const;
export const ENGINES = ['spark', 'datafusion'] as const;
export const FEATURE_STORES = ['feast', 'chronon'] as const;
export const IMAGE_TAG_POLICIES = ['any', 'no-latest', 'digest'] as const;
/** Whether an environment's nodes have accelerators (GPUs): `available`, or `none`. */
export const ACCELERATORS = ['available', 'none'] as const;

export const environment = z.object({
  name: z.string(),
  path: z.string(),
  namespace: z.string(),
  orchestrator: z.enum(ORCHESTRATORS),
  engine: z.enum(ENGINES),
  featureStore: z.enum(FEATURE_STORES),
  /** `datahub`: the DataHub GMS the catalogue is ingested into; without it, no recipe and no ingest Job. */
  endpoints: z.object({ lakefs: z.string(), mlflow: z.string(), s3: z.string(), datahub: z.string().optional() }),
  /** The Secret key holding the DataHub access token; read by reference only. */
  datahubToken: z.object({ secret: z.string(), key: z.string() }),
  artifactRepository: z.object({
    bucket: z.string(),
    keyPrefix: z.string(),
    endpoint: z.string(),
    insecure: z.boolean(),
    region: z.string(),
    credentials: z.object({ secret: z.string(), accessKeyKey: z.string(), secretKeyKey: z.string() }),
  }),
  imageTagPolicy: z.enum(IMAGE_TAG_POLICIES),
  serviceAccount: z.string(),
  /** `none`: steps that ask for a GPU run CPU-only here (model/bind-environment.ts). */
  accelerators: z.enum(ACCELERATORS),
  gitops: z.object({ repoURL: z.string(), targetRevision: z.string() }),
  /** The pipelines the environment renders, by name, sorted; absent: every pipeline. */
  pipelines: z.array(z.string()).optional(),
});
export type Environment = z.infer<typeof environment>;

export const dataField = z.object({ name: z.string(), type: z.string() });

export const table = z.object({
  /** `namespace.table`. */
  name: z.string(),
  path: z.string(),
  catalog: z.string(),
  namespace: z.string(),
  table: z.string(),
  lakefs: z.object({
    repository: z.string(),
    /** The ref as declared. */
    ref: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('branch'), name: z.string() }),
      z.object({ kind: z.literal('tag'), name: z.string() }),
      z.object({ kind: z.literal('commit'), id: z.string() }),
    ]),
    /** The commit it is read at: the declared commit, or the branch's or tag's pin in dfp.lock.json. */
    commit: z.string().regex(HEX64),
  }),
  fields: z.array(dataField),
  timestampField: z.string(),
  partitionBy: z.array(z.string()),
  description: z.string().optional(),
});
export type Table = z.infer<typeof table>;

export const entity = z.object({
  name: z.string(),
  path: z.string(),
  joinKey: z.string(),
  type: z.string(),
  description: z.string().optional(),
});
export type Entity = z.infer<typeof entity>;

export const featureView = z.object({
  name: z.string(),
  path: z.string(),
  /** The source table's `namespace.table`. */
  source: z.string(),
  entities: z.array(z.string()),
  /** Feature columns with the source's types, in declaration order. */
  features: z.array(dataField),
  ttlSeconds: z.number().int(),
  online: z.boolean(),
  tags: z.record(z.string(), z.string()),
  owner: z.string().optional(),
  description: z.string().optional(),
});
export type FeatureView = z.infer<typeof featureView>;

/** A Feast feature service: views served whole (no features listed) or as a selection. */
export const featureService = z.object({
  name: z.string(),
  path: z.string(),
  features: z.array(z.object({ view: z.string(), features: z.array(z.string()) })),
  tags: z.record(z.string(), z.string()),
  owner: z.string().optional(),
  description: z.string().optional(),
});
export type FeatureService = z.infer<typeof featureService>;

const processSize = z.object({ cpu: z.string(), memory: z.string() });

/**
 * An engine-neutral data job: a query per output table or an entrypoint, the tables it reads and
 * writes, and an image per engine that can run it. The environment's engine picks one.
 */
export const transform = z.object({
  /** The name of the SparkApplication or Job that runs it. */
  name: z.string(),
  path: z.string(),
  description: z.string().optional(),
  code: z.discriminatedUnion('kind', [
    /** One SELECT per output table, in the order of `outputs`. */
    z.object({ kind: z.literal('sql'), queries: z.array(z.object({ table: z.string(), query: z.string() })) }),
    z.object({ kind: z.literal('entrypoint'), file: z.string(), args: z.array(z.string()) }),
  ]),
  /** Image by engine; an engine without one cannot run the transform. */
  images: z.object({ spark: z.string().optional(), datafusion: z.string().optional() }).strict(),
  /** Tables read and written, as `namespace.table`, in declaration order. */
  inputs: z.array(z.string()),
  outputs: z.array(z.string()),
  /** The one Iceberg catalog and lakeFS location every table of the transform is in. */
  catalog: z.string(),
  lakefs: z.object({ repository: z.string(), ref: z.string() }),
  credentials: z.object({
    accessKeyId: z.object({ secret: z.string(), key: z.string() }),
    secretAccessKey: z.object({ secret: z.string(), key: z.string() }),
  }),
  resources: z.object({ driver: processSize, executors: processSize.extend({ instances: z.number().int() }) }),
  retries: z.number().int(),
  /** Extra Spark properties, sorted by key. */
  sparkConf: z.record(z.string(), z.string()),
  security,
});
export type Transform = z.infer<typeof transform>;

/** A dbt model as dfp read it from the project folder. */
export const dbtModel = z.object({
  name: z.string(),
  /** The file, relative to the project folder. */
  file: z.string(),
  /** Models it `ref()`s, sorted. */
  refs: z.array(z.string()),
  /** Sources it reads, as the IcebergTables' `namespace.table`, sorted. */
  sources: z.array(z.string()),
});

/** A dbt project: its models, the Iceberg tables they read as sources, and how its dbt-spark session reaches them. */
export const dbtProject = z.object({
  /** The project's name (dbt_project.yml `name:`). */
  name: z.string(),
  path: z.string(),
  /** The profile name dbt_project.yml asks for. */
  profile: z.string(),
  /** The schema (Iceberg namespace) models are built in. */
  schema: z.string(),
  description: z.string().optional(),
  /** The source tables' `namespace.table`, sorted. */
  sources: z.array(z.string()),
  models: z.array(dbtModel),
  /** The sha256 of the model files dfp read (path and text of each). */
  modelsSha256: z.string().regex(HEX64),
  /**
   * The one Iceberg catalog and lakeFS repository the sources are in; the ref is the default of the step's
   * `DFP_LAKEFS_REF`.
   */
  catalog: z.string(),
  lakefs: z.object({ repository: z.string(), ref: z.string() }),
  image: z.string(),
  /** Extra Spark session properties, sorted by key. */
  sessionConf: z.record(z.string(), z.string()),
});
export type DbtProject = z.infer<typeof dbtProject>;

export const dataPlane = z.object({
  tables: z.array(table),
  entities: z.array(entity),
  featureViews: z.array(featureView),
  featureServices: z.array(featureService),
  transforms: z.array(transform),
  dbtProjects: z.array(dbtProject),
});
export type DataPlane = z.infer<typeof dataPlane>;

/**
 * The Android runtime benchmark (android.ts holds its constants): the emulated device, the
 * runtimes compared and where their files come from, and how the benchmark is deployed
 * (a Kubernetes Job, or a step of a pipeline). Checked by rules-android.ts.
 */
export const deviceProfile = z.object({
  /** The profile's name (`pixel-6-api-34`), a DNS-1123 label. */
  name: z.string(),
  /** Android API level of the system image. */
  apiLevel: z.number(),
  /** The system image's ABI; checked against ANDROID_ABIS by the rules, to name the mistake. */
  abi: z.string(),
  /** RAM of the emulated device, MiB. */
  ramMb: z.number(),
  /** Virtual CPU cores. */
  cores: z.number(),
  screen: z.object({ widthPx: z.number(), heightPx: z.number(), densityDpi: z.number() }),
});
export type DeviceProfileModel = z.infer<typeof deviceProfile>;

/** Where a file the benchmark needs (APK, model) comes from. */
export const fileSource = z.discriminatedUnion('kind', [
  /** An artifact of the MLflow run being measured, by its path inside the run. */
  z.object({ kind: z.literal('mlflowRun'), path: z.string() }),
  /** An object in S3 (MinIO), `s3://bucket/key`, read with the benchmark's S3 credentials. */
  z.object({ kind: z.literal('s3'), uri: z.string() }),
  /** An input artifact of the pipeline step (only for benchmarks that are pipeline steps). */
  z.object({ kind: z.literal('stepArtifact'), input: z.string() }),
]);
export type FileSource = z.infer<typeof fileSource>;

export const androidBenchmark = z.object({
  name: z.string(),
  path: z.string(),
  emulatorImage: z.string(),
  device: deviceProfile,
  kvm: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('hostDevice'), path: z.string() }),
    z.object({ kind: z.literal('devicePlugin'), resource: z.string() }),
  ]),
  apk: fileSource,
  testApk: fileSource,
  /** The instrumentation to run: `<test package>/<runner class>`. */
  instrumentation: z.string(),
  /** One model file per runtime compared, in the author's order. */
  models: z.array(z.object({ runtime: z.string(), source: fileSource })),
  iterations: z.number(),
  warmup: z.number(),
  /** Prefix of every metric logged to MLflow (`android.executorch.latency_ms_p50`). */
  metricPrefix: z.string(),
  s3Credentials: z.object({ secret: z.string(), accessKeyKey: z.string(), secretKeyKey: z.string() }).optional(),
  deployment: z.discriminatedUnion('kind', [
    z.object({
      kind: z.literal('job'),
      /** The MLflow run the models belong to and the metrics are logged on. */
      runId: z.string(),
      activeDeadlineSeconds: z.number(),
      backoffLimit: z.number(),
      ttlSecondsAfterFinished: z.number(),
      /** The Job's container, as a step with no inputs, outputs or dependencies. */
      container: step,
    }),
    z.object({ kind: z.literal('pipelineStep'), pipeline: z.string(), step: z.string() }),
  ]),
});
export type AndroidBenchmark = z.infer<typeof androidBenchmark>;

export const model = z.object({
  pipelines: z.array(pipeline),
  environments: z.array(environment),
  /** Android runtime benchmarks, Jobs and pipeline steps alike. Sorted by path. */
  androidBenchmarks: z.array(androidBenchmark),
  data: dataPlane,
  /** dfp.lock.json's image pins (image -> `sha256:…`); every image above is already pinned by them (images.ts). */
  imagePins: z.record(z.string(), z.string()),
});
export type Model = z.infer<typeof model>;
