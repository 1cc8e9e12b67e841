import type { Construct } from 'constructs';
import { Duration, Entity, FeatureView, IcebergTable } from '../constructs/index.ts';

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
} as const;

/**
 * The Kronodroid tables and features as constructs: the training table on its lakeFS
 * branch (Iceberg, Avro data files) and the feature view autoencoder training reads.
 */
export function kronodroidFeatures(scope: Construct): { table: IcebergTable; view: FeatureView } {
  const table = new IcebergTable(scope, 'fct_training_dataset', {
    namespace: 'kronodroid',
    lakefsRepository: KRONODROID.lakefsRepository,
    ref: { branch: KRONODROID.mainBranch },
    description: 'One row per APK sample: static and dynamic features, split and label.',
    fields: {
      sample_id: 'string',
      event_timestamp: 'timestamp',
      split: 'string',
      is_malware: 'int32',
      malware_family: 'string',
      api_level: 'int32',
      permission_count: 'int32',
      syscall_frequencies: 'list<float32>',
      detection_ratio: 'float64',
      first_seen: 'date',
    },
    timestampField: 'event_timestamp',
    partitionBy: ['split'],
  });
  const sample = new Entity(scope, 'sample', { joinKey: 'sample_id', description: 'An APK sample of the Kronodroid dataset.' });
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
  return { table, view };
}
