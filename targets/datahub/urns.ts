/**
 * DataHub URNs of dfp's model, stable by construction: the same definitions give the same
 * URNs. The names that identify an entity (pipeline, step, environment, `namespace.table`)
 * are already restricted by the model's rules to characters a URN holds as they are; free
 * text that becomes a URN (an owner, a tag) is encoded the way DataHub's own UrnEncoder
 * encodes reserved characters, with `%` encoded too so that the encoding is reversible.
 */
import type { DatasetRef, Environment } from '../../constructs/model/schema.ts';

/** DataHub's FabricType symbols (com.linkedin.common.FabricType). */
export const FABRICS = [
  'CERT',
  'CORP',
  'DEV',
  'EI',
  'NON_PROD',
  'PRD',
  'PRE',
  'PROD',
  'QA',
  'RVW',
  'SANDBOX',
  'SBX',
  'SIT',
  'STG',
  'TEST',
  'TST',
  'UAT',
] as const;
export type Fabric = (typeof FABRICS)[number];

/** Common environment names that are not a FabricType symbol themselves. */
const ALIASES: Readonly<Record<string, Fabric>> = {
  development: 'DEV',
  production: 'PROD',
  staging: 'STG',
  stage: 'STG',
  testing: 'TEST',
  preprod: 'PRE',
  'pre-prod': 'PRE',
};

/**
 * The environment's fabric: its name upper-cased when that is a FabricType symbol
 * (`dev` → DEV, `prod` → PROD, `qa` → QA), a common alias (`staging` → STG,
 * `production` → PROD), else NON_PROD. DataHub accepts no other value in a dataset URN.
 */
export function fabricOf(env: Pick<Environment, 'name'>): Fabric {
  const upper = env.name.toUpperCase().replace(/-/g, '_');
  if ((FABRICS as readonly string[]).includes(upper)) return upper as Fabric;
  return Object.hasOwn(ALIASES, env.name) ? ALIASES[env.name]! : 'NON_PROD';
}

/** DataHub's reserved URN characters: an identifying name holding one would split its URN. */
export const URN_RESERVED = /[,()\u241f]/;

/**
 * Python's `urllib.parse.quote` of each, as DataHub's UrnEncoder writes them (encodeURIComponent leaves `(` `)` alone).
 */
const ENCODED: Readonly<Record<string, string>> = {
  '%': '%25',
  ',': '%2C',
  '(': '%28',
  ')': '%29',
  '\u241f': '%E2%90%9F',
};

/** DataHub's reserved URN characters (`,`, `(`, `)`, `␟`) and `%`, percent-encoded as DataHub does. */
export function encodeUrnPart(s: string): string {
  return s.replace(/[%,()\u241f]/g, (c) => ENCODED[c]!);
}

export const datasetUrn = (ref: DatasetRef, fabric: Fabric) =>
  `urn:li:dataset:(urn:li:dataPlatform:${ref.platform},${ref.name},${fabric})`;
export const dataFlowUrn = (orchestrator: string, pipeline: string, fabric: Fabric) =>
  `urn:li:dataFlow:(${orchestrator},${pipeline},${fabric})`;
export const dataJobUrn = (flow: string, step: string) => `urn:li:dataJob:(${flow},${step})`;
export const tagUrn = (tag: string) => `urn:li:tag:${encodeUrnPart(tag)}`;

/** `team:<name>` is a group (corpGroup); anything else is a person or service account (corpuser). */
export function ownerUrn(owner: string): string {
  const team = /^team:(.+)$/s.exec(owner);
  return team ? `urn:li:corpGroup:${encodeUrnPart(team[1]!)}` : `urn:li:corpuser:${encodeUrnPart(owner)}`;
}
