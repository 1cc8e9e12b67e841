/**
 * Strict validation of SparkApplications by the Spark Operator's own API models
 * (kubeflow-spark-api, in tests/conformance/spark-operator/, created by `make python`):
 * types and required fields by the models, unknown fields by a round trip that must
 * give the input back unchanged.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './process.ts';

const HARNESS = join(ROOT, 'tests', 'conformance', 'spark-operator');
const PYTHON = join(HARNESS, '.venv', 'bin', 'python');

export interface SparkResult {
  readonly name: string;
  readonly ok: boolean;
  readonly error: string | null;
  /** Dotted path of the offending value (`spec.driver.memry`). */
  readonly path: string | null;
}

/** Validates every object in one Python process. */
export function validateSparkApplications(subjects: readonly { name: string; object: unknown }[]): SparkResult[] {
  if (!existsSync(PYTHON))
    throw new Error(`${PYTHON} is missing; run 'make python' (make test does) to create the harness environment`);
  const r = spawnSync(PYTHON, [join(HARNESS, 'validate.py')], {
    input: JSON.stringify(subjects),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`spark-operator harness failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as SparkResult[];
}
