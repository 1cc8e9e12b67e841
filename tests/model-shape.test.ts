/**
 * The model builder's output satisfies the zod schema exactly: parsing it changes
 * nothing (no unknown field, no missing one). buildModel does not parse it on every
 * synth, so this test holds the builder to the schema for every example and fixture.
 */
import { describe, expect, it } from 'vitest';
import { DfpApp } from '../app/dfp-app.ts';
import { buildModel, parseModelShape } from '../constructs/model/build.ts';
import { buildApp } from '../main.ts';
import { generatePipelines } from '../bench/generator/generate.ts';
import { buildBenchApp } from '../bench/dfp/app.ts';
import { airflowControlFlowApp } from './fixtures/airflow-control-flow.ts';
import { controlFlowApp } from './fixtures/control-flow.ts';
import { kubeflowFlowApp } from './fixtures/kubeflow-flow.ts';

const fixture = (define: (app: DfpApp) => void) => () => {
  const app = new DfpApp();
  define(app);
  return app;
};

const APPS: [string, () => DfpApp][] = [
  ['the examples (main.ts)', () => buildApp()],
  ['control-flow', fixture(controlFlowApp)],
  ['kubeflow-flow', fixture(kubeflowFlowApp)],
  ['airflow-control-flow', fixture(airflowControlFlowApp)],
  ['20 generated bench pipelines', () => buildBenchApp(generatePipelines(20), 'all', 'unused-dist')],
];

describe('model shape', () => {
  for (const [name, make] of APPS) {
    it(`${name}: the built model parses unchanged`, () => {
      const model = buildModel(make());
      expect(parseModelShape(model)).toStrictEqual(model);
    });
  }
});
