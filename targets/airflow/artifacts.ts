/**
 * The same step contract as on Argo and Kubeflow: a step reads its input artifacts at
 * `/tmp/dfp/inputs/artifacts/<name>` and writes its outputs at
 * `/tmp/dfp/outputs/artifacts/<name>`, and the pod moves them. Airflow has no artifact
 * machinery of its own, so dfp renders it into the task's pod:
 *
 * - an emptyDir mounted at `/tmp/dfp` in every container of the pod;
 * - an init container (`dfp-artifacts-in`) that prepares the folders and downloads each
 *   input from the environment's artifact repository;
 * - with outputs, a native sidecar (`dfp-artifacts-out`, an init container with
 *   `restartPolicy: Always`) that waits for the step's exit code and uploads the outputs,
 *   and a wrapper (runtime.ts ARTIFACTS_SCRIPT) that makes the step wait for the upload
 *   and fail with it, before Airflow reads the result and deletes the pod.
 *
 * Both run `python -m dfp_tools.artifacts` from the transform-launcher image (pinned by
 * digest when dfp.lock.json pins it, as the steps' images are), with the
 * repository's endpoint, bucket, region and credential Secret exactly as Argo's artifact
 * repository ConfigMap names them. The object keys hold the run id, known only at run
 * time: they are written into the pod's annotations (a field Airflow renders, through the
 * Jinja escaper) and reach the containers as environment variables read from those
 * annotations (the downward API), so neither a command line nor a script holds them.
 */
import { PipelineGraph } from '../../constructs/model/graph.ts';
import type { Environment, Pipeline, Step } from '../../constructs/model/schema.ts';
import { call, dict, list, lit, name, type PyExpr } from '../../emit/python.ts';
import { DFP_DIR, inputArtifactPath, outputArtifactPath, SYNC_DIR } from './runtime.ts';
import { artifactKey } from './templates.ts';

const k8s = (model: string) => name(`k8s.${model}`);
export const ARTIFACT_VOLUME = 'dfp-artifacts';

/** What a step with artifacts adds to its operator call; undefined for a step without. */
export interface ArtifactMachinery {
  /** Annotation name -> template text of an object key. */
  readonly annotations: readonly (readonly [string, string])[];
  readonly volume: PyExpr;
  readonly volumeMount: PyExpr;
  readonly initContainers: PyExpr;
  /** True when the step's command must run inside the wrapper (it has outputs). */
  readonly wrap: boolean;
}

/** The S3 credentials of the environment's artifact repository, as Secret-referenced env vars. */
export function artifactCredentials(env: Environment): { env: string; secret: string; key: string }[] {
  const c = env.artifactRepository.credentials;
  return [
    { env: 'AWS_ACCESS_KEY_ID', secret: c.secret, key: c.accessKeyKey },
    { env: 'AWS_SECRET_ACCESS_KEY', secret: c.secret, key: c.secretKeyKey },
  ];
}

/**
 * `shared.security`: the restricted container context (undefined for a privileged step);
 * `shared.credentials`: the module-level env vars of artifactCredentials (asked for only
 * when the step has artifacts).
 */
export function artifactMachinery(
  p: Pipeline,
  env: Environment,
  s: Step,
  shared: { image: string; security: PyExpr | undefined; credentials: () => PyExpr[] },
): ArtifactMachinery | undefined {
  const inputs = s.inputs.artifacts.map((a, i) => {
    const producer = PipelineGraph.of(p).step(a.source.step);
    if (!producer) throw new Error(`${s.path}: unknown producer '${a.source.step}'`);
    return { n: i + 1, path: inputArtifactPath(a.name), key: artifactKey(p, env, producer, a.source.output) };
  });
  const outputs = s.outputs.artifacts.map((a, i) => ({
    n: i + 1,
    path: outputArtifactPath(a.name),
    key: artifactKey(p, env, s, a.name),
  }));
  if (inputs.length === 0 && outputs.length === 0) return undefined;

  const repo = env.artifactRepository;
  const store = ['--endpoint', repo.endpoint, '--region', repo.region, '--bucket', repo.bucket];
  const mount = call(k8s('V1VolumeMount'), [], { name: lit(ARTIFACT_VOLUME), mount_path: lit(DFP_DIR) });
  const credentials = shared.credentials();
  const annotation = (dir: 'in' | 'out', n: number) => `dfp.dev/artifact-${dir}-${n}`;
  const keyEnv = (dir: 'in' | 'out', n: number) => `DFP_ARTIFACT_${dir.toUpperCase()}_${n}`;
  const fromAnnotation = (dir: 'in' | 'out', n: number) =>
    call(k8s('V1EnvVar'), [], {
      name: lit(keyEnv(dir, n)),
      value_from: call(k8s('V1EnvVarSource'), [], {
        field_ref: call(k8s('V1ObjectFieldSelector'), [], {
          field_path: lit(`metadata.annotations['${annotation(dir, n)}']`),
        }),
      }),
    });
  const container = (containerName: string, args: string[], envVars: PyExpr[], extra: Record<string, PyExpr> = {}) =>
    call(k8s('V1Container'), [], {
      name: lit(containerName),
      image: lit(shared.image),
      command: list(['python', '-m', 'dfp_tools.artifacts'].map(lit)),
      args: list(args.map(lit)),
      env: list([...envVars, ...credentials]),
      volume_mounts: list([mount]),
      security_context: shared.security,
      ...extra,
    });

  const made = [`${DFP_DIR}/inputs/artifacts`, ...(outputs.length ? [`${DFP_DIR}/outputs/artifacts`, SYNC_DIR] : [])];
  const containers = [
    container(
      'dfp-artifacts-in',
      [
        'download',
        ...store,
        ...made.flatMap((d) => ['--make-dir', d]),
        ...inputs.flatMap((i) => ['--item', keyEnv('in', i.n), i.path]),
      ],
      inputs.map((i) => fromAnnotation('in', i.n)),
    ),
    ...(outputs.length
      ? [
          container(
            'dfp-artifacts-out',
            [
              'upload',
              ...store,
              '--wait-for',
              SYNC_DIR,
              '--stay',
              ...outputs.flatMap((o) => ['--item', keyEnv('out', o.n), o.path]),
            ],
            outputs.map((o) => fromAnnotation('out', o.n)),
            { restart_policy: lit('Always') },
          ),
        ]
      : []),
  ];
  return {
    annotations: [
      ...inputs.map((i) => [annotation('in', i.n), i.key] as const),
      ...outputs.map((o) => [annotation('out', o.n), o.key] as const),
    ],
    volume: call(k8s('V1Volume'), [], {
      name: lit(ARTIFACT_VOLUME),
      empty_dir: call(k8s('V1EmptyDirVolumeSource'), []),
    }),
    volumeMount: mount,
    initContainers: list(containers),
    wrap: outputs.length > 0,
  };
}

/**
 * The annotations dict of a pod, a field Airflow renders: the step's own (user text,
 * through the Jinja escaper `text`) and the artifact keys (already template text).
 */
export function annotationsDict(
  own: readonly (readonly [string, string])[],
  keys: readonly (readonly [string, string])[],
  text: (s: string) => PyExpr,
): PyExpr | undefined {
  const all: (readonly [PyExpr, PyExpr])[] = [
    ...own.map(([k, v]) => [lit(k), text(v)] as const),
    ...keys.map(([k, v]) => [lit(k), lit(v)] as const),
  ];
  return all.length ? dict(all) : undefined;
}
