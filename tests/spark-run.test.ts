/**
 * A rendered SparkApplication runs on real Spark: the `transforms` golden fixture's SQL
 * transform (join-orders) is run by pyspark 3.5.6 (uv-locked, tests/conformance/spark/)
 * with the application's own sparkConf and pinned packages, resolved from Maven Central
 * into .tools/ivy, its warehouse on a local folder instead of lakeFS. Its output table
 * holds Avro data files only; without dfp's catalog property the same run writes Parquet,
 * so the check can fail.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT, run } from './support/process.ts';

const HARNESS = join(ROOT, 'tests', 'conformance', 'spark');
const APP = join(ROOT, 'tests', 'golden', 'transforms', 'on-spark', 'spark', 'applications', 'join-orders.yaml');
const AVRO_KEY = 'spark.sql.catalog.lakefs.table-override.write.format.default';

interface Output { formats: string[]; rows: number; properties: Record<string, string> }

function runApp(app: Record<string, any>): { statements: number; outputs: Record<string, Output> } {
  const dir = mkdtempSync(join(tmpdir(), 'dfp-spark-'));
  const ivy = join(ROOT, '.tools', 'ivy');
  mkdirSync(ivy, { recursive: true });
  mkdirSync(join(dir, 'warehouse'));
  writeFileSync(join(dir, 'app.json'), JSON.stringify(app));
  const r = run(join(HARNESS, '.venv', 'bin', 'python'), [join(HARNESS, 'run_sql_app.py'), join(dir, 'app.json'), join(dir, 'warehouse'), ivy, join(HARNESS, 'shop-inputs.sql'), join(dir, 'result.json')], { timeoutMs: 900_000 });
  if (r.status !== 0) throw new Error(`run_sql_app.py failed (${r.status}):\n${r.stderr.slice(-4000)}`);
  return JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8'));
}

describe('a rendered SparkApplication runs on Spark 3.5.6 and writes Avro data files', () => {
  const app = parse(readFileSync(APP, 'utf8'));

  it('runs every statement; the output table has Avro data files and the Avro default', () => {
    const result = runApp(app);
    expect(result.statements).toBe(2);
    const orders = result.outputs['shop.orders']!;
    expect(orders.formats).toEqual(['AVRO']);
    expect(orders.properties['write.format.default']).toBe('avro');
    expect(orders.rows).toBe(1);
  }, 900_000);

  it('without the catalog property the same run writes Parquet', () => {
    const copy = structuredClone(app);
    delete copy.spec.sparkConf[AVRO_KEY];
    expect(runApp(copy).outputs['shop.orders']!.formats).toEqual(['PARQUET']);
  }, 900_000);
});
