/**
 * The rendered Argo workflow of a pipeline against a hand-written twin of the same steps, on
 * the same cluster: wall time from submission to Succeeded, alternating, N rounds; prints
 * each run and the ratio of the medians (rendered / twin). Not a test and no timed assertion.
 *
 *   tsx bench/argo-run.ts [--rounds 3]
 *
 * Needs what `make e2e` sets up (tests/e2e/argo.e2e.test.ts; run it with DFP_E2E_KEEP=1 or
 * before this): dist/staging applied into ml-staging with its controller, the Secrets and
 * the platform services. The pipeline is iris (three steps, a dataset artifact through MinIO,
 * an MLflow model). The twin is what a person would write for the same three containers:
 * the same images, commands, arguments, env and Secret references, the same artifact passing,
 * and only the security context Pod Security `restricted` demands; none of dfp's additions
 * (retries, deadlines, memoization, resources, description annotations, pod GC, TTL).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { getJson, kubectl, parseObjects, waitFor, type KubeObject } from '../tests/e2e/support/kube.ts';

const ROOT = resolve(import.meta.dirname, '..');
const NS = 'ml-staging';
const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1] || 3) || 3;

interface Template {
  name: string;
  container?: { image: string; command?: string[]; args?: string[]; env?: unknown[] };
}

/** The hand-written twin of iris, from the images and commands the rendered template names. */
function twin(): KubeObject {
  const rendered = parseObjects(
    readFileSync(join(ROOT, 'dist', 'staging', 'argo', 'workflow-templates', 'iris.yaml'), 'utf8'),
  )[0] as KubeObject & { spec: { templates: Template[] } };
  const c = (name: string) => rendered.spec.templates.find((t) => t.name === name)!.container!;
  const sec = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };
  const step = (name: string, args: string[], extra: object) => ({
    name,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    container: { image: c(name).image, command: c(name).command, args, env: c(name).env, securityContext: sec },
    ...extra,
  });
  const mlflow = 'http://mlflow.mlflow.svc.cluster.local:5000';
  const withMlflow = (env: unknown[] | undefined) =>
    (env ?? []).map((e) =>
      (e as { name: string }).name === 'MLFLOW_TRACKING_URI' ? { name: 'MLFLOW_TRACKING_URI', value: mlflow } : e,
    );
  const templates = [
    {
      name: 'main',
      dag: {
        tasks: [
          { name: 'process-data', template: 'process-data' },
          {
            name: 'train',
            template: 'train',
            dependencies: ['process-data'],
            arguments: { artifacts: [{ name: 'dataset', from: '{{tasks.process-data.outputs.artifacts.dataset}}' }] },
          },
          {
            name: 'batch-inference',
            template: 'batch-inference',
            dependencies: ['train'],
            arguments: {
              artifacts: [{ name: 'dataset', from: '{{tasks.process-data.outputs.artifacts.dataset}}' }],
              parameters: [{ name: 'version', value: '{{tasks.train.outputs.parameters.version}}' }],
            },
          },
        ],
      },
    },
    step('process-data', ['--output', '/tmp/dataset'], {
      outputs: { artifacts: [{ name: 'dataset', path: '/tmp/dataset' }] },
    }),
    {
      ...step(
        'train',
        [
          '--data',
          '/tmp/dataset',
          '--model-name',
          'iris_xgboost_classifier',
          '--max-depth',
          '4',
          '--learning-rate',
          '0.1',
          '--model-version-file',
          '/tmp/version',
        ],
        {
          inputs: { artifacts: [{ name: 'dataset', path: '/tmp/dataset' }] },
          outputs: { parameters: [{ name: 'version', valueFrom: { path: '/tmp/version' } }] },
        },
      ),
      container: {
        ...step('train', [], {}).container,
        args: [
          '--data',
          '/tmp/dataset',
          '--model-name',
          'iris_xgboost_classifier',
          '--max-depth',
          '4',
          '--learning-rate',
          '0.1',
          '--model-version-file',
          '/tmp/version',
        ],
        env: withMlflow(c('train').env),
      },
    },
    {
      ...step('batch-inference', [], {
        inputs: { artifacts: [{ name: 'dataset', path: '/tmp/dataset' }], parameters: [{ name: 'version' }] },
        outputs: { artifacts: [{ name: 'predictions', path: '/tmp/predictions' }] },
      }),
      container: {
        ...step('batch-inference', [], {}).container,
        args: [
          '--data',
          '/tmp/dataset',
          '--model-name',
          'iris_xgboost_classifier',
          '--model-version',
          '{{inputs.parameters.version}}',
          '--predictions',
          '/tmp/predictions',
        ],
        env: withMlflow(c('batch-inference').env),
      },
    },
  ];
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: { generateName: 'iris-twin-', namespace: NS, labels: { 'dfp.dev/e2e': 'bench' } },
    spec: {
      entrypoint: 'main',
      serviceAccountName: 'dfp-runner',
      artifactRepositoryRef: { configMap: 'dfp-artifact-repositories', key: 'dfp' },
      templates,
    },
  } as KubeObject;
}

function rendered(): KubeObject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: { generateName: 'iris-rendered-', namespace: NS, labels: { 'dfp.dev/e2e': 'bench' } },
    spec: { workflowTemplateRef: { name: 'iris' } },
  } as KubeObject;
}

async function timed(wf: KubeObject): Promise<{ name: string; seconds: number; phase: string; hits: number }> {
  const t0 = Date.now();
  const name = kubectl(['create', '-f', '-', '-o', 'jsonpath={.metadata.name}'], {
    input: JSON.stringify(wf),
  }).stdout.trim();
  type Status = { phase?: string; nodes?: Record<string, { memoizationStatus?: { hit?: boolean } }> };
  const status = await waitFor(
    `${name} to finish`,
    900_000,
    () => {
      const st = getJson<KubeObject & { status?: Status }>(['-n', NS, 'workflow', name])?.status;
      return st?.phase && ['Succeeded', 'Failed', 'Error'].includes(st.phase) ? st : undefined;
    },
    1000,
  );
  // A step with `caching: true` (iris' process-data) is memoized: a later run takes its outputs from the cache.
  const hits = Object.values(status.nodes ?? {}).filter((n) => n.memoizationStatus?.hit).length;
  return { name, seconds: (Date.now() - t0) / 1000, phase: status.phase!, hits };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const results: Record<'rendered' | 'twin', number[]> = { rendered: [], twin: [] };
for (let i = 0; i < rounds; i++) {
  for (const [kind, wf] of [
    ['rendered', rendered()],
    ['twin', twin()],
  ] as const) {
    const r = await timed(wf);
    console.log(
      `round ${i + 1} ${kind.padEnd(8)} ${r.name.padEnd(24)} ${r.phase.padEnd(9)} ${r.seconds.toFixed(1)} s, ` +
        `memoized steps taken from the cache: ${r.hits}`,
    );
    if (r.phase !== 'Succeeded') {
      console.error(`${r.name} ended ${r.phase}: kubectl -n ${NS} get workflow ${r.name} -o yaml`);
      process.exit(1);
    }
    results[kind].push(r.seconds);
  }
}
kubectl(['-n', NS, 'delete', 'workflows', '-l', 'dfp.dev/e2e=bench', '--wait=false'], { allowFailure: true });
const [mr, mt] = [median(results.rendered), median(results.twin)];
console.log(`\n| workflow | runs | median wall time |\n| --- | --- | --- |`);
console.log(`| iris, rendered by dfp (dist/staging) | ${rounds} | ${mr.toFixed(1)} s |`);
console.log(`| iris, hand-written twin | ${rounds} | ${mt.toFixed(1)} s |`);
console.log(`\nratio rendered / twin: ${(mr / mt).toFixed(2)}`);
