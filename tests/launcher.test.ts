/**
 * The transform launcher (images/transform-launcher) turns each run template dfp renders
 * into the object that runs it once: its copies of every SparkApplication and Job pass
 * the Spark Operator's models and the Kubernetes schema strictly, carry the run's
 * arguments after the template's, and run (suspend false); its reading of the
 * operator's and the Job controller's statuses is checked on each final and
 * non-final state.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { readTree } from '../synth/writer.ts';
import { validateKubernetes } from './support/kubernetes.ts';
import { ROOT } from './support/process.ts';
import { validateSparkApplications } from './support/spark-operator.ts';

type Json = Record<string, any>;
// Any Python 3.11 runs the pure functions; this one is pinned by a harness.
const PYTHON = join(ROOT, 'tests', 'conformance', 'spark-operator', '.venv', 'bin', 'python');
const LAUNCHER = join(ROOT, 'images', 'dfp_tools');

function python(script: string, input: unknown): any {
  const r = spawnSync(PYTHON, ['-c', script], {
    env: { ...process.env, PYTHONPATH: LAUNCHER },
    input: JSON.stringify(input),
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`launcher script failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const templates = new Map<string, Json>();
for (const [root, label] of [
  [join(ROOT, 'dist'), 'dist'],
  [join(ROOT, 'tests', 'golden', 'transforms'), 'golden'],
] as const) {
  for (const [path, content] of readTree(root)) {
    if (/^[^/]+\/(spark\/applications|datafusion\/jobs)\//.test(path))
      templates.set(`${label}/${path}`, parseAllDocuments(content)[0]!.toJS());
  }
}
const RUN_ARGS = ['--branch', 'run-42', '--enabled', 'true'];

describe('the launcher starts a valid copy of every run template', () => {
  const copies: Record<string, Json> = python(
    'import json, sys\nfrom dfp_tools.run_transform import run_copy\n' +
      'subjects = json.load(sys.stdin)\n' +
      ('json.dump({k: run_copy(v, subjects["args"], "0123456789abcdef") for k, v in ' +
        'subjects["templates"].items()}, sys.stdout)'),
    { templates: Object.fromEntries(templates), args: RUN_ARGS },
  );
  const spark = Object.entries(copies).filter(([, o]) => o.kind === 'SparkApplication');
  const jobs = Object.entries(copies).filter(([, o]) => o.kind === 'Job');

  it('finds SparkApplications and Jobs', () => {
    expect(spark.length).toBeGreaterThanOrEqual(4);
    // The fixture's two DataFusion Jobs and staging's Kronodroid one.
    expect(jobs.length).toBe(3);
    expect(Object.keys(copies)).toContain('dist/staging/datafusion/jobs/kronodroid-iceberg.yaml');
  });

  it('the SparkApplication copies pass the Spark Operator models', () => {
    const rs = validateSparkApplications(spark.map(([name, object]) => ({ name, object })));
    expect(rs.filter((r) => !r.ok)).toEqual([]);
  });

  it('the Job copies pass the Kubernetes schema', () => {
    const rs = validateKubernetes(jobs.map(([name, object]) => ({ name, object })));
    expect(rs.filter((r) => !r.ok)).toEqual([]);
  });

  it("a copy runs, under a generated name, with the run's arguments after the template's", () => {
    for (const [name, copy] of Object.entries(copies)) {
      const template = templates.get(name)!;
      expect(copy.metadata).toMatchObject({
        generateName: `${template.metadata.name}-`,
        labels: { 'dfp.dev/run': '0123456789abcdef' },
      });
      expect(copy.metadata.name).toBeUndefined();
      expect(copy.spec.suspend).toBe(false);
      expect(Object.keys(copy.metadata.annotations).some((k) => k.startsWith('argocd.argoproj.io/'))).toBe(false);
      const args = (o: Json): string[] =>
        (o.kind === 'Job' ? o.spec.template.spec.containers[0].args : o.spec.arguments) ?? [];
      expect(args(copy)).toEqual([...args(template), ...RUN_ARGS]);
    }
  });
});

describe('the launcher reads run states as the controllers write them', () => {
  const cases: [string, Json][] = [
    ['succeeded', { kind: 'SparkApplication', status: { applicationState: { state: 'COMPLETED' } } }],
    ['failed', { kind: 'SparkApplication', status: { applicationState: { state: 'FAILED' } } }],
    ['failed', { kind: 'SparkApplication', status: { applicationState: { state: 'SUBMISSION_FAILED' } } }],
    ['running', { kind: 'SparkApplication', status: { applicationState: { state: 'FAILING' } } }],
    ['running', { kind: 'SparkApplication' }],
    ['succeeded', { kind: 'Job', status: { conditions: [{ type: 'Complete', status: 'True' }] } }],
    ['failed', { kind: 'Job', status: { conditions: [{ type: 'Failed', status: 'True' }] } }],
    ['running', { kind: 'Job', status: { conditions: [{ type: 'Suspended', status: 'False' }] } }],
  ];
  it('final and non-final states', () => {
    const got = python(
      'import json, sys\nfrom dfp_tools.run_transform import outcome\njson.dump([outcome(o) for o in ' +
        'json.load(sys.stdin)], sys.stdout)',
      cases.map(([, o]) => o),
    );
    expect(got).toEqual(cases.map(([want]) => want));
  });
});
