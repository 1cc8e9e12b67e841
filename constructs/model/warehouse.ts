/**
 * Where an Iceberg table lives in its lakeFS repository. dfp's tables use Iceberg's
 * Hadoop catalog with the warehouse at `<repository>/<ref>/warehouse`, so a table's files
 * are the objects under `warehouse/<namespace>/<table>/` at a ref. The data-plane targets
 * build their catalog URIs from this, and lineage stamps it into training steps, so the
 * run-time helper and `dfp trace` read the very files the engines wrote.
 */

/** The warehouse's folder inside a lakeFS ref. */
export const WAREHOUSE_FOLDER = 'warehouse';

/** A table's folder inside a lakeFS ref: `warehouse/<namespace>/<table>`. */
export function tableLocation(namespace: string, table: string): string {
  return `${WAREHOUSE_FOLDER}/${namespace}/${table}`;
}
