import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One pipeline run an orchestrator executed during `make e2e`. */
export interface RunRow {
  /** The orchestrator that executed the run: `argo`, `airflow` or `kubeflow`. */
  readonly orchestrator: string;
  /** The dfp environment whose dist/ files were run (`staging`, `prod`, `dev`). */
  readonly environment: string;
  /** The pipeline's name as dfp knows it. */
  readonly pipeline: string;
  /** The engine the transforms ran on (`spark`, `datafusion`), or `-` when the pipeline has none. */
  readonly engine: string;
  /** Steps (tasks) the orchestrator ran, and how many succeeded. */
  readonly steps: number;
  readonly stepsSucceeded: number;
  /** The orchestrator's own final word on the run (`Succeeded`, `Failed`, `success`, …). */
  readonly status: string;
  /** Wall time of the run, from submission to its final state. */
  readonly seconds: number;
  /** Anything the reader must know: a skipped step and why, a run id. */
  readonly note?: string;
}

/** Where the rows go: one JSON file per run, printed as one table by scripts/e2e/table.mjs. */
export function runsDir(): string {
  return join(process.env.DFP_E2E_OUT ?? '.e2e', 'runs');
}

/** Records one run; the file name keeps rows of different orchestrators apart. */
export function recordRun(row: RunRow): void {
  const dir = runsDir();
  mkdirSync(dir, { recursive: true });
  const file = `${row.orchestrator}-${row.environment}-${row.pipeline}-${row.engine}.json`;
  writeFileSync(join(dir, file), `${JSON.stringify(row, null, 2)}\n`);
}

/** Every recorded row, in a stable order. */
export function readRuns(): RunRow[] {
  let files: string[];
  try {
    files = readdirSync(runsDir()).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  return files.sort().map((f) => JSON.parse(readFileSync(join(runsDir(), f), 'utf8')) as RunRow);
}
