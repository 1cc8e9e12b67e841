/**
 * The benchmark cannot silently rot: three generated pipelines build in dfp, compile
 * with the real kfp compiler and render with Hera (bench/python, uv-locked), and all
 * three tools see the same steps, condition, loop and secret references.
 */
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '../constructs/model/build.ts';
import { buildBenchApp } from '../bench/dfp/app.ts';
import { generatePipeline, generatePipelines } from '../bench/generator/generate.ts';
import { renderAll } from '../synth/render.ts';
import { TARGETS } from '../targets/index.ts';
import { airflowEnv, AIRFLOW_PYTHON } from './support/airflow.ts';
import { ROOT, run } from './support/process.ts';

const HARNESS = join(ROOT, 'bench', 'python');
const SCRATCH = mkdtempSync(join(tmpdir(), 'dfp-bench-test-'));
const specs = generatePipelines(3);

interface Twins {
  kfp: { executors: number; conditions: number; loops: number; secretSteps: number };
  hera: { kind: string; containers: number; conditions: number; loops: number; secretSteps: number };
}

describe('bench generator', () => {
  let twins: Record<string, Twins>;

  beforeAll(() => {
    const env = run(join(ROOT, 'scripts', 'python-env.sh'), [HARNESS], { timeoutMs: 300_000 });
    expect(env.status, env.stderr).toBe(0);
    const file = join(SCRATCH, 'specs.json');
    writeFileSync(file, JSON.stringify(specs));
    const r = run(join(HARNESS, '.venv', 'bin', 'python'), [join(HARNESS, 'check_twins.py'), file, SCRATCH], {
      cwd: HARNESS,
    });
    expect(r.status, r.stderr).toBe(0);
    twins = JSON.parse(r.stdout) as Record<string, Twins>;
  }, 300_000);

  it('is deterministic and independent of how many pipelines are generated', () => {
    expect(generatePipelines(3)).toEqual(specs);
    expect(generatePipeline(2)).toEqual(specs[2]);
    for (const s of specs) {
      expect(s.steps.length).toBeGreaterThanOrEqual(10);
      expect(s.steps.length).toBeLessThanOrEqual(30);
    }
  });

  it('builds in dfp with every target, the same graph as the spec', () => {
    const model = buildModel(buildBenchApp(specs, 'all', join(SCRATCH, 'dist')));
    const files = renderAll(model, TARGETS);
    for (const s of specs) {
      const p = model.pipelines.find((x) => x.name === s.name)!;
      expect(p.steps.map((x) => x.name)).toEqual(s.steps.map((x) => x.name));
      expect(p.groups.map((g) => g.kind).sort()).toEqual(['condition', 'loop']);
      expect(p.steps.filter((x) => x.secretEnv.length).length).toBe(s.steps.filter((x) => x.secret).length);
      expect(files.some((f) => f.path === `bench-kubeflow/kubeflow/pipelines/${s.name}.yaml`)).toBe(true);
      expect(files.some((f) => f.path === `bench-argo/argo/workflow-templates/${s.name}.yaml`)).toBe(true);
    }
  });

  it('compiles with the real kfp compiler to the same steps, one condition, one loop and the secret references', () => {
    for (const s of specs) {
      const secretSteps = s.steps.filter((x) => x.secret).length;
      expect(twins[s.name]!.kfp).toEqual({ executors: s.steps.length, conditions: 1, loops: 1, secretSteps });
    }
  });

  it('renders with Hera to a WorkflowTemplate with the same steps, condition, loop and secret references', () => {
    for (const s of specs) {
      const secretSteps = s.steps.filter((x) => x.secret).length;
      expect(twins[s.name]!.hera).toEqual({
        kind: 'WorkflowTemplate',
        containers: s.steps.length,
        conditions: 1,
        loops: 1,
        secretSteps,
      });
    }
  });

  it(
    "the Airflow parse comparison reads both sides with real Airflow: dfp's DAG files and the hand-written twins " +
      'import, and a broken twin is counted',
    () => {
      const dfpDist = join(SCRATCH, 'airflow-dist');
      const files = renderAll(
        buildModel(buildBenchApp(specs, 'airflow', dfpDist)),
        TARGETS.filter((t) => t.name === 'airflow'),
      );
      const dags = join(SCRATCH, 'airflow-dfp');
      mkdirSync(dags, { recursive: true });
      for (const f of files) writeFileSync(join(dags, f.path.split('/').pop()!), f.content);
      const hand = join(SCRATCH, 'airflow-hand');
      const specsFile = join(SCRATCH, 'specs.json');
      const twin = run(join(HARNESS, '.venv', 'bin', 'python'), [join(HARNESS, 'airflow_twin.py'), specsFile, hand]);
      expect(twin.status, twin.stderr).toBe(0);
      const broken = join(SCRATCH, 'airflow-broken');
      mkdirSync(broken);
      const twinFile = join(hand, `${specs[0]!.name}.py`);
      writeFileSync(join(broken, 'broken.py'), run('cat', [twinFile]).stdout);
      appendFileSync(join(broken, 'broken.py'), '    undefined_step >> step_00\n');
      const parse = run(
        AIRFLOW_PYTHON,
        [join(HARNESS, 'parse_dags.py'), '1', `dfp=${dags}`, `hand=${hand}`, `broken=${broken}`],
        { env: airflowEnv(hand), timeoutMs: 300_000 },
      );
      expect(parse.status, parse.stderr).toBe(0);
      const r = JSON.parse(parse.stdout.trim().split('\n').pop()!) as Record<
        string,
        { files: number; dags: number; tasks: number; importErrors: number }
      >;
      const steps = specs.reduce((n, x) => n + x.steps.length, 0);
      expect(r.dfp).toMatchObject({ files: 3, dags: 3, importErrors: 0 });
      expect(r.dfp!.tasks).toBeGreaterThanOrEqual(steps);
      // Every step, plus one ShortCircuitOperator per pipeline for its condition.
      expect(r.hand).toMatchObject({ files: 3, dags: 3, importErrors: 0, tasks: steps + specs.length });
      expect(r.broken).toMatchObject({ files: 1, dags: 0, importErrors: 1 });
    },
    300_000,
  );
});
