/**
 * Golden file of the Airflow control-flow fixture (the examples' DAG files are dist/
 * itself, checked by golden.test.ts). `make golden` rewrites it; review the diff.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DfpApp } from '../constructs/index.ts';
import { buildModel } from '../constructs/model/build.ts';
import { renderAll } from '../synth/render.ts';
import { readTree } from '../synth/writer.ts';
import { TARGETS } from '../targets/index.ts';
import { airflowControlFlowApp } from './fixtures/airflow-control-flow.ts';

const GOLDEN = join(import.meta.dirname, 'golden', 'airflow-control-flow');
const update = process.env.UPDATE_GOLDEN === '1';

describe('golden: Airflow control-flow fixture', () => {
  const app = new DfpApp({ distDir: join(tmpdir(), 'dfp-never-written') });
  airflowControlFlowApp(app);
  // Only the Airflow target: the fixture's other files (docs, Argo CD) have goldens elsewhere.
  const rendered = renderAll(buildModel(app), TARGETS.filter((t) => t.name === 'airflow'));

  if (update) {
    rmSync(GOLDEN, { recursive: true, force: true });
    for (const f of rendered) {
      mkdirSync(dirname(join(GOLDEN, f.path)), { recursive: true });
      writeFileSync(join(GOLDEN, f.path), f.content);
    }
  }

  it('renders only the DAG file, and exactly the golden files', () => {
    expect(rendered.map((f) => f.path)).toEqual(['golden-airflow/airflow/dags/airflow-control-flow.py']);
    expect(rendered.map((f) => f.path)).toEqual([...readTree(GOLDEN).keys()].sort());
  });

  for (const f of rendered) {
    it(`${f.path} is byte-identical to its golden file`, () => {
      const golden = join(GOLDEN, f.path);
      expect(existsSync(golden), `missing golden file ${golden}; run 'make golden' and review it`).toBe(true);
      expect(f.content).toBe(readFileSync(golden, 'utf8'));
    });
  }
});
