/**
 * Golden files: rendered bytes compared with reviewed bytes. The examples' golden files
 * are the committed dist/ itself (`make synth` regenerates it); the control-flow
 * fixtures' live in tests/golden/<fixture>/ (`make golden` regenerates them). Review the diff.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DfpApp } from '../app/dfp-app.ts';
import { buildModel } from '../constructs/model/build.ts';
import { buildApp } from '../main.ts';
import { renderAll } from '../synth/render.ts';
import { readTree } from '../synth/writer.ts';
import { TARGETS } from '../targets/index.ts';
import { controlFlowApp } from './fixtures/control-flow.ts';
import { kubeflowFlowApp } from './fixtures/kubeflow-flow.ts';
import { airflowControlFlowApp } from './fixtures/airflow-control-flow.ts';
import { transformsApp } from './fixtures/transforms.ts';
import { featuresApp } from './fixtures/features.ts';
import { FIXTURE_LOCK } from './support/fixtures.ts';

const GOLDEN_ROOT = join(import.meta.dirname, 'golden');
const update = process.env.UPDATE_GOLDEN === '1';

describe('golden: the examples render to the committed dist/', () => {
  const rendered = renderAll(buildModel(buildApp()), TARGETS);
  const committed = readTree(join(import.meta.dirname, '..', 'dist'));

  it('renders both examples for every environment, with its orchestrator', () => {
    const paths = rendered.map((f) => f.path);
    const expected: Record<string, (pipeline: string) => string> = {
      argo: (p) => `argo/workflow-templates/${p}.yaml`,
      kubeflow: (p) => `kubeflow/pipelines/${p}.yaml`,
      airflow: (p) => `airflow/dags/${p}.py`,
    };
    for (const env of buildModel(buildApp()).environments) {
      const file = expected[env.orchestrator];
      if (!file) continue;
      for (const pipeline of ['iris', 'kronodroid-autoencoder'])
        expect(paths).toContain(`${env.name}/${file(pipeline)}`);
    }
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

const FIXTURES: [string, (app: DfpApp) => void][] = [
  ['control-flow', controlFlowApp],
  ['kubeflow-flow', kubeflowFlowApp],
  ['airflow-control-flow', airflowControlFlowApp],
  ['transforms', transformsApp],
  ['features', featuresApp],
];

for (const [name, define] of FIXTURES) {
  describe(`golden: ${name} fixture`, () => {
    const dir = join(GOLDEN_ROOT, name);
    const app = new DfpApp({ lockFile: FIXTURE_LOCK });
    define(app);
    const rendered = renderAll(buildModel(app), TARGETS);

    if (update) {
      rmSync(dir, { recursive: true, force: true });
      for (const f of rendered) {
        mkdirSync(dirname(join(dir, f.path)), { recursive: true });
        writeFileSync(join(dir, f.path), f.content);
      }
    }

    it('has exactly the golden files', () => {
      expect(rendered.map((f) => f.path)).toEqual([...readTree(dir).keys()].sort());
    });

    for (const f of rendered) {
      it(`${f.path} is byte-identical to its golden file`, () => {
        const golden = join(dir, f.path);
        expect(existsSync(golden), `missing golden file ${golden}; run 'make golden' and review it`).toBe(true);
        expect(f.content).toBe(readFileSync(golden, 'utf8'));
      });
    }
  });
}
