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
