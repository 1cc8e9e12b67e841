/**
 * One benchmark -> one batch/v1 Job, built as plain data like every other Job dfp renders
 * and printed by emit/yaml.ts. The pod has the safe defaults cdk8s-plus gives a Job
 * (restartPolicy Never, no service-account token, a grace period); the model's values
 * (quantities, device-plugin resources, node selector, tolerations) go in verbatim.
 */
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
  const labels = {
    ...MANAGED_BY,
    'app.kubernetes.io/name': 'android-benchmark',
    'dfp.dev/benchmark': b.name,
    'dfp.dev/device': b.device.name,
  };
  const sec = c.security;
  const podAnnotations =
    sec.profile === 'privileged'
      ? { 'dfp.dev/pod-security': 'privileged', 'dfp.dev/pod-security-reason': sec.reason, 'dfp.dev/source': b.path }
      : undefined;
  const container = {
    name: 'main',
    image: c.image,
    // A pinned tag (the image policy) never changes, and the emulator image is large.
    imagePullPolicy: 'IfNotPresent',
    command: c.command.map((a, i) => text(b, `command[${i}]`, a)),
    args: c.args.map((a, i) => text(b, `args[${i}]`, a)),
    env: envVariables(b, c, env),
    resources: resources(c),
    securityContext:
      sec.profile === 'privileged'
        ? { privileged: true, allowPrivilegeEscalation: true, runAsNonRoot: false, readOnlyRootFilesystem: false }
        : {
            privileged: false,
            allowPrivilegeEscalation: false,
            runAsNonRoot: true,
            // The emulator writes its AVD and snapshots; the work volume is an emptyDir.
            readOnlyRootFilesystem: false,
            capabilities: { drop: ['ALL'] },
            seccompProfile: { type: 'RuntimeDefault' },
          },
    volumeMounts: c.volumes.length
      ? c.volumes.map((v) => ({ name: v.name, mountPath: v.mountPath, readOnly: v.readOnly }))
      : undefined,
  };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
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
    spec: {
      activeDeadlineSeconds: d.activeDeadlineSeconds,
      backoffLimit: d.backoffLimit,
      ttlSecondsAfterFinished: d.ttlSecondsAfterFinished,
      template: {
        metadata: { labels, ...(podAnnotations ? { annotations: podAnnotations } : {}) },
        spec: {
          automountServiceAccountToken: false,
          containers: [container],
          dnsPolicy: 'ClusterFirst',
          hostNetwork: false,
          nodeSelector: Object.keys(c.nodeSelector).length ? { ...c.nodeSelector } : undefined,
          restartPolicy: 'Never',
          securityContext:
            sec.profile === 'restricted'
              ? {
                  runAsNonRoot: true,
                  runAsUser: sec.runAsUser,
                  runAsGroup: sec.runAsGroup,
                  fsGroupChangePolicy: 'Always',
                }
              : { runAsNonRoot: false, fsGroupChangePolicy: 'Always' },
          serviceAccountName: c.serviceAccount ?? env.serviceAccount,
          setHostnameAsFQDN: false,
          terminationGracePeriodSeconds: 30,
          tolerations: c.tolerations.length ? c.tolerations.map((t) => ({ ...t })) : undefined,
          volumes: c.volumes.length ? c.volumes.map(volume) : undefined,
        },
      },
    },
  };
}

type EnvVar =
  { name: string; value: string } | { name: string; valueFrom: { secretKeyRef: { name: string; key: string } } };

/** Env of the container, sorted, plus the environment's MLflow and S3 endpoints. */
function envVariables(b: AndroidBenchmark, c: Step, env: Environment): EnvVar[] | undefined {
  const entries: EnvVar[] = [
    ...c.env.map((e, i) => ({ name: e.name, value: text(b, `env[${i}]`, e.value) })),
    { name: 'MLFLOW_TRACKING_URI', value: env.endpoints.mlflow },
    { name: 'MLFLOW_S3_ENDPOINT_URL', value: env.endpoints.s3 },
    { name: 'AWS_ENDPOINT_URL', value: env.endpoints.s3 },
    ...c.secretEnv.map((e) => ({ name: e.name, valueFrom: { secretKeyRef: { name: e.secret, key: e.key } } })),
  ];
  const seen = new Set<string>();
  for (const { name } of entries) {
    if (seen.has(name))
      throw new RenderError(
        b.path,
        `environment variable '${name}' is set by the benchmark and by the environment's endpoints; drop it ` +
          'from the benchmark',
      );
    seen.add(name);
  }
  return entries.sort((x, y) => (x.name < y.name ? -1 : 1));
}

function volume(v: Volume): object {
  const s = v.source;
  switch (s.kind) {
    case 'emptyDir':
      return { name: v.name, emptyDir: { medium: s.medium ? 'Memory' : undefined, sizeLimit: s.sizeLimit } };
    case 'hostDevice':
      return { name: v.name, hostPath: { path: s.path, type: 'CharDevice' } };
    case 'configMap':
      return { name: v.name, configMap: { name: s.name } };
    case 'secret':
      return { name: v.name, secret: { secretName: s.secretName } };
    case 'pvc':
      return { name: v.name, persistentVolumeClaim: { claimName: s.claimName, readOnly: v.readOnly } };
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
      if (part.kind !== 'literal')
        throw new RenderError(b.path, `${field}: a Job has no pipeline to supply '${part.name}'; use literal values`);
      return part.value;
    })
    .join('');
}
