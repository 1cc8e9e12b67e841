/**
 * The Kubernetes Pod Security Standards' "restricted" profile (which includes
 * "baseline"), as of Kubernetes 1.28, checked over generic pod specs; and a finder that
 * pulls every pod spec out of a rendered object: any PodTemplate-like `{metadata, spec:
 * {containers}}` (Jobs, Deployments, CronJobs, …), bare PodSpecs, and Argo Workflows
 * container/script templates, which become pods with the workflow's pod-level settings.
 *
 * Source of the rules: https://kubernetes.io/docs/concepts/security/pod-security-standards/
 */

type Json = Record<string, any>;

/** A pod as the checker sees it, wherever it was found. */
export interface PodSubject {
  /** Where it was found: `dist/dev/android/x.yaml#spec.template`. */
  readonly name: string;
  readonly annotations: Readonly<Record<string, string>>;
  readonly spec: Json;
}

export interface Violation {
  readonly pod: string;
  /** JSON path inside the pod spec. */
  readonly path: string;
  /** The Pod Security Standards control that is broken. */
  readonly control: string;
  readonly message: string;
}

const ALLOWED_VOLUME_TYPES = [
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
];
const SAFE_SYSCTLS = [
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
];
const SELINUX_TYPES = ['', 'container_t', 'container_init_t', 'container_kvm_t'];
const SECCOMP_OK = ['RuntimeDefault', 'Localhost'];
const CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;

/** Every way `pod` breaks the restricted profile; empty when it meets it. */
export function restrictedViolations(pod: PodSubject): Violation[] {
  const out: Violation[] = [];
  const v = (path: string, control: string, message: string) => out.push({ pod: pod.name, path, control, message });
  const spec = pod.spec;
  const podSc: Json = spec.securityContext ?? {};

  for (const ns of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
    if (spec[ns] === true) v(ns, 'Host Namespaces', `${ns} must be unset or false`);
  }
  if (spec.hostUsers === false) {
    // Allowed: user namespaces make the pod less privileged, not more.
  }
  (spec.volumes ?? []).forEach((vol: Json, i: number) => {
    const type = Object.keys(vol).find((k) => k !== 'name');
    if (type === 'hostPath')
      v(`volumes[${i}].hostPath`, 'HostPath Volumes', `volume '${vol.name}' is a hostPath volume`);
    else if (!type || !ALLOWED_VOLUME_TYPES.includes(type))
      v(
        `volumes[${i}]`,
        'Volume Types',
        `volume '${vol.name}' has type '${type}', not one of ${ALLOWED_VOLUME_TYPES.join(', ')}`,
      );
  });
  (podSc.sysctls ?? []).forEach((s: Json, i: number) => {
    if (!SAFE_SYSCTLS.includes(s.name))
      v(`securityContext.sysctls[${i}]`, 'Sysctls', `sysctl '${s.name}' is not in the safe set`);
  });
  checkCommon(podSc, 'securityContext', v);
  if (podSc.runAsUser === 0) v('securityContext.runAsUser', 'Running as Non-root user', 'runAsUser must not be 0');
  for (const [key, value] of Object.entries(pod.annotations)) {
    if (
      key.startsWith('container.apparmor.security.beta.kubernetes.io/') &&
      value !== 'runtime/default' &&
      !value.startsWith('localhost/')
    ) {
      v(
        `metadata.annotations.${key}`,
        'AppArmor',
        `AppArmor profile '${value}' must be runtime/default or localhost/*`,
      );
    }
  }

  const containers = CONTAINER_LISTS.flatMap((list) =>
    ((spec[list] ?? []) as Json[]).map((c, i) => ({ c, at: `${list}[${i}]` })),
  );
  if (containers.length === 0) v('containers', 'Pod', 'the pod has no containers');
  for (const { c, at } of containers) {
    const sc: Json = c.securityContext ?? {};
    const here = `${at}.securityContext`;
    if (sc.privileged === true) v(`${here}.privileged`, 'Privileged Containers', `container '${c.name}' is privileged`);
    if (sc.allowPrivilegeEscalation !== false)
      v(
        `${here}.allowPrivilegeEscalation`,
        'Privilege Escalation',
        `container '${c.name}' must set allowPrivilegeEscalation: false`,
      );
    const drop: string[] = sc.capabilities?.drop ?? [];
    if (!drop.includes('ALL'))
      v(`${here}.capabilities.drop`, 'Capabilities', `container '${c.name}' must drop ALL capabilities`);
    for (const cap of sc.capabilities?.add ?? []) {
      if (cap !== 'NET_BIND_SERVICE')
        v(
          `${here}.capabilities.add`,
          'Capabilities',
          `container '${c.name}' adds capability '${cap}'; only NET_BIND_SERVICE may be added`,
        );
    }
    if (sc.procMount !== undefined && sc.procMount !== 'Default')
      v(`${here}.procMount`, '/proc Mount Type', `container '${c.name}' must use the Default /proc mount`);
    checkCommon(sc, here, v);
    if (sc.runAsUser === 0)
      v(`${here}.runAsUser`, 'Running as Non-root user', `container '${c.name}' must not run as uid 0`);
    if (sc.runAsNonRoot === false)
      v(`${here}.runAsNonRoot`, 'Running as Non-root', `container '${c.name}' sets runAsNonRoot: false`);
    else if (podSc.runAsNonRoot !== true && sc.runAsNonRoot !== true)
      v(
        `${here}.runAsNonRoot`,
        'Running as Non-root',
        `container '${c.name}' must run with runAsNonRoot: true (on the pod or the container)`,
      );
    const seccomp = sc.seccompProfile?.type;
    if (seccomp !== undefined && !SECCOMP_OK.includes(seccomp))
      v(
        `${here}.seccompProfile.type`,
        'Seccomp',
        `container '${c.name}' seccomp profile '${seccomp}' must be RuntimeDefault or Localhost`,
      );
    else if (seccomp === undefined && !SECCOMP_OK.includes(podSc.seccompProfile?.type))
      v(
        `${here}.seccompProfile`,
        'Seccomp',
        `container '${c.name}' has no RuntimeDefault or Localhost seccomp profile (on the pod or the container)`,
      );
    (c.ports ?? []).forEach((p: Json, i: number) => {
      if (p.hostPort !== undefined && p.hostPort !== 0)
        v(`${at}.ports[${i}].hostPort`, 'Host Ports', `container '${c.name}' uses host port ${p.hostPort}`);
    });
  }
  if (podSc.seccompProfile?.type !== undefined && !SECCOMP_OK.includes(podSc.seccompProfile.type)) {
    v(
      'securityContext.seccompProfile.type',
      'Seccomp',
      `pod seccomp profile '${podSc.seccompProfile.type}' must be RuntimeDefault or Localhost`,
    );
  }
  return out;
}

/** SELinux and Windows HostProcess: the same on pod and container security contexts. */
function checkCommon(sc: Json, at: string, v: (path: string, control: string, message: string) => void): void {
  const se = sc.seLinuxOptions;
  if (se && (!SELINUX_TYPES.includes(se.type ?? '') || se.user !== undefined || se.role !== undefined)) {
    v(
      `${at}.seLinuxOptions`,
      'SELinux',
      'SELinux options may only set an allowed type (container_t, container_init_t, container_kvm_t)',
    );
  }
  if (sc.windowsOptions?.hostProcess === true)
    v(`${at}.windowsOptions.hostProcess`, 'HostProcess', 'Windows HostProcess containers are not allowed');
}

const ARGO_WORKFLOW_KINDS = ['Workflow', 'WorkflowTemplate', 'ClusterWorkflowTemplate'];

/** Every pod that `object` would create, with the annotations its pods get. */
export function podsIn(name: string, object: Json): PodSubject[] {
  if (object && ARGO_WORKFLOW_KINDS.includes(object.kind)) return argoPods(name, object.spec ?? {}, 'spec');
  if (object?.kind === 'CronWorkflow') return argoPods(name, object.spec?.workflowSpec ?? {}, 'spec.workflowSpec');
  if (object?.kind === 'SparkApplication') return sparkPods(name, object.spec ?? {});
  const found: PodSubject[] = [];
  const walk = (node: unknown, path: string, annotations: Record<string, string>): void => {
    if (Array.isArray(node)) return node.forEach((x, i) => walk(x, `${path}[${i}]`, annotations));
    if (!node || typeof node !== 'object') return;
    const o = node as Json;
    if (Array.isArray(o.containers)) {
      found.push({ name: `${name}#${path || '.'}`, annotations, spec: o });
      return;
    }
    for (const [k, child] of Object.entries(o)) {
      // A pod template's annotations sit beside its spec.
      const next =
        k === 'spec' && o.metadata?.annotations ? { ...o.metadata.annotations } : k === 'spec' ? {} : annotations;
      walk(child, path ? `${path}.${k}` : k, next);
    }
  };
  walk(object, '', {});
  return found;
}

/**
 * The Spark Operator builds a driver pod and executor pods from `spec.driver` and
 * `spec.executor`: pod-level settings in `podSecurityContext`, the Spark container's in
 * `securityContext`, plus any init containers and sidecars, and the application's volumes.
 */
function sparkPods(name: string, spec: Json): PodSubject[] {
  return (['driver', 'executor'] as const)
    .filter((role) => spec[role])
    .map((role) => {
      const p: Json = spec[role];
      return {
        name: `${name}#spec.${role}`,
        annotations: { ...p.annotations },
        spec: {
          securityContext: p.podSecurityContext,
          hostNetwork: p.hostNetwork,
          volumes: spec.volumes,
          initContainers: p.initContainers,
          containers: [{ name: `spark-kubernetes-${role}`, securityContext: p.securityContext }, ...(p.sidecars ?? [])],
        },
      };
    });
}

/** Argo runs each container or script template as a pod, with the workflow's pod-level settings. */
function argoPods(name: string, spec: Json, at: string): PodSubject[] {
  return ((spec.templates ?? []) as Json[]).flatMap((t, i) => {
    const main = t.container ?? t.script;
    if (!main && !t.containerSet) return [];
    const containers = [...(main ? [main] : []), ...(t.containerSet?.containers ?? []), ...(t.sidecars ?? [])];
    return [
      {
        name: `${name}#${at}.templates[${i}] (${t.name})`,
        annotations: { ...spec.podMetadata?.annotations, ...t.metadata?.annotations },
        spec: {
          securityContext: t.securityContext ?? spec.securityContext,
          containers,
          initContainers: t.initContainers,
          volumes: [...(spec.volumes ?? []), ...(t.volumes ?? [])],
          hostNetwork: t.hostNetwork ?? spec.hostNetwork,
        },
      },
    ];
  });
}

/** The annotations that declare a pod a privileged exception. */
export const EXCEPTION = {
  profile: 'dfp.dev/pod-security',
  reason: 'dfp.dev/pod-security-reason',
  source: 'dfp.dev/source',
} as const;
