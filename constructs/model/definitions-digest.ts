/**
 * The digest of the feature definitions: what the Feast and Chronon targets write as
 * `definitions.sha256` and training records as `features.defs_sha256` (and, under its former
 * name, `feast.defs_sha256`). One function over the store-neutral definitions, so no two of
 * them can disagree and swapping the feature store does not change the stamp.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../emit/json.ts';
import type { DataPlane, JsonValue, Table } from './schema.ts';

/**
 * sha256 over the canonical JSON of what defines the views (the views, their entities and
 * source tables). Left out: construct paths (moving a definition to another file is no
 * change) and the commit a table is read at (a data bump is not a definition change; the
 * lineage records the commit as `LAKEFS_REF`).
 */
export function definitionsDigest(data: Pick<DataPlane, 'tables' | 'entities' | 'featureViews'>): string {
  const withoutPath = <T extends { path: string }>({ path: _path, ...rest }: T) => rest;
  const declared = ({ lakefs: { commit: _commit, ...lakefs }, ...rest }: Table) => ({ ...withoutPath(rest), lakefs });
  const used = {
    featureViews: data.featureViews.map(withoutPath),
    entities: data.entities.filter((e) => data.featureViews.some((v) => v.entities.includes(e.name))).map(withoutPath),
    tables: data.tables.filter((t) => data.featureViews.some((v) => v.source === t.name)).map(declared),
  };
  return createHash('sha256')
    .update(canonicalJson(used as unknown as JsonValue))
    .digest('hex');
}
