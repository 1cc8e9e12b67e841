/**
 * What used to be accepted at synth and fail (or silently do nothing) at run time (issue 27,
 * classes 3–5), beyond the refusals of the bad-input catalogue
 * (tests/fixtures/bad-inputs-usability.ts): any ConfigMap over 1 MiB; the notes synth
 * prints, one line per pipeline, for a Kubeflow schedule or run timeout and for caching an
 * orchestrator cannot honour; the older KFP resource fields next to the newer ones; and an
 * emulator benchmark Job deployed only where the environment's `pipelines` list selects it.
 */
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ContainerStep, Environment, Pipeline, Resources, Schedule } from '../constructs/index.ts';
import { type DfpApp } from '../app/dfp-app.ts';
import { buildModel } from '../constructs/model/build.ts';
import { DfpError } from '../constructs/model/errors.ts';
import { buildApp } from '../main.ts';
import { synthNotes } from '../synth/notes.ts';
import { renderAll, type OutputFile } from '../synth/render.ts';
import { CONFIGMAP_DATA_LIMIT, checkObjectSizes } from '../synth/size-limits.ts';
import { toYaml } from '../emit/yaml.ts';
import { TARGETS } from '../targets/index.ts';
import { cpuToFloat, memoryToFloat } from '../targets/kubeflow/legacy-resources.ts';
import { benchmarkJob } from './fixtures/android.ts';
import { envProps, IMAGE, testApp } from './support/fixtures.ts';
import { ROOT, run } from './support/process.ts';

const model = buildModel(buildApp());

describe('a ConfigMap over 1 MiB is refused at synth, at the construct it is rendered from', () => {
  const configMap = (bytes: number): OutputFile => ({
    path: 'dev/feast/sync/feast-apply.yaml',
    kubernetes: true,
    content: toYaml({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'feast-apply', namespace: 'ml-dev' },
      data: { 'features.py': 'x'.repeat(bytes) },
    }),
  });

  it('one byte over: refused, naming the environment, the object, the file and the limit', () => {
    let error: unknown;
    try {
      checkObjectSizes([configMap(CONFIGMAP_DATA_LIMIT + 1)], model);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DfpError);
    expect((error as DfpError).problems).toEqual([
      {
        path: 'dev',
        message:
          "ConfigMap 'feast-apply' in dist/dev/feast/sync/feast-apply.yaml would hold 1.00 MiB of data, over " +
          'the 1 MiB a ConfigMap may hold; make what it is rendered from smaller (descriptions, parameter ' +
          'defaults, the number of pipelines in this environment)',
      },
    ]);
  });

  it('at the limit, or in a file that is not a Kubernetes object: accepted', () => {
    expect(() => checkObjectSizes([configMap(CONFIGMAP_DATA_LIMIT)], model)).not.toThrow();
    expect(() =>
      checkObjectSizes([{ ...configMap(CONFIGMAP_DATA_LIMIT * 2), kubernetes: false }], model),
    ).not.toThrow();
  });

  it("every rendered object of this repository's dist/ is within the limits", () => {
    expect(() => checkObjectSizes(renderAll(model, TARGETS), model)).not.toThrow();
  });
});

describe('synth says, one line per pipeline, what an orchestrator will not do', () => {
  it("this repository's pipelines: Kubeflow schedules and timeouts, Airflow's caching", () => {
    expect(synthNotes(model)).toEqual([
      'dfp: note: iris on airflow: Airflow has no task cache, so caching on process-data has no effect; it ' +
        'runs every time (environment prod)',
      'dfp: note: iris on kubeflow: its schedule (0 6 * * * UTC) does not run: KFP schedules only through ' +
        'recurring runs, which are made through its API, not from dist/; create a recurring run for it (kfp ' +
        'Client().create_recurring_run), or choose argo or airflow for this environment (environment dev)',
      'dfp: note: kronodroid-autoencoder on kubeflow: its timeout (43200 s) is not enforced: KFP has no ' +
        "run-wide timeout; give its steps a timeout (each step's timeout is enforced), or choose argo or airflow " +
        'for this environment (environment dev)',
      'dfp: note: kronodroid-features on kubeflow: its schedule (0 2 * * * UTC) does not run: KFP schedules ' +
        'only through recurring runs, which are made through its API, not from dist/; and its timeout (14400 s) ' +
        'is not enforced: KFP has no run-wide timeout; create a recurring run for it (kfp ' +
        'Client().create_recurring_run), or choose argo or airflow for this environment (environment dev)',
    ]);
  });

  it('Argo: a cached step that reads an input artifact is named; one that does not is not', () => {
    const app = testApp();
    const p = new Pipeline(app, 'p');
    const a = new ContainerStep(p, 'make', { image: IMAGE, outputArtifacts: { data: 'Dataset' }, caching: true });
    new ContainerStep(p, 'use', { image: IMAGE, inputArtifacts: { data: a.artifact('data') }, caching: true });
    expect(synthNotes(buildModel(app))).toEqual([
      'dfp: note: p on argo: Argo memoizes a step by its parameters only, so use (reading input artifacts) is ' +
        'not cached (environment test)',
    ]);
  });

  it('one line per pipeline, naming every environment it concerns; nothing for what runs as asked', () => {
    const app = testApp(false);
    for (const name of ['a1', 'a2'])
      new Environment(app, name, envProps({ namespace: `ml-${name}`, orchestrator: 'airflow' }));
    new Environment(app, 'k', envProps({ namespace: 'ml-k', orchestrator: 'kubeflow' }));
    new ContainerStep(new Pipeline(app, 'cached'), 's', { image: IMAGE, caching: true });
    new ContainerStep(new Pipeline(app, 'plain', { schedule: Schedule.daily(1, 0) }), 's', { image: IMAGE });
    const notes = synthNotes(buildModel(app));
    expect(notes.filter((n) => n.includes('cached on airflow'))).toEqual([
      'dfp: note: cached on airflow: Airflow has no task cache, so caching on s has no effect; it runs every ' +
        'time (environments a1, a2)',
    ]);
    expect(
      notes.filter((n) => n.startsWith('dfp: note: plain on kubeflow: its schedule (0 1 * * * UTC) does not run')),
    ).toHaveLength(1);
    expect(notes).toHaveLength(2); // kubeflow caches; airflow and argo run schedules
  });

  it('the CLI prints them on stdout, with the synth summary', () => {
    const r = run('node', ['scripts/run.mjs', 'main.ts', '--check'], { cwd: ROOT });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${synthNotes(model).join('\n')}\ndfp: dist/ is up to date\n`);
  });
});

describe('Kubeflow: the older resource and accelerator fields, as kfp writes them', () => {
  const irOf = (app: DfpApp) => {
    const file = renderAll(buildModel(app), TARGETS).find((f) => f.path === 'kf/kubeflow/pipelines/p.yaml')!;
    return parseAllDocuments(file.content)[0]!.toJS() as {
      deploymentSpec: { executors: Record<string, { container: { resources: Record<string, unknown> } }> };
    };
  };

  it(
    'a GPU step keeps its GPU on a backend before 2.4: accelerator.type/count next to ' +
      'resourceType/resourceCount, and numeric cpu/memory',
    () => {
      const app = testApp(false);
      new Environment(app, 'kf', envProps({ orchestrator: 'kubeflow' }));
      new ContainerStep(new Pipeline(app, 'p'), 'train', {
        image: IMAGE,
        resources: Resources.gpu(2, '500m', '1536Mi'),
      });
      const [executor] = Object.values(irOf(app).deploymentSpec.executors);
      expect(executor!.container.resources).toEqual({
        resourceCpuRequest: '500m',
        resourceCpuLimit: '500m',
        resourceMemoryRequest: '1536Mi',
        resourceMemoryLimit: '1536Mi',
        cpuRequest: 0.5,
        cpuLimit: 0.5,
        memoryRequest: 1.610612736,
        memoryLimit: 1.610612736,
        accelerator: { resourceType: 'nvidia.com/gpu', resourceCount: '2', type: 'nvidia.com/gpu', count: '2' },
      });
    },
  );

  it("the numbers are kfp's: cores, and memory in decimal gigabytes", () => {
    expect([cpuToFloat('250m'), cpuToFloat('2'), cpuToFloat('1.5')]).toEqual([0.25, 2, 1.5]);
    expect([memoryToFloat('2Gi'), memoryToFloat('500M'), memoryToFloat('3G'), memoryToFloat('1000000')]).toEqual([
      2.147483648, 0.5, 3, 0.001,
    ]);
  });
});

describe("the emulator benchmark Job follows the environment's pipelines list", () => {
  const androidFiles = (app: DfpApp) =>
    renderAll(buildModel(app), TARGETS)
      .map((f) => f.path)
      .filter((p) => p.includes('/android/'));

  it('a list without it: no Job in that environment (an environment without a list still gets it)', () => {
    const app = testApp();
    new Environment(app, 'only-p', envProps({ namespace: 'ml-only', pipelines: ['p'] }));
    new ContainerStep(new Pipeline(app, 'p'), 's', { image: IMAGE });
    const job = benchmarkJob(app);
    expect(androidFiles(app)).toEqual([`test/android/${job.node.id}.yaml`]);
  });

  it('a list naming it: the Job is deployed there', () => {
    const app = testApp(false);
    const job = benchmarkJob(app);
    new Environment(app, 'with-bench', envProps({ pipelines: ['p', job.node.id] }));
    new ContainerStep(new Pipeline(app, 'p'), 's', { image: IMAGE });
    expect(androidFiles(app)).toEqual([`with-bench/android/${job.node.id}.yaml`]);
  });
});
