/**
 * A rendered SQL transform runs on both real engines, with the same result:
 * - Spark: the `transforms` golden fixture's SparkApplication (join-orders) is run by
 *   pyspark 3.5.6 (uv-locked, tests/conformance/spark/) with the application's own
 *   sparkConf and pinned packages, resolved from Maven Central into .tools/ivy, its
 *   warehouse on a local folder instead of lakeFS. The output table holds Avro data files
 *   only; without dfp's catalog property the same run writes Parquet, so the check can fail.
 * - DataFusion: the same transform's Job (its container arguments) is run by
 *   datafusion-python 55.0.0 (uv-locked, tests/conformance/datafusion/) on the same input
 *   rows, and gives the rows Spark wrote.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT, run } from './support/process.ts';

const CONFORMANCE = join(ROOT, 'tests', 'conformance');
const GOLDEN = join(ROOT, 'tests', 'golden', 'transforms');
const AVRO_KEY = 'spark.sql.catalog.lakefs.table-override.write.format.default';
const EXPECTED_ROWS = [
  { event_timestamp: '2026-01-01T00:00:00', order_id: 'c1', customer_id: 'c1', amount: 12.5, region: 'eu' },
];

interface SparkOutput {
  formats: string[];
  rows: Record<string, unknown>[];
  properties: Record<string, string>;
}

function harness(name: string, script: string, args: (dir: string) => string[]): any {
  const dir = mkdtempSync(join(tmpdir(), `dfp-${name}-`));
  const result = join(dir, 'result.json');
  // pyspark turns timestamps into Python datetimes in the process's zone: UTC, like the inputs.
  const r = run(
    join(CONFORMANCE, name, '.venv', 'bin', 'python'),
    [join(CONFORMANCE, name, script), ...args(dir), result],
    { timeoutMs: 900_000, env: { TZ: 'UTC' } },
  );
  if (r.status !== 0) throw new Error(`${script} failed (${r.status}):\n${r.stderr.slice(-4000)}`);
  return JSON.parse(readFileSync(result, 'utf8'));
}

function runSpark(app: Record<string, any>): { queries: number; outputs: Record<string, SparkOutput> } {
  const ivy = join(ROOT, '.tools', 'ivy');
  mkdirSync(ivy, { recursive: true });
  return harness('spark', 'run_sql_app.py', (dir) => {
    mkdirSync(join(dir, 'warehouse'));
    writeFileSync(join(dir, 'app.json'), JSON.stringify(app));
    return [join(dir, 'app.json'), join(dir, 'warehouse'), ivy, join(CONFORMANCE, 'spark', 'shop-inputs.sql')];
  });
}

describe('a rendered SQL transform runs on Spark 3.5.6 and on DataFusion with the same result', () => {
  const app = parse(readFileSync(join(GOLDEN, 'on-spark', 'spark', 'applications', 'join-orders.yaml'), 'utf8'));
  const job = parse(readFileSync(join(GOLDEN, 'on-datafusion', 'datafusion', 'jobs', 'join-orders.yaml'), 'utf8'));

  it('Spark writes each query into its table, with Avro data files and the Avro default', () => {
    const result = runSpark(app);
    expect(result.queries).toBe(1);
    const orders = result.outputs['shop.orders']!;
    expect(orders.formats).toEqual(['AVRO']);
    expect(orders.properties['write.format.default']).toBe('avro');
    expect(orders.rows).toEqual(EXPECTED_ROWS);
  }, 900_000);

  it('without the catalog property the same Spark run writes Parquet', () => {
    const copy = structuredClone(app);
    delete copy.spec.sparkConf[AVRO_KEY];
    expect(runSpark(copy).outputs['shop.orders']!.formats).toEqual(['PARQUET']);
  }, 900_000);

  it('DataFusion runs the same queries from the Job to the same rows', () => {
    const result = harness('datafusion', 'run_sql_job.py', (dir) => {
      writeFileSync(join(dir, 'job.json'), JSON.stringify(job));
      return [join(dir, 'job.json'), join(CONFORMANCE, 'datafusion', 'shop-inputs.sql')];
    });
    expect(result.outputs['shop.orders']).toEqual(EXPECTED_ROWS);
  }, 900_000);
});
