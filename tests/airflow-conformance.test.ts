/**
 * The Airflow DAG files, read by real Airflow (3.1, pinned in tests/conformance/airflow):
 * the committed dist/prod/airflow/dags and the control-flow fixture import with zero
 * errors, each DAG's task graph, images, commands, retries and trigger rules equal the
 * model's, and every templated field renders (with Airflow's own Jinja environment) to
 * exactly the text the model says, so no user `{{` is ever evaluated. `airflow dags list`
 * on a fresh SQLite metadata database lists every DAG.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pod } from 'kubernetes-models/v1/Pod';
import { beforeAll, describe, expect, it } from 'vitest';
import { DfpApp } from '../app/dfp-app.ts';
import { buildModel } from '../constructs/model/build.ts';
import { bindEnvironment } from '../constructs/model/bind-environment.ts';
import { groupChain } from '../constructs/model/graph.ts';
import type { Arg, Environment, JsonValue, Model, Pipeline, Step } from '../constructs/model/schema.ts';
import { buildApp } from '../main.ts';
import { airflowTarget } from '../targets/airflow/index.ts';
import { ARTIFACTS_SCRIPT, OUTPUTS_SCRIPT } from '../targets/airflow/runtime.ts';
import { airflowControlFlowApp } from './fixtures/airflow-control-flow.ts';
import { restrictedViolations } from './support/pod-security.ts';
import { AIRFLOW_CLI, airflowEnv, inspectDags, type AirflowDag, type DagBagReport } from './support/airflow.ts';
import { ROOT, run } from './support/process.ts';
import { strictCheck } from './support/strict-schema.ts';

const built = buildModel(buildApp());
const prod = built.environments.find((e) => e.name === 'prod')!;
// The DAG files under test are dist/'s, rendered from the model as prod binds it.
const examples = bindEnvironment(built, prod);
const fixtureApp = new DfpApp({ distDir: join(mkdtempSync(join(tmpdir(), 'dfp-unused-')), 'dist') });
airflowControlFlowApp(fixtureApp);
const fixture = buildModel(fixtureApp);
const fixtureEnv = fixture.environments[0]!;

/** Every DAG under test, with the model and environment it was rendered from. */
const cases: { model: Model; env: Environment; p: Pipeline }[] = [
  ...examples.pipelines.map((p) => ({ model: examples, env: prod, p })),
  ...fixture.pipelines.map((p) => ({ model: fixture, env: fixtureEnv, p })),
];

const text = (v: JsonValue | undefined): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** What a step's argument renders to in the harness's run context (params at defaults, map index 0). */
/** The object key of an artifact in the run context (run id manual__dfp, map index 0). */
function expectedKey(c: (typeof cases)[number], producer: string, name: string): string {
  const { p, env } = c;
  const repo = env.artifactRepository;
  const step = p.steps.find((x) => x.name === producer)!;
  const mapped = groupChain(p.groups, step.group).some((g) => p.groups.find((x) => x.name === g)?.kind === 'loop');
  return `${repo.keyPrefix ? `${repo.keyPrefix}/` : ''}${p.name}/manual__dfp/${producer}/${mapped ? '0/' : ''}${name}`;
}

function expectedText(c: (typeof cases)[number], s: Step, arg: Arg): string {
  const { p } = c;
  return arg
    .map((part) => {
      switch (part.kind) {
        case 'literal':
          return part.value;
        case 'outputPath':
          return `/tmp/dfp/outputs/parameters/${part.name}`;
        // The same local paths as on Argo and Kubeflow; the pod moves the files.
        case 'outputArtifactPath':
          return `/tmp/dfp/outputs/artifacts/${part.name}`;
        case 'inputArtifactPath':
          return `/tmp/dfp/inputs/artifacts/${part.name}`;
        case 'input': {
          const src = s.inputs.parameters.find((x) => x.name === part.name)!.source;
          switch (src.kind) {
            case 'literal':
              return text(src.value);
            case 'pipelineParam':
              return text(p.parameters.find((x) => x.name === src.name)!.default);
            case 'taskOutput':
              return `<xcom:${src.step}:${src.output}>`;
            case 'loopItem': {
              const loop = p.groups.find((g) => g.name === src.loop)!;
              if (loop.kind !== 'loop') throw new Error('not a loop');
              const items = loop.items;
              const first =
                items.kind === 'literal'
                  ? (items.value as JsonValue[])[0]
                  : items.kind === 'pipelineParam'
                    ? (p.parameters.find((x) => x.name === items.name)!.default as JsonValue[])[0]
                    : items.kind === 'taskOutput'
                      ? `<xcom-item:${items.step}:${items.output}>`
                      : undefined;
              return text(src.field === undefined ? first : (first as Record<string, JsonValue>)[src.field]);
            }
          }
        }
      }
    })
    .join('');
}

function controlUpstream(p: Pipeline, s: Step): string[] {
  // A skippable step waits for its run gate; a reader of one also for its stand-in (targets/airflow/skip.ts).
  const skippable = new Set(p.steps.filter((x) => x.skip).map((x) => x.name));
  return [
    ...groupChain(p.groups, s.group),
    ...(s.when ? [`${s.name}.when`] : []),
    ...(s.skip ? [`${s.name}.run`] : []),
    ...s.dependsOn.filter((d) => skippable.has(d)).map((d) => `${d}.skipped`),
  ].sort();
}

let report: DagBagReport;
let folder: string;

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'dfp-airflow-dags-'));
  cpSync(join(ROOT, 'dist', 'prod', 'airflow', 'dags'), folder, { recursive: true });
  for (const f of airflowTarget.render(fixture, fixtureEnv)) {
    mkdirSync(join(folder, '..'), { recursive: true });
    writeFileSync(join(folder, f.path.replace(/^dags\//, '')), f.content);
  }
  report = inspectDags(folder, { pods: true });
});

describe('Airflow DagBag imports the DAG files', () => {
  it('imports every file with zero import errors', () => {
    expect(report.import_errors).toEqual({});
    expect(report.airflow_version).toMatch(/^3\./);
    expect(Object.keys(report.dags).sort()).toEqual(cases.map((c) => c.p.name).sort());
  });

  for (const c of cases) {
    const { p } = c;
    describe(p.name, () => {
      const dag = (): AirflowDag => report.dags[p.name]!;
      const steps = [...p.steps, ...(p.exitHandler ? [p.exitHandler] : [])];

      it('has the DAG settings: description, schedule with catchup off, tags, typed params', () => {
        const d = dag();
        expect(d.fileloc).toBe(`${p.name}.py`);
        expect(d.description ?? '').toBe(p.description);
        expect(d.catchup).toBe(false);
        expect(d.schedule).toBe(p.schedule ? p.schedule.cron : null);
        expect(d.timezone).toBe(p.schedule ? p.schedule.timezone : null);
        expect(d.tags).toEqual([...p.tags].sort());
        expect(Object.keys(d.params)).toEqual(p.parameters.map((x) => x.name));
        for (const x of p.parameters) {
          expect(d.params[x.name]!.default).toEqual(x.default);
          expect(d.params[x.name]!.description).toBe(x.description ?? null);
        }
      });

      it('has exactly one task per step plus one per condition, loop and when, and the failure watcher', () => {
        const expected = [
          ...steps.map((s) => s.name),
          ...p.groups.map((g) => g.name),
          ...p.steps.filter((s) => s.when).map((s) => `${s.name}.when`),
          ...p.steps.filter((s) => s.skip).flatMap((s) => [`${s.name}.run`, `${s.name}.skip`, `${s.name}.skipped`]),
          ...(p.exitHandler ? [`${p.name}.failed`] : []),
        ].sort();
        expect(Object.keys(dag().tasks).sort()).toEqual(expected);
        for (const g of p.groups)
          expect(dag().tasks[g.name]!.operator).toBe(
            g.kind === 'condition' ? 'ShortCircuitOperator' : 'PythonOperator',
          );
      });

      for (const s of steps) {
        const exit = s === p.exitHandler;
        it(`${s.name}: upstream, image, commands, arguments, env, retries and trigger rule equal the model's`, () => {
          const t = dag().tasks[s.name]!;
          const stepNames = new Set(steps.map((x) => x.name));
          const inLoop = groupChain(p.groups, s.group).some((g) => p.groups.find((x) => x.name === g)?.kind === 'loop');
          expect(t.operator).toBe('KubernetesPodOperator');
          expect(t.mapped).toBe(inLoop);
          expect(t.upstream.filter((u) => stepNames.has(u))).toEqual(
            exit ? p.steps.map((x) => x.name).sort() : [...s.dependsOn].sort(),
          );
          expect(t.upstream.filter((u) => !stepNames.has(u))).toEqual(exit ? [] : controlUpstream(p, s));
          expect(t.trigger_rule).toBe(exit ? 'all_done' : 'none_failed');
          expect(t.retries).toBe(s.retry?.limit ?? 0);
          if (s.retry) expect(t.retry_delay).toBe(s.retry.backoffSeconds);
          expect(t.doc_md).toBe(s.description ?? null);

          const r = t.rendered;
          expect(r.image).toBe(s.image);
          const command = s.command.map((a) => expectedText(c, s, a));
          const outputs = s.outputs.parameters.map((o) => o.name);
          const inner = outputs.length
            ? ['/bin/sh', '-c', OUTPUTS_SCRIPT, 'dfp-outputs', String(outputs.length), ...outputs, ...command]
            : command;
          expect(r.cmds).toEqual(
            s.outputs.artifacts.length ? ['/bin/sh', '-c', ARTIFACTS_SCRIPT, 'dfp-artifacts', ...inner] : inner,
          );
          expect(r.arguments).toEqual(s.args.map((a) => expectedText(c, s, a)));
          expect(r.do_xcom_push).toBe(outputs.length > 0);
          const env = [
            ...s.env.map((e) => ({ name: e.name, value: expectedText(c, s, e.value) })),
            ...s.secretEnv.map((e) => ({ name: e.name, secret: { name: e.secret, key: e.key } })),
          ].sort((a, b) => (a.name < b.name ? -1 : 1));
          expect(r.env).toEqual(env);
          expect(r.namespace).toBe(c.env.namespace);
          expect(r.service_account).toBe(s.serviceAccount ?? c.env.serviceAccount);
          expect(r.node_selector).toEqual(s.nodeSelector);
          expect(r.execution_timeout).toBe(s.timeoutSeconds ?? null);
          const gpu = Object.fromEntries([
            ...(s.resources.gpu ? [[s.resources.gpu.resource, String(s.resources.gpu.count)]] : []),
            ...s.resources.devices.map((d) => [d.resource, String(d.count)]),
          ]);
          if (Object.keys(s.resources.requests).length || Object.keys(gpu).length) {
            expect(r.resources?.requests).toEqual({ ...s.resources.requests, ...gpu });
            expect(r.resources?.limits).toEqual({ ...s.resources.limits, ...gpu });
          } else expect(r.resources).toBeNull();
          const artifacts = s.inputs.artifacts.length + s.outputs.artifacts.length > 0;
          expect((r.volume_mounts ?? []).map((m) => [m.name, m.mount_path])).toEqual([
            ...s.volumes.map((v) => [v.name, v.mountPath]),
            ...(artifacts ? [['dfp-artifacts', '/tmp/dfp']] : []),
          ]);
        });

        it(`${s.name}: the Pod the provider builds is a valid Kubernetes Pod running the step`, () => {
          const pod = dag().tasks[s.name]!.rendered.pod as {
            spec: { containers: Record<string, unknown>[]; serviceAccountName?: string; volumes?: { name: string }[] };
          };
          expect(() => new Pod(pod as never).validate()).not.toThrow();
          expect(
            strictCheck([{ name: s.name, type: { module: 'kubernetes-models/v1/Pod', type: 'IPod' }, value: pod }]),
          ).toEqual([]);
          const [main, ...sidecars] = pod.spec.containers;
          expect(main!.image).toBe(s.image);
          expect(main!.args ?? []).toEqual(s.args.map((a) => expectedText(c, s, a)));
          expect(pod.spec.serviceAccountName).toBe(s.serviceAccount ?? c.env.serviceAccount);
          // The provider adds its XCom sidecar exactly when the step has outputs to return.
          expect(sidecars.map((x) => x.name)).toEqual(s.outputs.parameters.length ? ['airflow-xcom-sidecar'] : []);
          const artifacts = s.inputs.artifacts.length + s.outputs.artifacts.length > 0;
          expect((pod.spec.volumes ?? []).map((v) => v.name).filter((n) => n !== 'xcom')).toEqual([
            ...s.volumes.map((v) => v.name),
            ...(artifacts ? ['dfp-artifacts'] : []),
          ]);
        });

        it(
          `${s.name}: the pod moves its artifacts: keys rendered into annotations, read by the download and ` +
            'upload containers',
          () => {
            type Container = {
              name: string;
              image: string;
              command: string[];
              args: string[];
              restartPolicy?: string;
              env?: {
                name: string;
                valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: { name: string; key: string } };
              }[];
            };
            const pod = dag().tasks[s.name]!.rendered.pod as {
              metadata?: { annotations?: Record<string, string> };
              spec: { initContainers?: Container[] };
            };
            const init = pod.spec.initContainers ?? [];
            if (s.inputs.artifacts.length + s.outputs.artifacts.length === 0) {
              expect(init).toEqual([]);
              return;
            }
            const annotations = pod.metadata?.annotations ?? {};
            const ins = s.inputs.artifacts.map((a, i) => ({
              ann: `dfp.dev/artifact-in-${i + 1}`,
              env: `DFP_ARTIFACT_IN_${i + 1}`,
              key: expectedKey(c, a.source.step, a.source.output),
              path: `/tmp/dfp/inputs/artifacts/${a.name}`,
            }));
            const outs = s.outputs.artifacts.map((a, i) => ({
              ann: `dfp.dev/artifact-out-${i + 1}`,
              env: `DFP_ARTIFACT_OUT_${i + 1}`,
              key: expectedKey(c, s.name, a.name),
              path: `/tmp/dfp/outputs/artifacts/${a.name}`,
            }));
            for (const x of [...ins, ...outs]) expect(annotations[x.ann]).toBe(x.key);
            expect(init.map((x) => [x.name, x.restartPolicy ?? null])).toEqual([
              ['dfp-artifacts-in', null],
              ...(outs.length ? [['dfp-artifacts-out', 'Always']] : []),
            ]);
            const repo = c.env.artifactRepository;
            for (const [container, items] of [
              [init[0]!, ins],
              ...(outs.length ? [[init[1]!, outs] as const] : []),
            ] as const) {
              expect(container.command).toEqual(['python', '-m', 'dfp_tools.artifacts']);
              expect(container.args).toEqual(
                expect.arrayContaining([
                  '--endpoint',
                  repo.endpoint,
                  '--bucket',
                  repo.bucket,
                  '--region',
                  repo.region,
                  ...items.flatMap((x) => ['--item', x.env, x.path]),
                ]),
              );
              const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.valueFrom]));
              for (const x of items)
                expect(env[x.env]).toEqual({ fieldRef: { fieldPath: `metadata.annotations['${x.ann}']` } });
              expect(env.AWS_ACCESS_KEY_ID).toEqual({
                secretKeyRef: { name: repo.credentials.secret, key: repo.credentials.accessKeyKey },
              });
              expect(env.AWS_SECRET_ACCESS_KEY).toEqual({
                secretKeyRef: { name: repo.credentials.secret, key: repo.credentials.secretKeyKey },
              });
            }
          },
        );

        it(
          `${s.name}: the built Pod meets the restricted Pod Security profile (or is the step's declared ` +
            'exception)',
          () => {
            const pod = dag().tasks[s.name]!.rendered.pod as {
              metadata?: { annotations?: Record<string, string> };
              spec: Record<string, unknown>;
            };
            const annotations = pod.metadata?.annotations ?? {};
            const violations = restrictedViolations({ name: `airflow/${s.name}`, annotations, spec: pod.spec });
            if (s.security.profile === 'privileged') expect(annotations['dfp.dev/pod-security']).toBe('privileged');
            else expect(violations.map((v) => `${v.path} [${v.control}]: ${v.message}`)).toEqual([]);
          },
        );
      }

      for (const s of p.steps.filter(
        (x) => x.when && x.when.left.kind !== 'taskOutput' && x.when.right.kind !== 'taskOutput',
      )) {
        it(`${s.name}.when: the gate, called as Airflow calls it, decides as the model does`, () => {
          const value = (src: NonNullable<Step['when']>['left']) =>
            src.kind === 'literal'
              ? src.value
              : src.kind === 'pipelineParam'
                ? p.parameters.find((x) => x.name === src.name)!.default
                : undefined;
          const [a, b] = [value(s.when!.left), value(s.when!.right)] as [JsonValue, JsonValue];
          const expected = {
            '==': a === b,
            '!=': a !== b,
            '<': a! < b!,
            '<=': a! <= b!,
            '>': a! > b!,
            '>=': a! >= b!,
          }[s.when!.op];
          expect(dag().tasks[`${s.name}.when`]!.rendered.evaluated).toEqual({ result: expected, pushed: {} });
        });
      }

      for (const s of p.steps.filter((x) => x.skip)) {
        const title =
          `${s.name}: skipped as Argo skips it; with the default params the run gate opens and the skip gate ` +
          'stays shut; the stand-in, run for real, writes what readers get and says why';
        it(title, () => {
          const tasks = dag().tasks;
          const value = (src: NonNullable<Step['when']>['left']) =>
            src.kind === 'literal'
              ? src.value
              : src.kind === 'pipelineParam'
                ? p.parameters.find((x) => x.name === src.name)!.default
                : undefined;
          const runs = value(s.skip!.when.left) === value(s.skip!.when.right);
          expect(s.skip!.when.op).toBe('==');
          expect(tasks[`${s.name}.run`]!.operator).toBe('ShortCircuitOperator');
          expect(tasks[`${s.name}.run`]!.rendered.evaluated).toEqual({ result: runs, pushed: {} });
          expect(tasks[`${s.name}.skip`]!.rendered.evaluated).toEqual({ result: !runs, pushed: {} });
          const standIn = tasks[`${s.name}.skipped`]!;
          expect(standIn.operator).toBe('KubernetesPodOperator');
          expect(standIn.upstream).toEqual([`${s.name}.skip`]);
          // The stand-in's own command (after the artifact wrapper), run here with its rendered arguments.
          const cmds = standIn.rendered.cmds!;
          expect(cmds.slice(-1)).toEqual(['python']);
          const out = mkdtempSync(join(tmpdir(), 'dfp-skipped-'));
          const args = standIn.rendered.arguments!.map((a) =>
            a.startsWith('/tmp/dfp/outputs/artifacts/') ? join(out, a.slice('/tmp/dfp/outputs/artifacts/'.length)) : a,
          );
          const r = run('python3', args);
          expect(r.status, r.stderr).toBe(0);
          expect(r.stdout).toMatch(
            new RegExp(`^${s.name} skipped: its run condition \\(run_android_benchmark == true\\) is false`),
          );
          for (const a of s.skip!.artifacts) expect(readFileSync(join(out, a.name), 'utf8')).toBe(a.content);
        });
      }

      for (const g of p.groups) {
        it(`${g.name}: the ${g.kind} task reads the model's values after Airflow renders them`, () => {
          const rendered = dag().tasks[g.name]!.rendered.op_kwargs!;
          const evaluated = dag().tasks[g.name]!.rendered.evaluated;
          if (g.kind === 'loop') {
            const src = g.items;
            const items =
              src.kind === 'literal'
                ? src.value
                : src.kind === 'pipelineParam'
                  ? p.parameters.find((x) => x.name === src.name)!.default
                  : undefined;
            if (g.items.kind === 'literal') expect(rendered.items).toEqual({ kind: 'literal', value: g.items.value });
            if (g.items.kind === 'pipelineParam') expect(rendered.items).toEqual({ kind: 'param', name: g.items.name });
            // Called like Airflow calls it: publishes the items and returns one label set per item.
            if (items !== undefined) {
              expect(evaluated).toEqual({
                result: (items as JsonValue[]).map((_, i) => ({ 'dfp.dev/loop-index': String(i) })),
                pushed: { items },
              });
            }
          } else {
            expect(rendered.op).toBe(g.condition.op);
          }
        });
      }
    });
  }
});

describe('airflow dags list', () => {
  it('lists every DAG from a fresh SQLite metadata database', () => {
    const env = airflowEnv(folder);
    for (const args of [
      ['db', 'migrate'],
      ['dags', 'reserialize'],
    ]) {
      const r = run(AIRFLOW_CLI, args, { env });
      expect(r.status, `airflow ${args.join(' ')}: ${r.stderr.slice(-3000)}`).toBe(0);
    }
    const list = run(AIRFLOW_CLI, ['dags', 'list', '--output', 'json'], { env });
    expect(list.status, list.stderr.slice(-3000)).toBe(0);
    const json = list.stdout.slice(list.stdout.indexOf('[{'));
    const listed = (JSON.parse(json.slice(0, json.lastIndexOf('}]') + 2)) as { dag_id: string }[])
      .map((d) => d.dag_id)
      .sort();
    expect(listed).toEqual(cases.map((c) => c.p.name).sort());
  });
});
