/**
 * Golden files: rendered bytes compared with reviewed bytes. The examples' golden files
 * are the committed dist/ itself (`make synth` regenerates it); the control-flow
 * fixture's live in tests/golden/ (`make golden` regenerates them). Review the diff.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DfpApp } from '../constructs/index.ts';
import { buildModel } from '../constructs/model/build.ts';
import { buildApp } from '../main.ts';
import { renderAll } from '../synth/render.ts';
import { readTree } from '../synth/writer.ts';
import { TARGETS } from '../targets/index.ts';
import { controlFlowApp } from './fixtures/control-flow.ts';

const GOLDEN = join(import.meta.dirname, 'golden', 'control-flow');
const update = process.env.UPDATE_GOLDEN === '1';

describe('golden: the examples render to the committed dist/', () => {
  const rendered = renderAll(buildModel(buildApp()), TARGETS);
  const committed = readTree(join(import.meta.dirname, '..', 'dist'));

  it('renders both examples for both environments', () => {
    const paths = rendered.map((f) => f.path);
    for (const pipeline of ['iris', 'kronodroid-autoencoder']) expect(paths).toContain(`dev/argo/workflow-templates/${pipeline}.yaml`);
    expect(paths).toContain('dev/argo/cron-workflows/iris.yaml');
    for (const pipeline of ['iris', 'kronodroid-autoencoder']) expect(paths).toContain(`prod/airflow/dags/${pipeline}.py`);
    expect(paths.filter((p) => p.startsWith('prod/argo/'))).toEqual([]);
  });

  it('has exactly the committed files', () => {
    expect(rendered.map((f) => f.path)).toEqual([...committed.keys()].sort());
  });

  for (const f of rendered) {
    it(`${f.path} is byte-identical to dist/`, () => {
      expect(f.content).toBe(committed.get(f.path));
    });
  }
});

describe('golden: control-flow fixture', () => {
  const app = new DfpApp();
  controlFlowApp(app);
  const rendered = renderAll(buildModel(app), TARGETS);

  if (update) {
    rmSync(GOLDEN, { recursive: true, force: true });
    for (const f of rendered) {
      mkdirSync(dirname(join(GOLDEN, f.path)), { recursive: true });
      writeFileSync(join(GOLDEN, f.path), f.content);
    }
  }

  it('has exactly the golden files', () => {
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
