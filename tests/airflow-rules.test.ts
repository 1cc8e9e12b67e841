/**
 * Input the model accepts but Airflow cannot run is refused by the Airflow target, with
 * the construct path and what to change; names Python would confuse are kept apart.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ContainerStep,
  Environment,
  ParallelFor,
  Pipeline,
  Schedule,
  eq,
  outputPath,
  type PipelineProps,
} from '../constructs/index.ts';
import { DfpApp } from '../app/dfp-app.ts';
import { buildModel } from '../constructs/model/build.ts';
import { DfpError } from '../constructs/model/errors.ts';
import { renderAll } from '../synth/render.ts';
import { TARGETS } from '../targets/index.ts';
import { envProps, IMAGE } from './support/fixtures.ts';

function airflowApp(props: PipelineProps = {}): { app: DfpApp; p: Pipeline } {
  const app = new DfpApp({ distDir: join(tmpdir(), 'dfp-never-written') });
  new Environment(app, 'test', envProps({ orchestrator: 'airflow' }));
  return { app, p: new Pipeline(app, 'p', props) };
}

function problems(app: DfpApp): { path: string; message: string }[] {
  try {
    renderAll(buildModel(app), TARGETS);
  } catch (e) {
    if (e instanceof DfpError) return e.problems.map((x) => ({ path: x.path, message: x.message }));
    throw e;
  }
  return [];
}

describe('Airflow target refuses what Airflow cannot run, by construct path', () => {
  it('a scheduled pipeline with a parameter that has no default: refused by the model, for every orchestrator', () => {
    const { app, p } = airflowApp({
      schedule: Schedule.daily(6, 0, 'UTC'),
      parameters: { run_name: { type: 'string' } },
    });
    new ContainerStep(p, 'step', { image: IMAGE, args: [p.param('run_name')] });
    expect(problems(app)).toEqual([
      {
        path: 'p',
        message:
          "parameter 'run_name' has no default, but the pipeline runs on a schedule ('0 6 * * *'), and a " +
          "scheduled run has nobody to supply a value (Argo's cron controller, Airflow's scheduler and a " +
          'Kubeflow recurring run would start nothing); give it a default or drop the schedule',
      },
    ]);
  });

  it('an output parameter on a step without a command', () => {
    const { app, p } = airflowApp();
    new ContainerStep(p, 'step', { image: IMAGE, args: ['--out', outputPath('value')], outputs: { value: 'string' } });
    const [problem] = problems(app);
    expect(problem?.path).toBe('p/step');
    expect(problem?.message).toContain(
      "has output parameters (value) but no command; Airflow collects outputs after the command ends, so set 'command'",
    );
  });

  it('a step inside nested loops', () => {
    const { app, p } = airflowApp();
    const outer = new ParallelFor(p, 'outer', { items: ['a', 'b'] });
    const inner = new ParallelFor(outer, 'inner', { items: ['x', 'y'] });
    new ContainerStep(inner, 'step', { image: IMAGE, args: [inner.item()] });
    const [problem] = problems(app);
    expect(problem?.path).toBe('p/outer/inner/step');
    expect(problem?.message).toContain("Airflow's dynamic task mapping cannot nest");
  });

  it('a condition on a loop item', () => {
    const { app, p } = airflowApp();
    const loop = new ParallelFor(p, 'loop', { items: ['a', 'b'] });
    new ContainerStep(loop, 'step', { image: IMAGE, when: eq(loop.item(), 'a') });
    const [problem] = problems(app);
    expect(problem?.path).toBe('p/loop/step');
    expect(problem?.message).toContain("decides on an item of loop 'loop'");
  });

  it('a tag longer than Airflow allows', () => {
    const { app, p } = airflowApp({ tags: ['x'.repeat(101)] });
    new ContainerStep(p, 'step', { image: IMAGE });
    const [problem] = problems(app);
    expect(problem?.path).toBe('p');
    expect(problem?.message).toContain('is 101 characters long; Airflow allows at most 100');
  });
});

describe('Python names', () => {
  it('steps named like the modules and helpers the DAG file binds get their own variables', () => {
    const { app, p } = airflowApp();
    for (const name of ['dag', 'json', 'datetime', 'k8s', 'param', 'class'])
      new ContainerStep(p, name, { image: IMAGE });
    const dag = renderAll(buildModel(app), TARGETS).find((f) => f.path === 'test/airflow/dags/p.py')!.content;
    for (const v of ['dag_2', 'json_2', 'datetime_2', 'k8s_2', 'param', 'class_'])
      expect(dag).toContain(`\n    ${v} = KubernetesPodOperator(`);
  });
});
