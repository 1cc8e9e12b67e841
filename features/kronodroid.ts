import type { Construct, IConstruct } from 'constructs';
import {
  DbtProject,
  Duration,
  Entity,
  FeatureService,
  FeatureView,
  IcebergTable,
  Transform,
  TransformCode,
} from '../constructs/index.ts';

/**
 * The Kronodroid data plane as the pipeline sees it: where the raw data lands, the
 * Iceberg tables (Avro data files) the Spark transform builds on a lakeFS branch, and the
 * Feast feature view training reads. The FeatureView construct that renders the Feast
 * repo from this comes with the data-plane target.
 */
export const KRONODROID = {
  /** The lakeFS repository that versions the Kronodroid tables. */
  lakefsRepository: 'kronodroid',
  /** The branch runs are merged into. */
  mainBranch: 'main',
  /** The Iceberg catalog and namespaces. */
  catalog: 'lakefs',
  stagingNamespace: 'stg_kronodroid',
  /** The table training reads: `kronodroid.fct_training_dataset`. */
  trainingTable: 'kronodroid.fct_training_dataset',
  sourceTable: 'fct_training_dataset',
  /** The Feast feature view dedicated to autoencoder training. */
  featureView: 'kronodroid_autoencoder_features',
  /**
   * How training splits the table; the lineage dataset ids are derived from it, so a
   * change here gives new ids.
   */
  datasetSpec: {
    table: 'kronodroid.fct_training_dataset',
    splitColumn: 'split',
    splits: { train: 'train', val: 'validation', test: 'test' },
    label: 'is_malware',
  },
  /** Iceberg writes Avro data files (`write.format.default=avro`). */
  fileFormat: 'avro',
  /** The transform that builds the staging and training tables. */
  transform: 'kronodroid-iceberg',
  /** Where the raw Kronodroid CSV exports land in lakeFS, which the dlt load ingests. */
  landing: 's3://kronodroid/main/landing/kronodroid',
  /** The dbt project (images/dbt-kronodroid/project/), its name in dbt_project.yml. */
  dbtProject: 'kronodroid',
} as const;

/** The lakeFS S3 gateway key pair the engines, dbt and dlt read and write the tables with. */
export const LAKEFS_GATEWAY_CREDENTIALS = {
  accessKeyId: { secret: 'lakefs-credentials', key: 'access_key_id' },
  secretAccessKey: { secret: 'lakefs-credentials', key: 'secret_access_key' },
} as const;

/** The fields every Kronodroid sample has, staged or in the training table. */
const SAMPLE_FIELDS = {
  sample_id: 'string',
  event_timestamp: 'timestamp',
  is_malware: 'int32',
  malware_family: 'string',
  api_level: 'int32',
  permission_count: 'int32',
  syscall_frequencies: 'list<float32>',
  detection_ratio: 'float64',
  first_seen: 'date',
} as const;

/** The Kronodroid tables and the transform that builds them. */
export interface KronodroidData {
  /** `stg_kronodroid.*`: the raw emulator and real-device captures, typed. */
  readonly staging: readonly IcebergTable[];
  /** `kronodroid.fct_training_dataset`, which training reads. */
  readonly training: IcebergTable;
  /** `raw_kronodroid.samples`: the raw CSV rows as the dlt load ingests them. */
  readonly raw: IcebergTable;
  /** Builds the staging tables from the raw table, then the training table from them. */
  readonly transform: Transform;
  /** The dbt project (images/dbt-kronodroid/project/) whose models read the staging tables. */
  readonly dbt: DbtProject;
}

const built = new WeakMap<IConstruct, KronodroidData>();

/**
 * The Kronodroid tables and their transform, created once per app: the feature
 * definitions and the pipeline that runs the transform both ask for them.
 */
export function kronodroidData(scope: Construct): KronodroidData {
  const app = scope.node.root;
  const existing = built.get(app);
  if (existing) return existing;
  const location = {
    namespace: KRONODROID.stagingNamespace,
    lakefsRepository: KRONODROID.lakefsRepository,
    ref: { branch: KRONODROID.mainBranch },
  };
  const raw = new IcebergTable(app, 'samples', {
    ...location,
    namespace: 'raw_kronodroid',
    description: 'The Kronodroid CSV exports as ingested by dlt, one row per sample and capture.',
    // syscall_counts: one count per syscall (dfp_tools.kronodroid.SYSCALLS), joined by ';';
    // the transform turns them into the staged syscall_frequencies.
    fields: {
      sample_id: 'string',
      event_timestamp: 'timestamp',
      capture: 'string',
      ...withoutKey(SAMPLE_FIELDS, 'sample_id', 'event_timestamp', 'syscall_frequencies'),
      syscall_counts: 'string',
    },
    timestampField: 'event_timestamp',
  });
  const staging = [
    new IcebergTable(app, 'emulator_samples', {
      ...location,
      description: 'Kronodroid samples captured on an emulator, as loaded.',
      fields: SAMPLE_FIELDS,
      timestampField: 'event_timestamp',
    }),
    new IcebergTable(app, 'real_device_samples', {
      ...location,
      description: 'Kronodroid samples captured on real devices, as loaded.',
      fields: SAMPLE_FIELDS,
      timestampField: 'event_timestamp',
    }),
  ];
  const training = new IcebergTable(app, 'fct_training_dataset', {
    namespace: 'kronodroid',
    lakefsRepository: KRONODROID.lakefsRepository,
    ref: { branch: KRONODROID.mainBranch },
    description: 'One row per APK sample: static and dynamic features, split and label.',
    fields: {
      sample_id: 'string',
      event_timestamp: 'timestamp',
      split: 'string',
      ...withoutKey(SAMPLE_FIELDS, 'sample_id', 'event_timestamp'),
    },
    timestampField: 'event_timestamp',
    partitionBy: ['split'],
  });
  const transform = new Transform(app, KRONODROID.transform, {
    description: 'Builds stg_kronodroid.* and kronodroid.fct_training_dataset as Iceberg tables with Avro data files.',
    inputs: [raw],
    outputs: [...staging, training],
    code: TransformCode.entrypoint('/opt/dfp/kronodroid_iceberg_job.py', [
      '--lakefs-repository',
      KRONODROID.lakefsRepository,
      '--catalog',
      KRONODROID.catalog,
      '--file-format',
      KRONODROID.fileFormat,
    ]),
    images: {
      spark: 'registry.dfp.internal/dfp/kronodroid-spark:0.4.2',
      datafusion: 'registry.dfp.internal/dfp/kronodroid-datafusion:0.1.0',
    },
    // lakeFS's S3 gateway takes lakeFS keys.
    credentials: LAKEFS_GATEWAY_CREDENTIALS,
    // One core for the driver (a DataFusion Job's whole size): with the launcher's pod
    // beside it, it fits a two-core node (the cluster of `make e2e`; two cores did not).
    resources: { driver: { cpu: '1', memory: '8Gi' }, executors: { instances: 2, cpu: '2', memory: '8Gi' } },
    retries: 2,
  });
  const dbt = new DbtProject(app, KRONODROID.dbtProject, {
    // From the working directory, like dfp.lock.json: the repository root, where synth runs.
    dir: 'images/dbt-kronodroid/project',
    sources: staging,
    image: 'registry.dfp.internal/dfp/dbt-kronodroid:1.11.16-1',
    credentials: LAKEFS_GATEWAY_CREDENTIALS,
    description: 'Kronodroid staging and feature models (dbt), built on the staging tables the transform writes.',
  });
  const data = { raw, staging, training, transform, dbt };
  built.set(app, data);
  return data;
}

function withoutKey<T extends Record<string, string>>(o: T, ...keys: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
}

/**
 * The Kronodroid tables and features as constructs: the training table on its lakeFS
 * branch (Iceberg, Avro data files), the transform that builds it, and the feature view
 * autoencoder training reads.
 */
export function kronodroidFeatures(scope: Construct): { table: IcebergTable; view: FeatureView; transform: Transform } {
  const { training: table, transform } = kronodroidData(scope);
  const sample = new Entity(scope, 'sample', {
    joinKey: 'sample_id',
    description: 'An APK sample of the Kronodroid dataset.',
  });
  const view = new FeatureView(scope, KRONODROID.featureView, {
    source: table,
    entities: [sample],
    features: ['api_level', 'permission_count', 'syscall_frequencies', 'detection_ratio', 'is_malware', 'split'],
    ttl: Duration.days(3650),
    online: false,
    owner: 'team:ml-platform',
    tags: { dataset: 'kronodroid', model: 'autoencoder' },
    description: 'The features the Kronodroid autoencoder trains on.',
  });
  new FeatureService(scope, 'kronodroid_autoencoder', {
    features: [view],
    owner: 'team:ml-platform',
    tags: { model: 'autoencoder' },
    description: 'What the Kronodroid autoencoder reads, for training and serving alike.',
  });
  return { table, view, transform };
}
