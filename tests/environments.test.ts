/**
 * The three environments side by side: dev (Kubeflow + Spark + Feast), prod (Airflow +
 * Spark + Feast) and staging (Argo + DataFusion + Chronon).
 * - They render the same pipeline graph from the same definitions: the task graph (steps,
 *   what runs before what, condition and loop groups, step-level `when`, the exit handler)
 *   and the training step's lineage env, read back from each orchestrator's own output
 *   (Argo and Kubeflow YAML, the DAGs real Airflow's DagBag imports): the examples from the
 *   committed dist/, and a fixture with every control-flow shape rendered for each.
 * - Swapping one axis of one environment (orchestrator, engine, feature store) changes only
 *   that environment's files of that axis and its Argo CD Applications (and, for an
 *   orchestrator, the title of its review pages, which names the orchestrator).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Environment, LINEAGE_ENV, type EnvironmentProps } from '../constructs/index.ts';
import { DfpApp } from '../app/dfp-app.ts';
import { bindEnvironment } from '../constructs/model/bind-environment.ts';
import { buildModel } from '../constructs/model/build.ts';
import { groupChain } from '../constructs/model/graph.ts';
import type { Environment as EnvModel, Pipeline } from '../constructs/model/schema.ts';
import { defineEnvironments } from '../argocd/environments.ts';
import { buildApp } from '../main.ts';
import { renderAll } from '../synth/render.ts';
import { readTree } from '../synth/writer.ts';
import { TARGETS } from '../targets/index.ts';
import { portableFlowApp } from './fixtures/portable-flow.ts';
import { inspectDags } from './support/airflow.ts';
import { FIXTURE_LOCK } from './support/fixtures.ts';
import { airflowGraph, argoGraph, kubeflowGraph, type Graph } from './support/graph-readers.ts';
import { ENV_READERS, type Env } from './support/lineage-readers.ts';
import { ROOT } from './support/process.ts';

const model = buildModel(buildApp());
const byName = (name: string) => model.environments.find((e) => e.name === name)!;

/** Each environment's files of its orchestrator, relative to the orchestrator's folder. */
function orchestratorFiles(files: ReadonlyMap<string, string>, env: EnvModel): Map<string, string> {
  const prefix = `${env.name}/${env.orchestrator}/`;
  return new Map([...files].filter(([p]) => p.startsWith(prefix)).map(([p, c]) => [p.slice(prefix.length), c]));
}

/** Every pipeline's graph as the environment's orchestrator rendered it. */
function graphs(
  files: ReadonlyMap<string, string>,
  env: EnvModel,
  pipelines: readonly Pipeline[],
): Record<string, Graph> {
  const own = orchestratorFiles(files, env);
  if (env.orchestrator === 'airflow') {
    const dir = mkdtempSync(join(tmpdir(), 'dfp-envs-airflow-'));
    for (const [p, c] of own) {
      if (!p.startsWith('dags/')) continue;
      mkdirSync(dirname(join(dir, p)), { recursive: true });
      writeFileSync(join(dir, p), c);
    }
    const report = inspectDags(join(dir, 'dags'));
    expect(report.import_errors).toEqual({});
    return Object.fromEntries(pipelines.map((p) => [p.name, airflowGraph(report.dags[p.name]!)]));
  }
  const read =
    env.orchestrator === 'argo'
      ? (p: string) => argoGraph(own.get(`workflow-templates/${p}.yaml`)!)
      : (p: string) => kubeflowGraph(own.get(`pipelines/${p}.yaml`)!);
  return Object.fromEntries(pipelines.map((p) => [p.name, read(p.name)]));
}

/** What the model says, for the parts every orchestrator must agree on with it. */
function expectModel(g: Graph, p: Pipeline): void {
  expect(g.steps).toEqual(p.steps.map((s) => s.name).sort());
  expect(g.exit).toBe(p.exitHandler?.name ?? null);
  // Every orchestrator skips a step that can skip itself (model `skip`) with a `when` of its own
  // (Airflow: a `<step>.run` gate; Kubeflow: the `dsl.If` DAG `condition-run-<step>`).
  expect(g.when).toEqual(
    p.steps
      .filter((s) => s.when || s.skip)
      .map((s) => s.name)
      .sort(),
  );
  for (const s of p.steps) {
    for (const d of s.dependsOn) expect(g.after[s.name], `${s.name} after ${d}`).toContain(d);
    const chain = groupChain(p.groups, s.group)
      .map((n) => `${p.groups.find((x) => x.name === n)!.kind}:${n}`)
      .sort();
    expect(g.groups[s.name], s.name).toEqual(chain);
  }
}

/** The lineage stamps of every step that has them, without the two that name the environment. */
function lineageEnv(
  files: ReadonlyMap<string, string>,
  env: EnvModel,
  pipelines: readonly Pipeline[],
): Record<string, Env> {
  const own = orchestratorFiles(files, env);
  const out: Record<string, Env> = {};
  const names = new Set<string>(Object.values(LINEAGE_ENV));
  for (const p of pipelines) {
    for (const s of [...p.steps, ...(p.exitHandler ? [p.exitHandler] : [])].filter((x) => x.lineage)) {
      const all = ENV_READERS[env.orchestrator]!(own, p.name, s.name);
      expect(all[LINEAGE_ENV.environment]).toBe(env.name);
      expect(all[LINEAGE_ENV.lakefsEndpoint]).toBe(env.endpoints.lakefs);
      out[`${p.name}/${s.name}`] = Object.fromEntries(
        Object.entries(all)
          .filter(([k]) => names.has(k) && k !== LINEAGE_ENV.environment && k !== LINEAGE_ENV.lakefsEndpoint)
          // A run-time value is written in each orchestrator's template syntax; its name is what matters.
          .map(([k, v]) => [k, /\{\{|^input:|^output:/.test(v) ? 'run-time value' : v])
          .sort(),
      );
    }
  }
  return out;
}

describe('the three environments: one per orchestrator, engine and feature store', () => {
  it('dev, prod and staging cover Kubeflow, Airflow, Argo; Spark and DataFusion; Feast and Chronon', () => {
    expect(model.environments.map((e) => [e.name, e.orchestrator, e.engine, e.featureStore, e.namespace])).toEqual([
      ['dev', 'kubeflow', 'spark', 'feast', 'ml-dev'],
      ['prod', 'airflow', 'spark', 'feast', 'ml-prod'],
      ['staging', 'argo', 'datafusion', 'chronon', 'ml-staging'],
    ]);
  });
});

describe('the examples in dist/: the same graph and lineage in every environment', () => {
  const dist = readTree(join(ROOT, 'dist'));
  const per = Object.fromEntries(model.environments.map((e) => [e.name, graphs(dist, e, model.pipelines)]));
  for (const p of model.pipelines) {
    it(`${p.name}: the Kubeflow IR, the Airflow DAG and the Argo WorkflowTemplate hold the model's graph`, () => {
      for (const env of model.environments) expectModel(per[env.name]![p.name]!, p);
      expect(per.prod![p.name]).toEqual(per.dev![p.name]);
      expect(per.staging![p.name]).toEqual(per.dev![p.name]);
    });
  }
  it('kronodroid-autoencoder: the training step is stamped the same, down to the feature-store digest', () => {
    const [dev, prod, staging] = model.environments.map((e) => lineageEnv(dist, e, model.pipelines));
    expect(Object.keys(dev!)).toEqual(['kronodroid-autoencoder/train']);
    expect(dev!['kronodroid-autoencoder/train']![LINEAGE_ENV.featureDefs]).toMatch(/^[0-9a-f]{64}$/);
    expect(prod).toEqual(dev);
    expect(staging).toEqual(dev);
  });
});

describe('every control-flow shape (conditions, loops, when, fan-in, exit handler) in each environment', () => {
  // The fixture's pipeline in an app with the platform's three environments.
  const app = new DfpApp({ lockFile: FIXTURE_LOCK });
  defineEnvironments(app);
  portableFlowApp(app);
  const fixture = buildModel(app);
  const pipelines = fixture.pipelines;
  expect(fixture.environments).toEqual(model.environments);
  const files = new Map(renderAll(fixture, TARGETS).map((f) => [f.path, f.content]));
  const per = Object.fromEntries(model.environments.map((e) => [e.name, graphs(files, e, pipelines)]));

  it('the fixture has every shape', () => {
    const p = pipelines[0]!;
    expect(new Set(p.groups.map((g) => g.kind))).toEqual(new Set(['condition', 'loop']));
    expect(p.groups.some((g) => g.parent !== undefined)).toBe(true);
    expect(p.steps.some((s) => s.when)).toBe(true);
    expect(p.exitHandler?.name).toBe('cleanup');
  });
  for (const p of pipelines) {
    it(`${p.name}: Kubeflow, Airflow and Argo read back the same graph, the model's`, () => {
      for (const env of model.environments) expectModel(per[env.name]![p.name]!, p);
      expect(per.prod![p.name]).toEqual(per.dev![p.name]);
      expect(per.staging![p.name]).toEqual(per.dev![p.name]);
    });
  }
  it("control: a dependency dropped from one orchestrator's file is a different graph", () => {
    const staging = byName('staging');
    const own = orchestratorFiles(files, staging);
    const path = `workflow-templates/${pipelines[0]!.name}.yaml`;
    const broken = own.get(path)!.replace(/\n(\s+)dependencies:\n\1  - prepare\n/, '\n');
    expect(broken).not.toBe(own.get(path));
    expect(argoGraph(broken)).not.toEqual(per.dev![pipelines[0]!.name]);
  });
});

describe(
  'swapping one axis of one environment changes only that ' + "axis's files there, and its Argo CD Applications",
  () => {
    const render = (env: string, change: Partial<EnvironmentProps>): Map<string, string> => {
      const app = buildApp();
      if (env) {
        const e = app.node.findAll().find((c): c is Environment => c instanceof Environment && c.node.id === env)!;
        (e as { props: EnvironmentProps }).props = { ...e.props, ...change };
      }
      return new Map(renderAll(buildModel(app), TARGETS).map((f) => [f.path, f.content]));
    };
    const before = render('', {});
    const cases: [string, keyof EnvironmentProps, string][] = [
      ['staging', 'orchestrator', 'kubeflow'],
      ['dev', 'orchestrator', 'airflow'],
      ['prod', 'orchestrator', 'argo'],
      ['dev', 'engine', 'datafusion'],
      ['staging', 'engine', 'spark'],
      ['prod', 'featureStore', 'chronon'],
      ['staging', 'featureStore', 'feast'],
    ];
    for (const [env, axis, to] of cases) {
      const from = byName(env)[axis as 'orchestrator'] as string;
      it(`${env}: ${axis} ${from} -> ${to} changes ${env}/${from}/, ${env}/${to}/ and ${env}/argocd/ only`, () => {
        const after = render(env, { [axis]: to });
        const changed = [...new Set([...before.keys(), ...after.keys()])]
          .filter((p) => before.get(p) !== after.get(p))
          .sort();
        const allowed = [`${env}/${from}/`, `${env}/${to}/`, `${env}/argocd/`];
        // The review page of a pipeline names the orchestrator it was rendered for in its title, and only there.
        const reviewPages = axis === 'orchestrator' ? changed.filter((p) => p.startsWith(`${env}/docs/`)) : [];
        for (const page of reviewPages) {
          const [a, b] = [before.get(page)!.split('\n'), after.get(page)!.split('\n')];
          expect(a.slice(1), page).toEqual(b.slice(1));
          expect(b[0], page).toContain(`(${env}, ${to})`);
        }
        // DataHub's DataFlow URN names the orchestrator (its own key scheme), so the catalogue
        // follows the swap, and by that one rename alone.
        const catalogue = axis === 'orchestrator' ? changed.filter((p) => p.startsWith(`${env}/datahub/`)) : [];
        const digestless = (text: string) => text.replace(/(metadata-sha256: )[0-9a-f]{64}/g, '$1…');
        for (const file of catalogue) {
          expect(digestless(before.get(file)!.replaceAll(`dataFlow:(${from},`, `dataFlow:(${to},`)), file).toBe(
            digestless(after.get(file)!),
          );
        }
        expect(
          changed.filter(
            (p) => !allowed.some((a) => p.startsWith(a)) && !reviewPages.includes(p) && !catalogue.includes(p),
          ),
        ).toEqual([]);
        // The old folder is gone, the new one is there, and the Applications follow.
        expect([...before.keys()].some((p) => p.startsWith(`${env}/${from}/`))).toBe(true);
        expect([...after.keys()].some((p) => p.startsWith(`${env}/${from}/`))).toBe(false);
        expect([...after.keys()].some((p) => p.startsWith(`${env}/${to}/`))).toBe(true);
        // An Application per folder of Kubernetes objects (Airflow's DAGs are git-synced, so none for it).
        const apps = (m: Map<string, string>) => [...m.keys()].filter((p) => p.startsWith(`${env}/argocd/apps/`));
        expect(apps(before).includes(`${env}/argocd/apps/${from}.yaml`)).toBe(from !== 'airflow');
        expect(apps(after).includes(`${env}/argocd/apps/${to}.yaml`)).toBe(to !== 'airflow');
        expect(apps(after).includes(`${env}/argocd/apps/${from}.yaml`)).toBe(false);
      }, 120_000);
    }
    it("control: a stamp that named the feature store would change the orchestrator's files too", () => {
      const prod = byName('prod');
      const stamped = (featureStore: EnvModel['featureStore']) => {
        const env = { ...prod, featureStore };
        const bound = bindEnvironment(model, env);
        // The rule the lineage design keeps: what a step's env holds does not name the store.
        const withStore = {
          ...bound,
          pipelines: bound.pipelines.map((p) => ({
            ...p,
            steps: p.steps.map((s) =>
              s.lineage
                ? {
                    ...s,
                    env: [
                      ...s.env,
                      { name: 'FEATURE_STORE', value: [{ kind: 'literal' as const, value: featureStore }] },
                    ],
                  }
                : s,
            ),
          })),
        };
        return TARGETS.find((t) => t.name === 'airflow')!
          .render(withStore, env)
          .map((f) => f.content)
          .join('\n');
      };
      expect(stamped('chronon')).not.toBe(stamped('feast'));
    });
  },
);
