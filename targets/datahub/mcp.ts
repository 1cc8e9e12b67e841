/**
 * Metadata change proposals in the JSON form DataHub's file source reads
 * (`MetadataChangeProposalWrapper.to_obj(simplified_structure=True)`): one UPSERT of one
 * aspect of one entity. Aspects carry DataHub's own defaults (audit stamps at time 0 by
 * `urn:li:corpuser:unknown`, empty maps) written out, so that reading a file back and
 * writing it again with DataHub's classes gives the same objects.
 */
export type AspectJson = { readonly [key: string]: unknown };

export interface Mcp {
  readonly entityType: 'dataset' | 'dataFlow' | 'dataJob';
  readonly entityUrn: string;
  readonly changeType: 'UPSERT';
  readonly aspectName: string;
  readonly aspect: { readonly json: AspectJson };
}

export const mcp = (entityType: Mcp['entityType'], entityUrn: string, aspectName: string, json: AspectJson): Mcp => ({
  entityType,
  entityUrn,
  changeType: 'UPSERT',
  aspectName,
  aspect: { json },
});

/** DataHub's default audit stamp: no time, no actor. Nothing about the render time goes in. */
export const UNKNOWN_STAMP = { time: 0, actor: 'urn:li:corpuser:unknown' } as const;

/** `ownership` for owner URNs (sorted, each once), or none when there are none. */
export function ownership(entityType: Mcp['entityType'], urn: string, owners: readonly string[]): Mcp[] {
  const unique = [...new Set(owners)].sort();
  if (unique.length === 0) return [];
  return [
    mcp(entityType, urn, 'ownership', {
      owners: unique.map((owner) => ({ owner, type: 'TECHNICAL_OWNER' })),
      ownerTypes: {},
      lastModified: UNKNOWN_STAMP,
    }),
  ];
}

/** `globalTags` for tag URNs (sorted, each once), or none when there are none. */
export function globalTags(entityType: Mcp['entityType'], urn: string, tags: readonly string[]): Mcp[] {
  const unique = [...new Set(tags)].sort();
  return unique.length === 0 ? [] : [mcp(entityType, urn, 'globalTags', { tags: unique.map((tag) => ({ tag })) })];
}

/** MCPs in a stable order: by entity URN, then aspect name. */
export function sortMcps(mcps: readonly Mcp[]): Mcp[] {
  const key = (m: Mcp) => `${m.entityUrn}\u0000${m.aspectName}`;
  return [...mcps].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
