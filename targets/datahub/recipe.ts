/**
 * The ingestion recipe the `datahub` CLI runs: the file source over the rendered MCP files
 * as the ingest Job mounts them, and the datahub-rest sink to the environment's GMS. The
 * token is `${DATAHUB_GMS_TOKEN}`, which the CLI expands from the Job's environment, where
 * it comes from a Secret reference: no token is ever written into a file. Stateful
 * ingestion removes what the definitions no longer hold, like synth's orphan cleanup.
 */
import type { Environment } from '../../constructs/model/schema.ts';
import { toYaml } from '../../emit/yaml.ts';

/** Where the ingest Job mounts the MCP files. */
export const METADATA_MOUNT = '/datahub/metadata';
/** The environment variable that holds the token in the Job. */
export const TOKEN_VARIABLE = 'DATAHUB_GMS_TOKEN';

export function recipeYaml(env: Environment, server: string): string {
  return toYaml({
    pipeline_name: `dfp-${env.name}`,
    source: {
      type: 'file',
      config: {
        path: METADATA_MOUNT,
        file_extension: '.json',
        // What a run no longer holds (a renamed pipeline, a dropped table) is soft-deleted:
        // DataHub keeps the last run's URNs as state under pipeline_name.
        stateful_ingestion: { enabled: true, remove_stale_metadata: true },
      },
    },
    sink: { type: 'datahub-rest', config: { server, token: `\${${TOKEN_VARIABLE}}` } },
  });
}
