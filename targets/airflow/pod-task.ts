/**
 * One model Step -> one KubernetesPodOperator call. Every string that lands in one of
 * the operator's templated fields goes through the Jinja escaper (`t()`); strings in
 * fields Airflow does not render are written as they are. Which nested fields Airflow
 * renders is the provider's `_render_nested_template_fields` list, mirrored here.
 */
import type { Environment, Pipeline, Step, Volume } from '../../constructs/model/schema.ts';
import { jinjaText } from '../../emit/jinja.ts';
import { attr, call, dict, list, lit, name, type PyExpr, type PyStmt } from '../../emit/python.ts';
import { annotationsDict, artifactCredentials, artifactMachinery } from './artifacts.ts';
import { argTemplate, POD_TEMPLATE_EXT } from './templates.ts';
import { TRANSFORM_LAUNCHER_IMAGE } from '../../constructs/model/images.ts';

/** A user string in a templated field: renders back to exactly itself. */
const t = (s: string): PyExpr => lit(jinjaText(s, { templateExt: POD_TEMPLATE_EXT }));
const k8s = (model: string) => name(`k8s.${model}`);
const seconds = (n: number) => call(attr(name('datetime'), 'timedelta'), [], { seconds: lit(n) });

/** The keyword arguments of the step's operator (used whole, or split into partial/expand). */
/** The step passed checkAirflow (check.ts): a step with outputs has a command. */
export function podTaskKwargs(
  p: Pipeline,
  env: Environment,
  s: Step,
  shared: SharedObjects,
  options: { exitHandler?: boolean },
): Record<string, PyExpr | undefined> {
  const arg = (a: Step['args'][number]) => lit(argTemplate(p, env, s, a));
  const outputs = s.outputs.parameters.map((o) => o.name);
  const sec = security(s, outputs.length > 0);
  const artifacts = artifactMachinery(p, env, s, {
    image: shared.launcherImage,
    security: s.security.profile === 'restricted' ? name(CONTAINER_SECURITY) : undefined,
    credentials: () => artifactCredentials(env).map((e) => name(shared.secretEnv(e.env, e.secret, e.key))),
  });
  // With outputs, `sh` runs the command and then writes the XCom file (runtime.ts).
  const inner =
    outputs.length > 0
      ? [
          lit('/bin/sh'),
          lit('-c'),
          name('DFP_OUTPUTS_SCRIPT'),
          lit('dfp-outputs'),
          lit(String(outputs.length)),
          ...outputs.map(t),
          ...s.command.map(arg),
        ]
      : s.command.map(arg);
  // With output artifacts, the outer `sh` waits for their upload (runtime.ts, artifacts.ts).
  const cmds = artifacts?.wrap
    ? [lit('/bin/sh'), lit('-c'), name('DFP_ARTIFACTS_SCRIPT'), lit('dfp-artifacts'), ...inner]
    : inner;
  const volumes = [...s.volumes.map(volume), ...(artifacts ? [artifacts.volume] : [])];
  const mounts = [
    ...s.volumes.map((v) =>
      call(k8s('V1VolumeMount'), [], {
        name: t(v.name),
        mount_path: lit(v.mountPath),
        read_only: v.readOnly ? lit(true) : undefined,
      }),
    ),
    ...(artifacts ? [artifacts.volumeMount] : []),
  ];

  const envVars = [
    ...s.env.map((e) => ({
      key: e.name,
      expr: call(k8s('V1EnvVar'), [], { name: t(e.name), value: lit(argTemplate(p, env, s, e.value)) }),
    })),
    ...s.secretEnv.map((e) => ({ key: e.name, expr: name(shared.secretEnv(e.name, e.secret, e.key)) })),
  ].sort((a, b) => (a.key < b.key ? -1 : 1));

  return {
    task_id: lit(s.name),
    doc_md: s.description === undefined ? undefined : lit(s.description),
    namespace: t(env.namespace),
    image: t(s.image),
    cmds: cmds.length ? list(cmds) : undefined,
    arguments: s.args.length ? list(s.args.map(arg)) : undefined,
    env_vars: envVars.length ? list(envVars.map((e) => e.expr)) : undefined,
    container_resources: resources(s),
    node_selector: Object.keys(s.nodeSelector).length
      ? dict(Object.entries(s.nodeSelector).map(([k, v]) => [lit(k), t(v)]))
      : undefined,
    tolerations: s.tolerations.length
      ? list(
          s.tolerations.map((x) =>
            call(k8s('V1Toleration'), [], {
              key: opt(x.key),
              operator: lit(x.operator),
              value: opt(x.value),
              effect: opt(x.effect),
            }),
          ),
        )
      : undefined,
    volumes: volumes.length ? list(volumes) : undefined,
    volume_mounts: mounts.length ? list(mounts) : undefined,
    init_containers: artifacts?.initContainers,
    service_account_name: lit(s.serviceAccount ?? env.serviceAccount),
    ...sec.kwargs,
    annotations: annotationsDict(sec.annotations, artifacts?.annotations ?? [], t),
    do_xcom_push: outputs.length > 0 ? lit(true) : undefined,
    retries: s.retry ? lit(s.retry.limit) : undefined,
    retry_delay: s.retry ? seconds(s.retry.backoffSeconds) : undefined,
    // Airflow's back-off doubles each try; any factor above 1 turns it on, capped like Argo's.
    retry_exponential_backoff: s.retry && s.retry.backoffFactor > 1 ? lit(true) : undefined,
    max_retry_delay: s.retry && s.retry.backoffFactor > 1 ? seconds(s.retry.maxBackoffSeconds) : undefined,
    execution_timeout: s.timeoutSeconds === undefined ? undefined : seconds(s.timeoutSeconds),
    trigger_rule: options.exitHandler ? lit('all_done') : undefined,
  };
}

const opt = (v: string | undefined) => (v === undefined ? undefined : lit(v));

/**
 * The step's Pod Security profile, as the Argo target renders it: restricted (non-root,
 * RuntimeDefault seccomp, no privilege escalation, every capability dropped, for the
 * XCom sidecar too) or a declared privileged exception, annotated with its reason.
 * Restricted contexts are module-level objects every task shares (sharedSecurity): the
 * Kubernetes client's models are slow to build, and the DAG processor parses each file
 * again and again (bench/RESULTS.md, Airflow parse). Airflow does not template them.
 */
function security(
  s: Step,
  sidecar: boolean,
): { kwargs: Record<string, PyExpr | undefined>; annotations: [string, string][] } {
  if (s.security.profile === 'privileged') {
    return {
      kwargs: { container_security_context: call(k8s('V1SecurityContext'), [], { privileged: lit(true) }) },
      annotations: [
        ['dfp.dev/pod-security', 'privileged'],
        ['dfp.dev/pod-security-reason', s.security.reason],
        ['dfp.dev/source', s.path],
      ],
    };
  }
  return {
    kwargs: {
      security_context: name(podSecurityName(s.security.runAsUser, s.security.runAsGroup)),
      container_security_context: name(CONTAINER_SECURITY),
      xcom_sidecar_container_security_context: sidecar ? name(CONTAINER_SECURITY) : undefined,
    },
    annotations: [],
  };
}

const CONTAINER_SECURITY = '_dfp_container_security';
const podSecurityName = (user: number, group: number) =>
  `_dfp_pod_security_${String(user).replace('-', 'm')}_${String(group).replace('-', 'm')}`;
/** What sharedObjects makes: the module-level names, their assignments, and the lookup of a Secret env var's name. */
export interface SharedObjects {
  readonly names: readonly string[];
  readonly statements: readonly PyStmt[];
  /** The module-level name of the V1EnvVar `env` that reads `key` of Secret `secret`. */
  secretEnv(env: string, secret: string, key: string): string;
  /** The image of the artifact containers (artifacts.ts), pinned as the lock says. */
  readonly launcherImage: string;
}

/**
 * The module-level objects the steps refer to by name, in a stable order: each env var
 * read from a Secret, and the restricted security contexts. Airflow renders an env var's
 * name and value as templates in place; a shared one is safe because env var names are
 * identifiers (checkEnvVar) and a Secret reference has no value, so rendering is a no-op.
 */
export function sharedObjects(
  steps: readonly Step[],
  env: Environment,
  launcherImage: string = TRANSFORM_LAUNCHER_IMAGE,
): SharedObjects {
  const refs = new Map<string, { env: string; secret: string; key: string }>();
  for (const s of steps)
    for (const e of s.secretEnv)
      refs.set(JSON.stringify([e.name, e.secret, e.key]), { env: e.name, secret: e.secret, key: e.key });
  // The artifact containers' credentials (artifacts.ts), when a step has artifacts.
  if (steps.some((s) => s.inputs.artifacts.length + s.outputs.artifacts.length > 0)) {
    for (const e of artifactCredentials(env)) refs.set(JSON.stringify([e.env, e.secret, e.key]), e);
  }
  // Numbered in sorted order; the value beside each says which Secret key it reads.
  const byRef = new Map<string, string>();
  const statements: PyStmt[] = [...refs]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([ref, { env, secret, key }], i) => {
      const target = `_dfp_secret_env_${i + 1}`;
      byRef.set(ref, target);
      return {
        kind: 'assign',
        target,
        value: call(k8s('V1EnvVar'), [], {
          name: t(env),
          value_from: call(k8s('V1EnvVarSource'), [], {
            secret_key_ref: call(k8s('V1SecretKeySelector'), [], { name: lit(secret), key: lit(key) }),
          }),
        }),
      };
    });
  const security = sharedSecurity(steps);
  return {
    names: [...byRef.values(), ...security.names],
    statements: [...statements, ...security.statements],
    secretEnv: (env, secret, key) => byRef.get(JSON.stringify([env, secret, key]))!,
    launcherImage,
  };
}

function sharedSecurity(steps: readonly Step[]): { names: string[]; statements: PyStmt[] } {
  const pods = new Map<string, { user: number; group: number }>();
  for (const s of steps) {
    if (s.security.profile === 'restricted')
      pods.set(podSecurityName(s.security.runAsUser, s.security.runAsGroup), {
        user: s.security.runAsUser,
        group: s.security.runAsGroup,
      });
  }
  if (pods.size === 0) return { names: [], statements: [] };
  const sorted = [...pods].sort(([a], [b]) => (a < b ? -1 : 1));
  const statements: PyStmt[] = sorted.map(([target, { user, group }]) => ({
    kind: 'assign',
    target,
    value: call(k8s('V1PodSecurityContext'), [], {
      run_as_non_root: lit(true),
      run_as_user: lit(user),
      run_as_group: lit(group),
      seccomp_profile: call(k8s('V1SeccompProfile'), [], { type: lit('RuntimeDefault') }),
    }),
  }));
  statements.push({
    kind: 'assign',
    target: CONTAINER_SECURITY,
    value: call(k8s('V1SecurityContext'), [], {
      allow_privilege_escalation: lit(false),
      capabilities: call(k8s('V1Capabilities'), [], { drop: list([lit('ALL')]) }),
    }),
  });
  return { names: [...sorted.map(([target]) => target), CONTAINER_SECURITY], statements };
}

function resources(s: Step): PyExpr | undefined {
  const gpu: Record<string, string> = Object.fromEntries([
    ...(s.resources.gpu ? [[s.resources.gpu.resource, String(s.resources.gpu.count)]] : []),
    ...s.resources.devices.map((d) => [d.resource, String(d.count)]),
  ]);
  const requests: Record<string, string> = { ...s.resources.requests, ...gpu };
  const limits: Record<string, string> = { ...s.resources.limits, ...gpu };
  const quantities = (q: Record<string, string>) =>
    Object.keys(q).length
      ? dict(
          Object.entries(q)
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([k, v]) => [lit(k), t(v)]),
        )
      : undefined;
  if (!quantities(requests) && !quantities(limits)) return undefined;
  return call(k8s('V1ResourceRequirements'), [], { requests: quantities(requests), limits: quantities(limits) });
}

function volume(v: Volume): PyExpr {
  switch (v.source.kind) {
    case 'pvc':
      return call(k8s('V1Volume'), [], {
        name: t(v.name),
        persistent_volume_claim: call(k8s('V1PersistentVolumeClaimVolumeSource'), [], {
          claim_name: t(v.source.claimName),
          read_only: v.readOnly ? lit(true) : undefined,
        }),
      });
    case 'emptyDir':
      return call(k8s('V1Volume'), [], {
        name: t(v.name),
        empty_dir: call(k8s('V1EmptyDirVolumeSource'), [], {
          medium: opt(v.source.medium),
          size_limit: opt(v.source.sizeLimit),
        }),
      });
    case 'configMap':
      return call(k8s('V1Volume'), [], {
        name: t(v.name),
        config_map: call(k8s('V1ConfigMapVolumeSource'), [], { name: t(v.source.name) }),
      });
    case 'secret':
      return call(k8s('V1Volume'), [], {
        name: t(v.name),
        secret: call(k8s('V1SecretVolumeSource'), [], { secret_name: lit(v.source.secretName) }),
      });
    case 'hostDevice':
      return call(k8s('V1Volume'), [], {
        name: t(v.name),
        host_path: call(k8s('V1HostPathVolumeSource'), [], { path: lit(v.source.path), type: lit('CharDevice') }),
      });
  }
}
