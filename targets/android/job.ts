/**
 * One benchmark -> one batch/v1 Job, built with cdk8s-plus-28 in a private, never
 * synthesised chart (no file system, no name hashes), then printed by emit/yaml.ts like
 * every other object. cdk8s-plus supplies the safe pod defaults (restartPolicy Never, no
 * service-account token); what it cannot express from the model verbatim (quantities,
 * device-plugin resources, the node selector and tolerations) is set afterwards.
 */
import { ApiObject, App, Chart, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import type { AndroidBenchmark } from '../../constructs/model/android.ts';
import type { Arg, Environment, Step, Volume } from '../../constructs/model/schema.ts';
import { RenderError } from '../types.ts';

type JobDeployment = Extract<AndroidBenchmark['deployment'], { kind: 'job' }>;

const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'dfp' };

/** The Job's name: the benchmark's, plus the run id's first 8 digits (a new run, a new Job). */
export function jobName(b: AndroidBenchmark, d: JobDeployment): string {
  return `${b.name}-${d.runId.slice(0, 8)}`;
}

export function benchmarkJob(b: AndroidBenchmark, d: JobDeployment, env: Environment): object {
  const c = d.container;
  const chart = new Chart(new App({ outdir: '.cdk8s.out' }), 'android', { disableResourceNameHashes: true });
  const labels = { ...MANAGED_BY, 'app.kubernetes.io/name': 'android-benchmark', 'dfp.dev/benchmark': b.name, 'dfp.dev/device': b.device.name };
  const privileged = c.security.profile === 'privileged';
  const job = new kplus.Job(chart, 'job', {
    metadata: {
      name: jobName(b, d),
      namespace: env.namespace,
      labels,
      annotations: {
        'dfp.dev/source': b.path,
        'dfp.dev/mlflow-run-id': d.runId,
        'dfp.dev/runtimes': b.models.map((m) => m.runtime).join(','),
      },
    },
    podMetadata: {
      labels,
      ...(c.security.profile === 'privileged'
        ? { annotations: { 'dfp.dev/pod-security': 'privileged', 'dfp.dev/pod-security-reason': c.security.reason, 'dfp.dev/source': b.path } }
        : {}),
    },
    activeDeadline: Duration.seconds(d.activeDeadlineSeconds),
    backoffLimit: d.backoffLimit,
    ttlAfterFinished: Duration.seconds(d.ttlSecondsAfterFinished),
    serviceAccount: kplus.ServiceAccount.fromServiceAccountName(chart, 'service-account', c.serviceAccount ?? env.serviceAccount),
    securityContext: c.security.profile === 'restricted'
      ? { ensureNonRoot: true, user: c.security.runAsUser, group: c.security.runAsGroup }
      : { ensureNonRoot: false },
  });

  const container = job.addContainer({
    name: 'main',
    image: c.image,
    // A pinned tag (the image policy) never changes, and the emulator image is large.
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
    command: c.command.map((a, i) => text(b, `command[${i}]`, a)),
    args: c.args.map((a, i) => text(b, `args[${i}]`, a)),
    envVariables: Object.fromEntries(envVariables(chart, b, c, env)),
    securityContext: privileged
      ? { privileged: true, allowPrivilegeEscalation: true, ensureNonRoot: false, readOnlyRootFilesystem: false }
      : {
          ensureNonRoot: true,
          allowPrivilegeEscalation: false,
          // The emulator writes its AVD and snapshots; the work volume is an emptyDir.
          readOnlyRootFilesystem: false,
          capabilities: { drop: [kplus.Capability.ALL] },
          seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
        },
  });
  for (const v of c.volumes) container.mount(v.mountPath, volume(chart, v), { readOnly: v.readOnly });

  // The generated KubeJob re-types every value after JSON patches (a plain quantity string
  // becomes undefined), so the model's values are set on the finished plain object instead.
  const json = structuredClone(ApiObject.of(job).toJson()) as KubeJob;
  const template = json.spec.template;
  delete template.metadata.labels['cdk8s.io/metadata.addr'];
  template.spec.containers[0]!.resources = resources(c);
  if (Object.keys(c.nodeSelector).length) template.spec.nodeSelector = { ...c.nodeSelector };
  if (c.tolerations.length) template.spec.tolerations = c.tolerations.map((t) => ({ ...t }));
  for (const v of c.volumes) {
    const rendered = template.spec.volumes?.find((x) => x.name === v.name);
    if (v.source.kind === 'emptyDir' && v.source.sizeLimit && rendered?.emptyDir) rendered.emptyDir.sizeLimit = v.source.sizeLimit;
  }
  return json;
}

/** The parts of the rendered Job this file completes. */
interface KubeJob {
  spec: {
    template: {
      metadata: { labels: Record<string, string> };
      spec: {
        containers: Record<string, unknown>[];
        nodeSelector?: Record<string, string>;
        tolerations?: unknown[];
        volumes?: { name: string; emptyDir?: Record<string, unknown> }[];
      };
    };
  };
}

/** Env of the container, sorted, plus the environment's MLflow and S3 endpoints. */
function envVariables(chart: Chart, b: AndroidBenchmark, c: Step, env: Environment): [string, kplus.EnvValue][] {
  const entries: [string, kplus.EnvValue][] = [
    ...c.env.map((e, i): [string, kplus.EnvValue] => [e.name, kplus.EnvValue.fromValue(text(b, `env[${i}]`, e.value))]),
    ['MLFLOW_TRACKING_URI', kplus.EnvValue.fromValue(env.endpoints.mlflow)],
    ['MLFLOW_S3_ENDPOINT_URL', kplus.EnvValue.fromValue(env.endpoints.s3)],
    ['AWS_ENDPOINT_URL', kplus.EnvValue.fromValue(env.endpoints.s3)],
    ...c.secretEnv.map((e, i): [string, kplus.EnvValue] => [
      e.name,
      kplus.EnvValue.fromSecretValue({ secret: kplus.Secret.fromSecretName(chart, `secret-${i}`, e.secret), key: e.key }),
    ]),
  ];
  const seen = new Set<string>();
  for (const [name] of entries) {
    if (seen.has(name)) throw new RenderError(b.path, `environment variable '${name}' is set by the benchmark and by the environment's endpoints; drop it from the benchmark`);
    seen.add(name);
  }
  return entries.sort(([x], [y]) => (x < y ? -1 : 1));
}

function volume(chart: Chart, v: Volume): kplus.Volume {
  const s = v.source;
  switch (s.kind) {
    case 'emptyDir':
      // sizeLimit is set verbatim afterwards: cdk8s-plus would re-spell it in MiB.
      return kplus.Volume.fromEmptyDir(chart, `volume-${v.name}`, v.name, s.medium ? { medium: kplus.EmptyDirMedium.MEMORY } : {});
    case 'hostDevice':
      return kplus.Volume.fromHostPath(chart, `volume-${v.name}`, v.name, { path: s.path, type: kplus.HostPathVolumeType.CHAR_DEVICE });
    case 'configMap':
      return kplus.Volume.fromConfigMap(chart, `volume-${v.name}`, kplus.ConfigMap.fromConfigMapName(chart, `cm-${v.name}`, s.name), { name: v.name });
    case 'secret':
      return kplus.Volume.fromSecret(chart, `volume-${v.name}`, kplus.Secret.fromSecretName(chart, `sv-${v.name}`, s.secretName), { name: v.name });
    case 'pvc':
      return kplus.Volume.fromPersistentVolumeClaim(chart, `volume-${v.name}`, kplus.PersistentVolumeClaim.fromClaimName(chart, `pvc-${v.name}`, s.claimName), { name: v.name, readOnly: v.readOnly });
  }
}

/** Model quantities verbatim (cdk8s-plus would re-spell them), device-plugin resources as request and limit. */
function resources(c: Step): Record<string, Record<string, string>> {
  const extra: Record<string, string> = {};
  if (c.resources.gpu) extra[c.resources.gpu.resource] = String(c.resources.gpu.count);
  for (const d of c.resources.devices) extra[d.resource] = String(d.count);
  return { requests: { ...c.resources.requests, ...extra }, limits: { ...c.resources.limits, ...extra } };
}

/** A Job argument: the model gives Jobs literal text only. */
function text(b: AndroidBenchmark, field: string, arg: Arg): string {
  return arg
    .map((part) => {
      if (part.kind !== 'literal') throw new RenderError(b.path, `${field}: a Job has no pipeline to supply '${part.name}'; use literal values`);
      return part.value;
    })
    .join('');
}
