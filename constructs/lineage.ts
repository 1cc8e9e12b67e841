/**
 * The lineage contract (ARCHITECTURE.md): every data-consuming step receives the pins
 * that tie a model to its data, as the same environment variables whatever the
 * orchestrator. A step declares them once with `lineage:`; the builder turns them into
 * env entries of the neutral model, so every target renders them with no code of its own.
 */
import { createHash } from 'node:crypto';
import { FeatureView, IcebergTable, PinnedCommit, namedRef } from './data.ts';
import { lockOf } from './lock.ts';
import { canonicalJson } from '../emit/json.ts';
import { HEX64 } from './model/names.ts';
import { tableLocation } from './model/warehouse.ts';
import type { Arg, JsonValue } from './refs.ts';

/** The feature view a step reads, as its lineage names it. */
export interface FeatureLineage {
  /** The view, by construct or by name. */
  readonly featureView: string | FeatureView;
  /** The sha256 of its definitions. @default the digest the feature-store targets write, for a FeatureView construct */
  readonly definitionsSha256?: string;
}

export interface LineageProps {
  /** The lakeFS repository that versions the data. */
  readonly lakefsRepository: string;
  /**
   * The immutable lakeFS commit the step reads: a table's `pinnedCommit` (the commit
   * dfp.lock.json pins its branch to, written into the rendered files at synth), a commit
   * id, or a value known at run time that is one (a merge step's `commit_id` output).
   * Never a branch: a branch moves.
   */
  readonly lakefsRef: Arg | PinnedCommit;
  /**
   * The table the data comes from. Given as an IcebergTable, the step also learns the
   * table's Iceberg name and its folder in the lakeFS repository, so the run can read
   * the table's snapshot id at `lakefsRef` and `dfp trace` can fetch its files; given as
   * a name (`fct_training_dataset`), neither is known.
   */
  readonly sourceTable: string | IcebergTable;
  /** The Iceberg snapshot read, when pinned. @default not set */
  readonly icebergSnapshotId?: string;
  /**
   * The feature view read, and the sha256 of its definitions, whatever the feature store.
   * Given as a FeatureView construct, the digest is the one every feature-store target
   * (Feast, Chronon) writes in its `definitions.sha256` unless `definitionsSha256` says
   * otherwise. Stamped as FEATURE_VIEW / FEATURE_DEFS_SHA256 and, under their former names,
   * FEAST_FEATURE_VIEW / FEAST_DEFS_SHA256. @default not set
   */
  readonly features?: FeatureLineage;
  /** The former name of {@link features}, with the same meaning; give one of the two. @default not set */
  readonly feast?: FeatureLineage;
  /**
   * The dataset spec the train / validation / test splits are derived from (table, ref,
   * filters, split fractions, seed...). Each split's id is a hash of the spec and the
   * split's name, so the same spec always gives the same ids. @default no dataset ids
   */
  readonly datasetSpec?: JsonValue;
}

/**
 * The environment variables, in the contract's names. The first group comes from the
 * step's `lineage:`; the `dfp` group is added to every step with lineage per environment
 * when it is rendered (model/bind-environment.ts), because it names the environment.
 */
export const LINEAGE_ENV = {
  repository: 'LAKEFS_REPOSITORY',
  ref: 'LAKEFS_REF',
  table: 'DATA_SOURCE_TABLE',
  icebergTable: 'ICEBERG_TABLE',
  tableLocation: 'ICEBERG_TABLE_LOCATION',
  snapshot: 'ICEBERG_SNAPSHOT_ID',
  featureView: 'FEATURE_VIEW',
  featureDefs: 'FEATURE_DEFS_SHA256',
  view: 'FEAST_FEATURE_VIEW',
  defs: 'FEAST_DEFS_SHA256',
  train: 'DATASET_TRAIN_ID',
  val: 'DATASET_VAL_ID',
  test: 'DATASET_TEST_ID',
  pipeline: 'DFP_PIPELINE',
  environment: 'DFP_ENVIRONMENT',
  definitions: 'DFP_DEFINITIONS_SHA256',
  lakefsEndpoint: 'LAKEFS_ENDPOINT',
  /** The step's own image, by digest when dfp.lock.json pins it: the code that ran. */
  image: 'DFP_IMAGE',
} as const;

/** `<split>-<first 16 hex digits of sha256(canonical spec + split)>`. */
export function datasetId(spec: JsonValue, split: 'train' | 'val' | 'test'): string {
  return `${split}-${createHash('sha256')
    .update(`${canonicalJson(spec)}\n${split}`)
    .digest('hex')
    .slice(0, 16)}`;
}

/** What the model builder knows that a lineage declaration may refer to. */
export interface LineagePins {
  /** The commit a table is read at (dfp.lock.json's pin of its branch), if known. */
  commitOf(table: IcebergTable): string | undefined;
  /** The digest every feature-store target writes in definitions.sha256 (the same for Feast and Chronon). */
  readonly featureDefinitionsSha256: string;
}

/** The env entries a step's lineage adds; an unpinned table gives '' (lineageProblems reports it). */
export function lineageEnv(l: LineageProps, pins: LineagePins): Record<string, Arg> {
  const env: Record<string, Arg> = {
    [LINEAGE_ENV.repository]: l.lakefsRepository,
    [LINEAGE_ENV.ref]: l.lakefsRef instanceof PinnedCommit ? (pins.commitOf(l.lakefsRef.table) ?? '') : l.lakefsRef,
    [LINEAGE_ENV.table]: typeof l.sourceTable === 'string' ? l.sourceTable : l.sourceTable.node.id,
  };
  if (l.sourceTable instanceof IcebergTable) {
    env[LINEAGE_ENV.icebergTable] = l.sourceTable.qualifiedName;
    env[LINEAGE_ENV.tableLocation] = tableLocation(l.sourceTable.props.namespace, l.sourceTable.node.id);
  }
  if (l.icebergSnapshotId !== undefined) env[LINEAGE_ENV.snapshot] = l.icebergSnapshotId;
  const f = l.features ?? l.feast;
  if (f) {
    // Store-neutral names and the former Feast ones, in every environment alike: a stamp that
    // depended on the environment's feature store would make swapping the store rewrite the
    // orchestrator's files too. The digest is of the neutral definitions, so it is the same.
    const view = f.featureView instanceof FeatureView ? f.featureView.node.id : f.featureView;
    const digest =
      f.definitionsSha256 ?? (f.featureView instanceof FeatureView ? pins.featureDefinitionsSha256 : undefined);
    env[LINEAGE_ENV.featureView] = view;
    if (digest !== undefined) env[LINEAGE_ENV.featureDefs] = digest;
    env[LINEAGE_ENV.view] = view;
    if (digest !== undefined) env[LINEAGE_ENV.defs] = digest;
  }
  if (l.datasetSpec !== undefined) {
    env[LINEAGE_ENV.train] = datasetId(l.datasetSpec, 'train');
    env[LINEAGE_ENV.val] = datasetId(l.datasetSpec, 'val');
    env[LINEAGE_ENV.test] = datasetId(l.datasetSpec, 'test');
  }
  return env;
}

/** What is wrong with a lineage declaration, as `field: problem; remedy` messages. */
export function lineageProblems(l: LineageProps, pins: LineagePins): string[] {
  const out: string[] = [];
  if (l.lakefsRef instanceof PinnedCommit) {
    const t = l.lakefsRef.table;
    if (pins.commitOf(t) === undefined) {
      const key = `${t.props.lakefsRepository}@${namedRef(t.props.ref)?.name ?? '?'}`;
      out.push(
        `lineage.lakefsRef: table '${t.node.path}' reads ${key}, which is not pinned in ${lockOf(t).file}; run ` +
          `'dfp lock --update ${key}'`,
      );
    } else if (l.lakefsRepository !== t.props.lakefsRepository) {
      out.push(
        `lineage.lakefsRepository '${l.lakefsRepository}' is not the repository of table '${t.node.path}' ('` +
          `${t.props.lakefsRepository}'); name the same repository`,
      );
    }
  }
  if (
    l.sourceTable instanceof IcebergTable &&
    l.lakefsRef instanceof PinnedCommit &&
    l.lakefsRef.table !== l.sourceTable
  ) {
    out.push(
      `lineage.sourceTable '${l.sourceTable.node.path}' is not the table lakefsRef pins ('` +
        `${l.lakefsRef.table.node.path}'); read both from the same table`,
    );
  }
  if (
    l.sourceTable instanceof IcebergTable &&
    !(l.lakefsRef instanceof PinnedCommit) &&
    l.lakefsRepository !== l.sourceTable.props.lakefsRepository
  ) {
    out.push(
      `lineage.lakefsRepository '${l.lakefsRepository}' is not the repository of table '` +
        `${l.sourceTable.node.path}' ('${l.sourceTable.props.lakefsRepository}'); name the same repository`,
    );
  }
  if (typeof l.lakefsRef === 'string' && !HEX64.test(l.lakefsRef)) {
    out.push(
      `lineage.lakefsRef '${l.lakefsRef}' is not a lakeFS commit id; pin a 64-hex commit id (or pass a step ` +
        'output that is one), never a branch',
    );
  }
  if (l.features && l.feast) out.push("lineage.feast is the former name of lineage.features; give only 'features'");
  for (const [field, f] of [
    ['features', l.features],
    ['feast', l.feast],
  ] as const) {
    if (f?.definitionsSha256 !== undefined && !HEX64.test(f.definitionsSha256)) {
      out.push(
        `lineage.${field}.definitionsSha256 '${f.definitionsSha256}' is not a sha256; use the 64-hex digest of ` +
          'the definitions',
      );
    }
  }
  if (l.icebergSnapshotId !== undefined && !/^[0-9]+$/.test(l.icebergSnapshotId)) {
    out.push(`lineage.icebergSnapshotId '${l.icebergSnapshotId}' is not an Iceberg snapshot id; use its decimal id`);
  }
  return out;
}
