/**
 * The MLflow tags a run's lineage is recorded in (docs/lineage.md), as
 * images/dfp_tools/dfp_tools/lineage.py writes them, and their reading back
 * into typed data at this boundary. tests/trace.test.ts holds the two lists equal.
 */
import { z } from 'zod';
import { HEX64 } from '../constructs/model/names.ts';
import { LINEAGE_ENV } from '../constructs/lineage.ts';

/** Env stamp -> MLflow tag, in the helper's order. */
export const LINEAGE_TAGS: Readonly<Record<string, string>> = {
  [LINEAGE_ENV.repository]: 'data.lakefs_repository',
  [LINEAGE_ENV.ref]: 'data.lakefs_ref',
  [LINEAGE_ENV.table]: 'data.source_table',
  [LINEAGE_ENV.icebergTable]: 'data.iceberg_table',
  [LINEAGE_ENV.tableLocation]: 'data.iceberg_table_location',
  [LINEAGE_ENV.snapshot]: 'data.iceberg_snapshot_id',
  [LINEAGE_ENV.featureView]: 'features.feature_view',
  [LINEAGE_ENV.featureDefs]: 'features.defs_sha256',
  [LINEAGE_ENV.view]: 'feast.feature_view',
  [LINEAGE_ENV.defs]: 'feast.defs_sha256',
  [LINEAGE_ENV.train]: 'dataset.train_id',
  [LINEAGE_ENV.val]: 'dataset.val_id',
  [LINEAGE_ENV.test]: 'dataset.test_id',
  [LINEAGE_ENV.pipeline]: 'dfp.pipeline',
  [LINEAGE_ENV.environment]: 'dfp.environment',
  [LINEAGE_ENV.definitions]: 'dfp.definitions_sha256',
  DFP_DEFINITIONS_REVISION: 'dfp.definitions_revision',
  [LINEAGE_ENV.lakefsEndpoint]: 'dfp.lakefs_endpoint',
  [LINEAGE_ENV.image]: 'code.image',
};

/** A weight file's tag: `dfp.weights/<artifact path>` = its sha256. */
export const WEIGHTS_TAG = 'dfp.weights/';

/** The tags every run recorded by the helper has. */
const REQUIRED = [
  'data.lakefs_repository',
  'data.lakefs_ref',
  'data.source_table',
  'dfp.pipeline',
  'dfp.environment',
  'dfp.definitions_sha256',
];

const hex64 = z.string().regex(HEX64, 'is not a 64-hex digest');
const safePath = z
  .string()
  .refine((p) => p !== '' && !p.startsWith('/') && !p.split('/').includes('..'), 'is not a relative path');

const lineage = z.object({
  'data.lakefs_repository': z.string().min(1),
  'data.lakefs_ref': hex64,
  'data.source_table': z.string().min(1),
  'data.iceberg_table': z.string().optional(),
  'data.iceberg_table_location': safePath.optional(),
  'data.iceberg_snapshot_id': z
    .string()
    .regex(/^[0-9]+$/, 'is not a decimal snapshot id')
    .optional(),
  'features.feature_view': z.string().optional(),
  'features.defs_sha256': hex64.optional(),
  'feast.feature_view': z.string().optional(),
  'feast.defs_sha256': hex64.optional(),
  'dataset.train_id': z.string().optional(),
  'dataset.val_id': z.string().optional(),
  'dataset.test_id': z.string().optional(),
  'dfp.pipeline': z.string().min(1),
  'dfp.environment': z.string().min(1),
  'dfp.definitions_sha256': hex64,
  'dfp.definitions_revision': z.string().optional(),
  'dfp.lakefs_endpoint': z.string().optional(),
  /** The training step's image, `name:tag@sha256:…` when dfp.lock.json pinned it. */
  'code.image': z.string().min(1).optional(),
});

/**
 * The feature view and definitions digest a run records: the store-neutral tags, or for
 * a run recorded before they existed, the Feast names of the same stamps.
 */
export function featureStamps(t: Lineage['tags']): { view?: string; defs?: string } {
  const view = t['features.feature_view'] ?? t['feast.feature_view'];
  const defs = t['features.defs_sha256'] ?? t['feast.defs_sha256'];
  return { ...(view !== undefined ? { view } : {}), ...(defs !== undefined ? { defs } : {}) };
}

/** A run's lineage, read from its tags. */
export interface Lineage {
  readonly tags: z.infer<typeof lineage>;
  /** Weight artifact path -> sha256, sorted by path. */
  readonly weights: Readonly<Record<string, string>>;
}

/** Why a run's tags are not a lineage, one line for the person tracing it. */
export class LineageTagError extends Error {}

/** The run's lineage, or a {@link LineageTagError} saying which tag is missing or wrong. */
export function readLineage(runId: string, tags: Readonly<Record<string, string>>): Lineage {
  const missing = REQUIRED.filter((t) => tags[t] === undefined);
  if (missing.length === REQUIRED.length) {
    throw new LineageTagError(
      `run '${runId}' has no lineage tags (${REQUIRED.slice(0, 2).join(', ')}, …): it was not recorded with ` +
        'dfp_tools.lineage.record_lineage, so it cannot be traced',
    );
  }
  if (missing.length > 0)
    throw new LineageTagError(
      `run '${runId}' lacks the lineage tag${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; its lineage ` +
        'was not recorded whole',
    );
  const known = new Set(Object.values(LINEAGE_TAGS));
  const parsed = lineage.safeParse(Object.fromEntries(Object.entries(tags).filter(([k]) => known.has(k))));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0]);
    throw new LineageTagError(
      `run '${runId}' has tag ${key} = '${tags[key]}', which ${issue.message.replace(/^Invalid string: /, '')}`,
    );
  }
  for (const [neutral, feast] of [
    ['features.feature_view', 'feast.feature_view'],
    ['features.defs_sha256', 'feast.defs_sha256'],
  ] as const) {
    const [a, b] = [parsed.data[neutral], parsed.data[feast]];
    if (a !== undefined && b !== undefined && a !== b)
      throw new LineageTagError(
        `run '${runId}' has tag ${neutral} = '${a}' but ${feast} = '${b}'; the Feast name of a stamp holds the ` +
          'same value, so one was changed after the run',
      );
  }
  const weights: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags)
    .filter(([k]) => k.startsWith(WEIGHTS_TAG))
    .sort(([a], [b]) => (a < b ? -1 : 1))) {
    const path = k.slice(WEIGHTS_TAG.length);
    if (!safePath.safeParse(path).success || !HEX64.test(v))
      throw new LineageTagError(`run '${runId}' has tag ${k} = '${v}', which is not a weight path and its sha256`);
    weights[path] = v;
  }
  return { tags: parsed.data, weights };
}
