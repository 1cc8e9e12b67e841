/**
 * The lineage contract (ARCHITECTURE.md): every data-consuming step receives the pins
 * that tie a model to its data, as the same environment variables whatever the
 * orchestrator. A step declares them once with `lineage:`; the builder turns them into
 * env entries of the neutral model, so every target renders them with no code of its own.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from './model/canonical-json.ts';
import type { Arg, JsonValue } from './refs.ts';

export interface LineageProps {
  /** The lakeFS repository that versions the data. */
  readonly lakefsRepository: string;
  /**
   * The immutable lakeFS commit the step reads: a commit id, or a value known at run time
   * that is one (a merge step's `commit_id` output). Never a branch: a branch moves.
   */
  readonly lakefsRef: Arg;
  /** The table the data comes from (`fct_training_dataset`). */
  readonly sourceTable: string;
  /** The Iceberg snapshot read, when pinned. @default not set */
  readonly icebergSnapshotId?: string;
  /** The Feast feature view read, and the sha256 of its definitions when known. @default not set */
  readonly feast?: { readonly featureView: string; readonly definitionsSha256?: string };
  /**
   * The dataset spec the train / validation / test splits are derived from (table, ref,
   * filters, split fractions, seed...). Each split's id is a hash of the spec and the
   * split's name, so the same spec always gives the same ids. @default no dataset ids
   */
  readonly datasetSpec?: JsonValue;
}

/** The environment variables, in the contract's names. */
export const LINEAGE_ENV = {
  repository: 'LAKEFS_REPOSITORY',
  ref: 'LAKEFS_REF',
  table: 'DATA_SOURCE_TABLE',
  snapshot: 'ICEBERG_SNAPSHOT_ID',
  view: 'FEAST_FEATURE_VIEW',
  defs: 'FEAST_DEFS_SHA256',
  train: 'DATASET_TRAIN_ID',
  val: 'DATASET_VAL_ID',
  test: 'DATASET_TEST_ID',
} as const;

/** `<split>-<first 16 hex digits of sha256(canonical spec + split)>`. */
export function datasetId(spec: JsonValue, split: 'train' | 'val' | 'test'): string {
  return `${split}-${createHash('sha256').update(`${canonicalJson(spec)}\n${split}`).digest('hex').slice(0, 16)}`;
}

/** The env entries a step's lineage adds. */
export function lineageEnv(l: LineageProps): Record<string, Arg> {
  const env: Record<string, Arg> = {
    [LINEAGE_ENV.repository]: l.lakefsRepository,
    [LINEAGE_ENV.ref]: l.lakefsRef,
    [LINEAGE_ENV.table]: l.sourceTable,
  };
  if (l.icebergSnapshotId !== undefined) env[LINEAGE_ENV.snapshot] = l.icebergSnapshotId;
  if (l.feast) {
    env[LINEAGE_ENV.view] = l.feast.featureView;
    if (l.feast.definitionsSha256 !== undefined) env[LINEAGE_ENV.defs] = l.feast.definitionsSha256;
  }
  if (l.datasetSpec !== undefined) {
    env[LINEAGE_ENV.train] = datasetId(l.datasetSpec, 'train');
    env[LINEAGE_ENV.val] = datasetId(l.datasetSpec, 'val');
    env[LINEAGE_ENV.test] = datasetId(l.datasetSpec, 'test');
  }
  return env;
}

/** What is wrong with a lineage declaration, as `field: problem; remedy` messages. */
export function lineageProblems(l: LineageProps): string[] {
  const out: string[] = [];
  if (typeof l.lakefsRef === 'string' && !/^[0-9a-f]{64}$/.test(l.lakefsRef)) {
    out.push(`lineage.lakefsRef '${l.lakefsRef}' is not a lakeFS commit id; pin a 64-hex commit id (or pass a step output that is one), never a branch`);
  }
  if (l.feast?.definitionsSha256 !== undefined && !/^[0-9a-f]{64}$/.test(l.feast.definitionsSha256)) {
    out.push(`lineage.feast.definitionsSha256 '${l.feast.definitionsSha256}' is not a sha256; use the 64-hex digest of the definitions`);
  }
  if (l.icebergSnapshotId !== undefined && !/^[0-9]+$/.test(l.icebergSnapshotId)) {
    out.push(`lineage.icebergSnapshotId '${l.icebergSnapshotId}' is not an Iceberg snapshot id; use its decimal id`);
  }
  return out;
}
