/**
 * An environment without accelerators (`accelerators: 'none'`, staging's CPU-only cluster):
 * a step that asks for a GPU asks there for its CPU-only shape instead, without the GPU and
 * without the node selector and tolerations of the GPU's nodes, on every orchestrator; with
 * accelerators (the default) it keeps all three. A GPU step without a CPU-only shape is
 * refused at synth in such an environment, at the step, naming the environment.
 */
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ContainerStep, Environment, Pipeline, Resources, type EnvironmentProps } from '../constructs/index.ts';
import { buildModel } from '../constructs/model/build.ts';
import { DfpError } from '../constructs/model/errors.ts';
import { buildApp } from '../main.ts';
import { renderAll } from '../synth/render.ts';
import { TARGETS } from '../targets/index.ts';
import { envProps, IMAGE, modelOrError, testApp } from './support/fixtures.ts';

const GPU_NODES = {
  nodeSelector: { 'dfp.dev/accelerator': 'nvidia-gpu' },
  tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists' as const, effect: 'NoSchedule' as const }],
};

/** One environment per orchestrator, all with `accelerators`, and a pipeline whose `train` asks for a GPU. */
function gpuApp(accelerators: EnvironmentProps['accelerators'], cpuOnly = true) {
  const app = testApp(false);
  for (const orchestrator of ['argo', 'airflow', 'kubeflow'] as const)
    new Environment(app, orchestrator, envProps({ orchestrator, ...(accelerators ? { accelerators } : {}) }));
  new ContainerStep(new Pipeline(app, 'p'), 'train', {
    image: IMAGE,
    nodeSelector: { 'example.com/pool': 'ml' },
    resources: Resources.gpu(1, '4', '16Gi', {
      ...GPU_NODES,
      ...(cpuOnly ? { cpuOnly: Resources.fixed('1', '4Gi') } : {}),
    }),
  });
  return app;
}

/** What each orchestrator renders for `train`: its resources, node selector and tolerations, as plain text. */
function rendered(app: ReturnType<typeof testApp>) {
  const files = renderAll(buildModel(app), TARGETS);
  const text = (path: string) => files.find((f) => f.path === path)!.content;
  const argo = parseAllDocuments(text('argo/argo/workflow-templates/p.yaml'))[0]!.toJS() as {
    spec: {
      templates: { name: string; container?: { resources: unknown }; nodeSelector?: unknown; tolerations?: unknown }[];
    };
  };
  const t = argo.spec.templates.find((x) => x.name === 'train')!;
  return {
    argo: { resources: t.container!.resources, nodeSelector: t.nodeSelector, tolerations: t.tolerations },
    airflow: text('airflow/airflow/dags/p.py'),
    kubeflow: text('kubeflow/kubeflow/pipelines/p.yaml'),
  };
}

describe("accelerators: 'none' runs a GPU step on its CPU-only shape, on every orchestrator", () => {
  const argoShape =
    'Argo: 1 core and 4Gi, no GPU; the step’s own node selector stays, the GPU nodes’ selector and toleration go';
  it(argoShape, () => {
    const { argo } = rendered(gpuApp('none'));
    expect(argo.resources).toEqual({
      requests: { cpu: '1', memory: '4Gi' },
      limits: { cpu: '1', memory: '4Gi' },
    });
    expect(argo.nodeSelector).toEqual({ 'example.com/pool': 'ml' });
    expect(argo.tolerations).toBeUndefined();
  });

  it('Airflow and Kubeflow: no nvidia.com/gpu, no accelerator label or toleration, the CPU-only quantities', () => {
    const { airflow, kubeflow } = rendered(gpuApp('none'));
    for (const text of [airflow, kubeflow]) {
      expect(text).not.toMatch(/nvidia\.com\/gpu|dfp\.dev\/accelerator/);
      expect(text).toMatch(/example\.com\/pool/);
      expect(text).toMatch(/4Gi/);
      expect(text).not.toMatch(/16Gi/);
    }
  });

  const control =
    "control: with accelerators (the default, or 'available') every orchestrator keeps the GPU, its nodes' " +
    'selector and toleration';
  it(control, () => {
    for (const accelerators of [undefined, 'available'] as const) {
      const { argo, airflow, kubeflow } = rendered(gpuApp(accelerators));
      expect(argo.resources).toEqual({
        requests: { cpu: '4', memory: '16Gi', 'nvidia.com/gpu': '1' },
        limits: { cpu: '4', memory: '16Gi', 'nvidia.com/gpu': '1' },
      });
      expect(argo.nodeSelector).toEqual({ 'dfp.dev/accelerator': 'nvidia-gpu', 'example.com/pool': 'ml' });
      expect(argo.tolerations).toEqual(GPU_NODES.tolerations);
      for (const text of [airflow, kubeflow]) {
        expect(text).toMatch(/nvidia\.com\/gpu/);
        expect(text).toMatch(/dfp\.dev\/accelerator/);
        expect(text).toMatch(/16Gi/);
      }
    }
  });

  const refused =
    'a GPU step without a CPU-only shape is refused at synth, at the step, naming each environment ' +
    'without accelerators';
  it(refused, () => {
    const result = modelOrError(gpuApp('none', false));
    expect(result).toBeInstanceOf(DfpError);
    const problems = (result as DfpError).problems.filter((p) => p.message.includes('no accelerators'));
    expect(problems.map((p) => p.path)).toEqual(['p/train', 'p/train', 'p/train']);
    expect(problems.map((p) => /environment '(\w+)'/.exec(p.message)?.[1]).sort()).toEqual([
      'airflow',
      'argo',
      'kubeflow',
    ]);
    expect(problems.find((p) => p.message.includes("'argo'"))!.message).toBe(
      "asks for 1 nvidia.com/gpu, but environment 'argo' has no accelerators (accelerators: 'none'), so no node " +
        'could run it there; give the GPU a CPU-only shape (Resources.gpu(1, cpu, memory, { cpuOnly: ' +
        "Resources.fixed('1', '4Gi') })), or leave 'p' out of the environment's pipelines",
    );
    // With accelerators the same step is fine.
    expect(modelOrError(gpuApp('available', false))).not.toBeInstanceOf(DfpError);
  });

  it('an accelerators value outside the enum is refused, saying which are allowed', () => {
    const app = testApp(false);
    new Environment(app, 'x', envProps({ accelerators: 'gpu' as never }));
    const result = modelOrError(app);
    expect(result).toBeInstanceOf(DfpError);
    expect((result as DfpError).problems).toContainEqual({
      path: 'x',
      message: "accelerators 'gpu' is not one of available, none",
    });
  });
});

describe('the platform: staging has no accelerators, and kronodroid-autoencoder trains CPU-only there', () => {
  it('staging asks for 1 core and 4Gi for train; dev and prod keep the GPU', () => {
    const files = renderAll(buildModel(buildApp()), TARGETS);
    const text = (path: string) => files.find((f) => f.path === path)!.content;
    const staging = text('staging/argo/workflow-templates/kronodroid-autoencoder.yaml');
    expect(staging).not.toMatch(/nvidia\.com\/gpu|dfp\.dev\/accelerator/);
    expect(text('prod/airflow/dags/kronodroid-autoencoder.py')).toMatch(/nvidia\.com\/gpu/);
    expect(text('dev/kubeflow/pipelines/kronodroid-autoencoder.yaml')).toMatch(/nvidia\.com\/gpu/);
  });
});
