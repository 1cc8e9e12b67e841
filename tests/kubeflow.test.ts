/**
 * The Kubeflow target, checked by the real kfp SDK (tests/conformance/kfp, a uv-locked
 * Python environment that `make test` creates):
 * - conformance: every rendered IR file and PipelineVersion loads in kfp, parses
 *   strictly as PipelineSpec / PipelineDeploymentConfig / PlatformSpec /
 *   KubernetesExecutorConfig, has no dangling reference, and recompiles inside a new
 *   @dsl.pipeline; mutated copies are rejected;
 * - equivalence: Iris, Kronodroid and the kubeflow-flow fixture, written once more in
 *   the kfp DSL, compile in kfp to the same graph, containers, types, conditions,
 *   loops, retries and platform config as dfp renders;
 * - what Kubeflow cannot express fails with the construct path.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import {
  Condition,
  ContainerStep,
  Environment,
  ParallelFor,
  Pipeline,
  Resources,
  Security,
  Volume,
  eq,
  fmt,
  inputArtifactPath,
  outputArtifactPath,
} from '../constructs/index.ts';
import { DfpApp } from '../app/dfp-app.ts';
import { buildModel } from '../constructs/model/build.ts';
import { buildApp } from '../main.ts';
import { definitionsDigest } from '../constructs/model/bind-environment.ts';
import { DfpError } from '../constructs/model/errors.ts';
import { renderAll } from '../synth/render.ts';
import { kubeflowTarget } from '../targets/kubeflow/index.ts';
import { controlFlowApp } from './fixtures/control-flow.ts';
import { kubeflowFlowApp } from './fixtures/kubeflow-flow.ts';
import { FIXTURE_LOCK } from './support/fixtures.ts';
import { IMAGE, envProps } from './support/fixtures.ts';
import { ROOT, run } from './support/process.ts';

const HARNESS = join(ROOT, 'tests', 'conformance', 'kfp');
const PYTHON = join(HARNESS, '.venv', 'bin', 'python');
const DIST = join(ROOT, 'dist', 'dev', 'kubeflow');
const SCRATCH = mkdtempSync(join(tmpdir(), 'dfp-kubeflow-'));

interface CheckResult {
  file: string;
  ok: boolean;
  errors: string[];
  checks: string[];
}
interface CompareResult {
  fixture: string;
  file: string;
  equal: boolean;
  differences: string[];
  tasks: number;
  dags: number;
}

/**
 * dfp's own digest of each pipeline's model (DFP_DEFINITIONS_SHA256 in a step with
 * lineage): kfp has no such notion, so its twins are handed the value.
 */
const DIGESTS = JSON.stringify(
  Object.fromEntries(buildModel(buildApp()).pipelines.map((p) => [p.name, definitionsDigest(p)])),
);

function python<T>(script: string, args: string[]): T {
  const r = run(PYTHON, [join(HARNESS, script), ...args], { env: { DFP_DEFINITIONS_DIGESTS: DIGESTS } });
  if (r.status !== 0) throw new Error(`${script} failed (${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
const check = (files: string[]) => python<{ results: CheckResult[] }>('check.py', files).results;
const compare = (pairs: [string, string][]) => python<{ results: CompareResult[] }>('compare.py', pairs.flat()).results;

/**
 * Renders an app's Kubeflow files into the scratch folder, with the fixtures' lock as its golden files are; returns
 * path → file.
 */
function renderKubeflow(define: (app: DfpApp) => void, prefix: string): Map<string, string> {
  const app = new DfpApp({ lockFile: FIXTURE_LOCK });
  define(app);
  const model = buildModel(app);
  const out = new Map<string, string>();
  for (const f of kubeflowTarget.render(model, model.environments[0]!)) {
    const file = join(SCRATCH, `${prefix}-${f.path.replace('/', '-')}`);
    writeFileSync(file, f.content);
    out.set(f.path, file);
  }
  return out;
}

const flow = renderKubeflow(kubeflowFlowApp, 'flow');
const PIPELINES = ['iris', 'kronodroid-autoencoder', 'kronodroid-features'];
const DIST_FILES = PIPELINES.flatMap((p) => [`pipelines/${p}.yaml`, `manifests/${p}.yaml`]).map((f) => join(DIST, f));

describe('kubeflow conformance: the real kfp SDK accepts every rendered file', () => {
  const files = [...DIST_FILES, ...flow.values()];
  const results = check(files);

  it('checks every file', () => {
    expect(results.map((r) => r.file)).toEqual(files);
  });

  for (const r of results) {
    it(
      `${r.file.replace(ROOT + '/', '').replace(SCRATCH + '/', 'fixture:')}` + ' loads, parses strictly and recompiles',
      () => {
        expect(r.errors).toEqual([]);
        expect(r.ok).toBe(true);
        expect(r.checks).toContain('load_component_from_text');
        expect(r.checks).toContain('recompiled inside @dsl.pipeline');
        expect(r.checks).toContain('references resolve');
      },
    );
  }

  it('the PipelineVersion embeds exactly the IR file of the same pipeline', () => {
    for (const p of PIPELINES) {
      const ir = parseAllDocuments(readFileSync(join(DIST, 'pipelines', `${p}.yaml`), 'utf8')).map((d) => d.toJS());
      const [pipeline, version] = parseAllDocuments(readFileSync(join(DIST, 'manifests', `${p}.yaml`), 'utf8')).map(
        (d) => d.toJS(),
      );
      expect(pipeline.kind).toBe('Pipeline');
      expect(version.spec.pipelineSpec).toEqual(ir[0]);
      expect(version.spec.platformSpec).toEqual(ir[1]);
      expect(version.metadata.name).toMatch(new RegExp(`^${p}-[0-9a-f]{10}$`));
      expect(version.metadata.namespace).toBe('ml-dev');
    }
  });
});

describe('kubeflow conformance: the harness rejects broken copies', () => {
  const source = readFileSync(join(DIST, 'pipelines', 'kronodroid-autoencoder.yaml'), 'utf8');
  const manifest = readFileSync(join(DIST, 'manifests', 'iris.yaml'), 'utf8');
  type Docs = Record<string, any>[];
  const mutations: [string, string, (docs: Docs) => void, RegExp][] = [
    [
      'an unknown field in an executor container',
      source,
      (d) => {
        d[0]!.deploymentSpec.executors['exec-train'].container.imagePullPolicyX = 'Always';
      },
      /imagePullPolicyX/,
    ],
    [
      'an unknown field in a Kubernetes executor config',
      source,
      (d) => {
        d[1]!.platforms.kubernetes.deploymentSpec.executors['exec-train'].nodeSelectr = {};
      },
      /nodeSelectr/,
    ],
    [
      'an unknown field on a task',
      source,
      (d) => {
        d[0]!.root.dag.tasks.train.retries = 3;
      },
      /retries/,
    ],
    [
      'a wrong parameter type',
      source,
      (d) => {
        d[0]!.root.inputDefinitions.parameters.max_epochs.parameterType = 'INTEGER';
      },
      /INTEGER/,
    ],
    [
      'a missing container image',
      source,
      (d) => {
        delete d[0]!.deploymentSpec.executors['exec-train'].container.image;
      },
      /container\.image is required/,
    ],
    [
      'a missing componentRef',
      source,
      (d) => {
        delete d[0]!.root.dag.tasks['export-executorch'].componentRef;
      },
      /componentRef is required/,
    ],
    [
      'a missing root DAG',
      source,
      (d) => {
        delete d[0]!.root;
      },
      /root/,
    ],
    [
      'an undeclared task input',
      source,
      (d) => {
        delete d[0]!.components['comp-train'].inputDefinitions.parameters.max_epochs;
      },
      /does not declare/,
    ],
    [
      'a dangling producer',
      source,
      (d) => {
        d[0]!.root.dag.tasks[
          'export-executorch'
        ].inputs.parameters.train_mlflow_run_id.taskOutputParameter.producerTask = 'nope';
      },
      /producerTask 'nope'/,
    ],
    [
      'a OneOf that selects a task not in its DAG',
      source,
      (d) => {
        d[0]!.components['comp-condition-branches-benchmark-android'].dag.outputs.artifacts[
          'pipelinechannel--benchmark-android-results'
        ].artifactSelectors[1].producerSubtask = 'nope';
      },
      /producerSubtask 'nope' is not in this DAG/,
    ],
    [
      'a OneOf that selects an output its task does not have',
      source,
      (d) => {
        d[0]!.components['comp-condition-branches-benchmark-android'].dag.outputs.artifacts[
          'pipelinechannel--benchmark-android-results'
        ].artifactSelectors[0].outputArtifactKey = 'results';
      },
      /condition-run-benchmark-android has no output artifact 'results'/,
    ],
    [
      'a reader of an artifact its producer does not make',
      source,
      (d) => {
        d[0]!.root.dag.tasks[
          'aggregate-metrics'
        ].inputs.artifacts.benchmark_results.taskOutputArtifact.outputArtifactKey = 'results';
      },
      /condition-branches-benchmark-android has no output artifact 'results'/,
    ],
    [
      'an unknown field in a PipelineVersion spec',
      manifest,
      (d) => {
        d[1]!.spec.pipelineSpecURL = 'x';
      },
      /pipelineSpecURL/,
    ],
    [
      'a PipelineVersion without its spec',
      manifest,
      (d) => {
        delete d[1]!.spec.pipelineSpec;
      },
      /pipelineSpec is required/,
    ],
  ];
  const files = mutations.map(([name, text, mutate], i) => {
    const docs = parseAllDocuments(text).map((d) => d.toJS()) as Docs;
    mutate(docs);
    const file = join(SCRATCH, `mutation-${i}.yaml`);
    writeFileSync(file, docs.map((d) => JSON.stringify(d)).join('\n---\n'));
    return { name, file };
  });
  const results = check(files.map((f) => f.file));
  mutations.forEach(([name, , , expected], i) => {
    it(`rejects ${name}`, () => {
      expect(results[i]!.ok).toBe(false);
      expect(results[i]!.errors.join('\n')).toMatch(expected);
    });
  });
});

describe('kubeflow equivalence: kfp compiles the same pipelines, written in its DSL, to the same IR', () => {
  const pairs: [string, string][] = [
    ['iris', join(DIST, 'pipelines', 'iris.yaml')],
    ['kronodroid_autoencoder', join(DIST, 'pipelines', 'kronodroid-autoencoder.yaml')],
    ['kronodroid_features', join(DIST, 'pipelines', 'kronodroid-features.yaml')],
    ['kubeflow_flow', flow.get('pipelines/kubeflow-flow.yaml')!],
  ];
  // A control: the same comparison must see a changed condition and a swapped loop field.
  const flowText = readFileSync(flow.get('pipelines/kubeflow-flow.yaml')!, 'utf8');
  const changed = join(SCRATCH, 'flow-changed.yaml');
  writeFileSync(
    changed,
    flowText
      .replace("['pipelinechannel--prepare-score'] > ", "['pipelinechannel--prepare-score'] >= ")
      .replace('["zone"]', '["region"]'),
  );
  // Controls for the emulator skip (the dsl.If / dsl.Else / dsl.OneOf of kronodroid-autoencoder):
  // each copy loses one part of it and must differ from what kfp compiles.
  const autoencoder = parseAllDocuments(readFileSync(pairs[1]![1], 'utf8')).map((d) => d.toJS());
  const skipControl = (name: string, mutate: (spec: Record<string, any>) => void): [string, string] => {
    const docs = structuredClone(autoencoder);
    mutate(docs[0]);
    const file = join(SCRATCH, `skip-control-${name}.yaml`);
    writeFileSync(file, docs.map((d) => JSON.stringify(d)).join('\n---\n'));
    return ['kronodroid_autoencoder', file];
  };
  const branches = (spec: Record<string, any>) => spec.components['comp-condition-branches-benchmark-android'].dag;
  const skipControls: [string, string][] = [
    // The If branch runs unconditionally: a run with run_android_benchmark=false would start the emulator.
    skipControl('no-if', (spec) => delete branches(spec).tasks['condition-run-benchmark-android'].triggerPolicy),
    // The Else branch has the If's condition: the stand-in would run with the emulator, never without it.
    skipControl('no-else', (spec) => {
      const tasks = branches(spec).tasks;
      tasks['condition-skip-benchmark-android'].triggerPolicy.condition =
        tasks['condition-run-benchmark-android'].triggerPolicy.condition;
    }),
    // No OneOf: aggregate-metrics reads only the emulator's results, which a skipped run has not.
    skipControl('no-oneof', (spec) => {
      branches(spec).outputs.artifacts['pipelinechannel--benchmark-android-results'].artifactSelectors.pop();
    }),
  ];
  const results = compare([...pairs, ['kubeflow_flow', changed], ...skipControls]);

  for (const r of results.slice(0, pairs.length)) {
    it(`${r.fixture}: same graph, containers, types, control flow and platform config`, () => {
      expect(r.differences).toEqual([]);
      expect(r.equal).toBe(true);
      // Every step of the pipeline, so none is compared against nothing.
      expect(r.tasks).toBeGreaterThanOrEqual(r.fixture === 'kronodroid_features' ? 2 : 3);
    });
  }

  it('covers conditions, loops and the exit handler', () => {
    // exit-handler, if-good, per-region, per-shard, per-output-shard, condition-report
    expect(results.find((r) => r.fixture === 'kubeflow_flow')!.dags).toBe(6);
  });

  it('kronodroid-autoencoder: the emulator skip is what kfp compiles dsl.If / dsl.Else / dsl.OneOf to', () => {
    // The branches DAG, its If and Else DAGs; the stand-in is the fifth container task.
    const r = results[1]!;
    expect([r.fixture, r.equal, r.dags, r.tasks]).toEqual(['kronodroid_autoencoder', true, 3, 5]);
    const spec = autoencoder[0];
    const tasks = branches(spec).tasks;
    const run = "inputs.parameter_values['pipelinechannel--run_android_benchmark'] == true";
    expect(tasks['condition-run-benchmark-android'].triggerPolicy).toEqual({ condition: run });
    expect(tasks['condition-skip-benchmark-android'].triggerPolicy).toEqual({ condition: `!(${run})` });
    expect(Object.keys(spec.components['comp-condition-run-benchmark-android'].dag.tasks)).toEqual([
      'benchmark-android',
    ]);
    expect(Object.keys(spec.components['comp-condition-skip-benchmark-android'].dag.tasks)).toEqual([
      'benchmark-android-skipped',
    ]);
    expect(spec.root.dag.tasks['aggregate-metrics'].inputs.artifacts.benchmark_results).toEqual({
      taskOutputArtifact: {
        producerTask: 'condition-branches-benchmark-android',
        outputArtifactKey: 'pipelinechannel--benchmark-android-results',
      },
    });
    // Nothing outside the If branch asks for a KVM node.
    const executors = spec.deploymentSpec.executors;
    const kvm = Object.keys(executors).filter((e) => JSON.stringify(executors[e]).includes('devices.kubevirt.io/kvm'));
    expect(kvm).toEqual(['exec-benchmark-android']);
  });

  it('notices a skip without its If condition, its Else condition or its OneOf', () => {
    const [noIf, noElse, noOneOf] = results.slice(pairs.length + 1);
    for (const control of [noIf, noElse, noOneOf]) expect(control!.equal).toBe(false);
    // Without a condition the If DAG is a plain group: kfp's condition DAG is missing.
    expect(noIf!.differences.join('\n')).toMatch(/\$\.dags\.condition\(benchmark-android\): only kfp has/);
    expect(noElse!.differences.join('\n')).toMatch(/\$\.dags\.condition\(benchmark-android-skipped\)\.condition: dfp/);
    expect(noOneOf!.differences.join('\n')).toMatch(
      new RegExp(
        /\$\.containers\.aggregate-metrics\.artifacts\.benchmark_results: /.source +
          /dfp \["artifact", "benchmark-android", "results"\] != kfp \["oneOf"/.source,
      ),
    );
  });

  it('notices a changed condition operator and a swapped loop-item field', () => {
    const control = results[pairs.length]!;
    expect(control.equal).toBe(false);
    expect(control.differences.join('\n')).toMatch(/condition\(publish\)\.condition/);
    expect(control.differences.join('\n')).toMatch(/per_region_item_zone/);
  });
});

/** A step that may skip itself, as EmulatorBenchmarkStep is (model `skip`), with an artifact and a parameter. */
class SkippableStep extends ContainerStep {
  constructor(
    scope: ConstructorParameters<typeof ContainerStep>[0],
    id: string,
    go: Parameters<typeof eq>[0],
    when?: ReturnType<typeof eq>,
  ) {
    super(scope, id, {
      ...(when ? { when } : {}),
      image: IMAGE,
      args: ['--report', outputArtifactPath('report')],
      outputArtifacts: { report: 'Metrics' },
      outputs: { n: 'int' },
    });
    this.skippable = { when: eq(go, true), artifacts: { report: '{"skipped": true}\n' } };
  }
}

/** Readers of a skippable step's artifact at the root, in a loop and in a condition, and a step after it. */
function skipShapesApp(app: DfpApp): void {
  new Environment(app, 'kf', envProps({ orchestrator: 'kubeflow' }));
  const p = new Pipeline(app, 'skip-shapes', {
    parameters: { go: { type: 'bool', default: true }, mode: { type: 'string', default: 'full' } },
  });
  const bench = new SkippableStep(p, 'bench', p.param('go'));
  const read = (scope: ConstructorParameters<typeof ContainerStep>[0], id: string) =>
    new ContainerStep(scope, id, {
      image: IMAGE,
      args: ['--report', inputArtifactPath('report')],
      inputArtifacts: { report: bench.artifact('report') },
    });
  read(p, 'read-root');
  read(new ParallelFor(p, 'per-shard', { items: ['a', 'b'] }), 'read-loop');
  read(new Condition(p, 'if-full', { when: eq(p.param('mode'), 'full') }), 'read-condition');
  new ContainerStep(p, 'after-bench', { image: IMAGE }).after(bench);
  // A step with a `when` of its own that may also skip itself: its branches sit inside its condition.
  new SkippableStep(p, 'guarded', p.param('go'), eq(p.param('mode'), 'full'));
}

describe('kubeflow: a step that may skip itself, read from the root, a loop and a condition', () => {
  const files = renderKubeflow(skipShapesApp, 'skip-shapes');
  const file = files.get('pipelines/skip-shapes.yaml')!;
  const [result] = check([file]);
  const spec = parseAllDocuments(readFileSync(file, 'utf8'))[0]!.toJS();
  const oneOf = {
    taskOutputArtifact: {
      producerTask: 'condition-branches-bench',
      outputArtifactKey: 'pipelinechannel--bench-report',
    },
  };

  it('kfp loads it, every reference resolves and it recompiles', () => {
    expect(result!.errors).toEqual([]);
    expect(result!.checks).toEqual(
      expect.arrayContaining(['load_component_from_text', 'references resolve', 'recompiled inside @dsl.pipeline']),
    );
  });

  it('every reader gets the OneOf, handed into its loop or condition as a channel', () => {
    const root = spec.root.dag.tasks;
    expect(root['read-root'].inputs.artifacts.report).toEqual(oneOf);
    for (const group of ['per-shard', 'if-full']) {
      expect(root[group].inputs.artifacts['pipelinechannel--bench-report']).toEqual(oneOf);
      expect(root[group].dependentTasks).toEqual(['condition-branches-bench']);
    }
    expect(spec.components['comp-per-shard'].dag.tasks['read-loop'].inputs.artifacts.report).toEqual({
      componentInputArtifact: 'pipelinechannel--bench-report',
    });
    // A step after the skippable one waits for its branches, which end whichever branch ran.
    expect(root['after-bench'].dependentTasks).toEqual(['condition-branches-bench']);
  });

  it('a skippable step with a `when` of its own: its branches sit inside its condition', () => {
    expect(spec.root.dag.tasks['condition-guarded'].triggerPolicy.condition).toBe(
      "inputs.parameter_values['pipelinechannel--mode'] == 'full'",
    );
    expect(Object.keys(spec.components['comp-condition-guarded'].dag.tasks)).toEqual(['condition-branches-guarded']);
    expect(Object.keys(spec.components['comp-condition-branches-guarded'].dag.tasks).sort()).toEqual([
      'condition-run-guarded',
      'condition-skip-guarded',
    ]);
    expect(Object.keys(spec.components['comp-condition-skip-guarded'].dag.tasks)).toEqual(['guarded-skipped']);
  });
});

describe('kubeflow: what Kubeflow cannot express fails with the construct path', () => {
  function renderError(define: (app: DfpApp) => void): string {
    const app = new DfpApp();
    define(app);
    const model = buildModel(app);
    try {
      renderAll(model, [kubeflowTarget]);
    } catch (e) {
      if (e instanceof DfpError) return e.message;
      throw e;
    }
    throw new Error('rendered without error');
  }
  const kubeflowEnv = (app: DfpApp) => new Environment(app, 'kf', envProps({ orchestrator: 'kubeflow' }));

  it('waiting for a conditional group from outside it', () => {
    const message = renderError((app) => {
      controlFlowApp(app);
      kubeflowEnv(app);
    });
    expect(message).toContain('control-flow/report: cannot render for kubeflow');
  });

  it('a step that waits for a conditional step', () => {
    const message = renderError((app) => {
      kubeflowEnv(app);
      const p = new Pipeline(app, 'p', { parameters: { go: { type: 'bool', default: true } } });
      const maybe = new ContainerStep(p, 'maybe', { image: IMAGE, when: eq(p.param('go'), true) });
      new ContainerStep(p, 'after', { image: IMAGE }).after(maybe);
    });
    expect(message).toMatch(
      new RegExp(
        /p\/after: .*runs after 'maybe', which runs only /.source +
          /when a condition holds \(p\/maybe\).*Move this /.source +
          /step under the same condition/.source,
      ),
    );
  });

  it('a step outside a skippable step reading an output it has no skipped content for', () => {
    const message = renderError((app) => {
      kubeflowEnv(app);
      const p = new Pipeline(app, 'p', { parameters: { go: { type: 'bool', default: true } } });
      const bench = new SkippableStep(p, 'bench', p.param('go'));
      new ContainerStep(p, 'reader', { image: IMAGE, args: ['--n', bench.output('n')] });
    });
    expect(message).toMatch(
      new RegExp(
        /p\/reader: .*reads bench\.n, made by 'bench', which may be skipped \(p\/bench\); /.source +
          /a reader outside it gets only an artifact that has content for a skipped run \(report\)/.source,
      ),
    );
  });

  it("names that clash with a skippable step's stand-in task or its DAGs", () => {
    const message = renderError((app) => {
      kubeflowEnv(app);
      const p = new Pipeline(app, 'p', { parameters: { go: { type: 'bool', default: true } } });
      new SkippableStep(p, 'bench', p.param('go'));
      new ContainerStep(p, 'bench-skipped', { image: IMAGE });
      new ContainerStep(new Condition(p, 'condition-run-bench', { when: eq(p.param('go'), false) }), 'x', {
        image: IMAGE,
      });
    });
    expect(message).toMatch(
      /p\/bench: .*stand-in task \(when skipped\) is named 'bench-skipped', like the step at p\/bench-skipped/,
    );
    expect(message).toMatch(/p\/bench: .*DAG is named 'condition-run-bench', like the DAG of p\/condition-run-bench/);
  });

  it("a literal holding the driver's placeholder marker", () => {
    const message = renderError((app) => {
      kubeflowEnv(app);
      const p = new Pipeline(app, 'p');
      new ContainerStep(p, 's', { image: IMAGE, args: ["{{$.inputs.parameters['x']}}"] });
    });
    expect(message).toMatch(/p\/s: .*args\[0\] contains '\{\{\$'/);
  });

  it('a read-only PVC', () => {
    const message = renderError((app) => {
      kubeflowEnv(app);
      const p = new Pipeline(app, 'p');
      new ContainerStep(p, 'ro', { image: IMAGE, volumes: [Volume.pvc('data', 'claim', '/data', true)] });
    });
    expect(message).toMatch(/p\/ro: .*read-write only/);
  });

  it('a per-step service account', () => {
    const message = renderError((app) => {
      kubeflowEnv(app);
      const q = new Pipeline(app, 'q');
      new ContainerStep(q, 'sa', { image: IMAGE, serviceAccount: 'special' });
    });
    expect(message).toMatch(/q\/sa: .*service account/);
  });

  it('a loop-item field in a condition: each one, in every pipeline, in one run', () => {
    const message = renderError((app) => {
      kubeflowEnv(app);
      for (const name of ['r', 's']) {
        const r = new Pipeline(app, name);
        const loop = new ParallelFor(r, 'each', { items: [{ kind: 'a' }] });
        const only = new Condition(loop, 'only-a', { when: eq(loop.item('kind'), 'a') });
        new ContainerStep(only, 'x', { image: IMAGE });
      }
    });
    for (const name of ['r', 's'])
      expect(message).toContain(
        `\n  ${name}/each/only-a: cannot render for kubeflow in environment 'kf': a Kubeflow condition cannot ` +
          "read field 'kind' of a loop item; compare a whole item, or compute the field in a step and compare " +
          'its output',
      );
  });

  it('a privileged step with a host device, and a step with two accelerators', () => {
    const privileged = renderError((app) => {
      kubeflowEnv(app);
      const p = new Pipeline(app, 'p');
      new ContainerStep(p, 'emu', {
        image: IMAGE,
        security: Security.privileged('needs /dev/kvm'),
        volumes: [Volume.hostDevice('kvm', '/dev/kvm')],
      });
    });
    expect(privileged).toMatch(/p\/emu: .*(cannot mount a host device|cannot run a privileged container)/);
    const two = renderError((app) => {
      kubeflowEnv(app);
      const p = new Pipeline(app, 'p');
      new ContainerStep(p, 'both', {
        image: IMAGE,
        resources: { ...Resources.gpu(1, '1', '1Gi'), devices: [{ resource: 'devices.kubevirt.io/kvm' }] },
      });
    });
    expect(two).toMatch(/p\/both: .*one accelerator.*nvidia\.com\/gpu and devices\.kubevirt\.io\/kvm/);
  });

  it('an env var known only at run time on a step without a command', () => {
    const message = renderError((app) => {
      kubeflowEnv(app);
      const p = new Pipeline(app, 'p', { parameters: { uri: { type: 'string', default: 'x' } } });
      new ContainerStep(p, 's', { image: IMAGE, env: { URI: fmt`${p.param('uri')}/v1` } });
    });
    expect(message).toMatch(/p\/s: .*env URI is known only at run time.*give the step an explicit command/);
  });
});
