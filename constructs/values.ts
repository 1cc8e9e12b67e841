/**
 * Value objects with static factories for the props that have more than one shape.
 */
import type { TAINT_EFFECTS, TOLERATION_OPERATORS } from './model/schema.ts';

/** When a pipeline runs on its own. */
export class Schedule {
  /**
   * A five-field cron expression (`minute hour day-of-month month day-of-week`) or one of
   * `@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly`.
   * @param timezone an IANA time zone; @default 'UTC'
   */
  public static cron(expression: string, options: { readonly timezone?: string } = {}): Schedule {
    return new Schedule(expression, options.timezone ?? 'UTC');
  }

  /** Every day at `hour`:`minute` in `timezone` (@default 'UTC'). */
  public static daily(hour = 0, minute = 0, timezone = 'UTC'): Schedule {
    return new Schedule(`${minute} ${hour} * * *`, timezone);
  }

  private constructor(
    /** The cron expression. */
    public readonly expression: string,
    /** The IANA time zone the expression is read in. */
    public readonly timezone: string,
  ) {}
}

/** CPU and memory as Kubernetes quantities (`'500m'`, `'2'`, `'4Gi'`). */
export interface ComputeQuantities {
  /** CPU cores. @default none */
  readonly cpu?: string;
  /** Memory. @default none */
  readonly memory?: string;
}

/** Accelerators for a step. */
export interface GpuSpec {
  /** How many. */
  readonly count: number;
  /** The extended resource name. @default 'nvidia.com/gpu' */
  readonly resource?: string;
  /**
   * Labels of the nodes that have this accelerator, added to the step's own `nodeSelector`
   * where the environment has accelerators, and left out with the accelerator where it has
   * none (`accelerators: 'none'`).
   * @default none
   */
  readonly nodeSelector?: Readonly<Record<string, string>>;
  /**
   * Tolerations of the taints on the nodes that have this accelerator (`nvidia.com/gpu`),
   * added to the step's own where the environment has accelerators, left out where it has none.
   * @default none
   */
  readonly tolerations?: readonly Toleration[];
  /**
   * What the step asks for instead in an environment without accelerators
   * (`accelerators: 'none'`, a CPU-only staging cluster running the small smoke run): these
   * CPU and memory requests and limits, no accelerator, no accelerator node selector or
   * toleration.
   * @default none: an environment without accelerators refuses the step at synth
   */
  readonly cpuOnly?: Pick<ResourcesSpec, 'requests' | 'limits'>;
}

/** The options of {@link Resources.gpu} besides the count, CPU and memory. */
export type GpuOptions = Omit<GpuSpec, 'count'>;

/** A device-plugin resource (`devices.kubevirt.io/kvm`, `squat.ai/kvm`). */
export interface DeviceSpec {
  /** The extended resource name the device plugin advertises. */
  readonly resource: string;
  /** How many. @default 1 */
  readonly count?: number;
}

/** A step's compute resources. */
export interface ResourcesSpec {
  /** What the scheduler reserves. @default none */
  readonly requests?: ComputeQuantities;
  /** The hard ceiling. @default none */
  readonly limits?: ComputeQuantities;
  /** Accelerators; set as both request and limit, as Kubernetes requires. @default none */
  readonly gpu?: GpuSpec;
  /** Devices from device plugins; set as both request and limit. @default none */
  readonly devices?: readonly DeviceSpec[];
}

/** Common resource shapes. */
export class Resources {
  /** `cpu` and `memory` requested, with limits equal to the requests (Guaranteed QoS). */
  public static fixed(cpu: string, memory: string): ResourcesSpec {
    return { requests: { cpu, memory }, limits: { cpu, memory } };
  }

  /**
   * `count` GPUs plus the given CPU and memory (requests = limits). The last argument is the
   * extended resource name (@default 'nvidia.com/gpu'), or {@link GpuOptions}: the resource,
   * where the GPU nodes are (`nodeSelector`, `tolerations`) and what to ask for where an
   * environment has no accelerators (`cpuOnly`).
   */
  public static gpu(count: number, cpu: string, memory: string, options: string | GpuOptions = {}): ResourcesSpec {
    const o = typeof options === 'string' ? { resource: options } : options;
    return { ...Resources.fixed(cpu, memory), gpu: { ...o, count, resource: o.resource ?? 'nvidia.com/gpu' } };
  }
}

/** A value taken from a key of a Kubernetes Secret; the value itself never enters dfp. */
export interface SecretKeyRef {
  /** The Secret's name. */
  readonly secret: string;
  /** The key inside the Secret. */
  readonly key: string;
}

/** A Kubernetes toleration. */
export interface Toleration {
  /** The taint key. @default matches every key (with operator Exists) */
  readonly key?: string;
  /** @default 'Equal' */
  readonly operator?: (typeof TOLERATION_OPERATORS)[number];
  /** The taint value, with operator Equal. @default none */
  readonly value?: string;
  /** @default every effect */
  readonly effect?: (typeof TAINT_EFFECTS)[number];
}

/** How a step is retried after a failure. */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  readonly limit: number;
  /** The first back-off. @default 30 seconds */
  readonly backoffSeconds?: number;
  /** Each back-off is the previous one times this. @default 2 */
  readonly backoffFactor?: number;
  /** The longest back-off. @default 3600 seconds */
  readonly maxBackoffSeconds?: number;
}

/** A volume mounted into a step's container. */
export type VolumeMount =
  | { readonly kind: 'hostDevice'; readonly name: string; readonly path: string }
  | {
      readonly kind: 'pvc';
      readonly name: string;
      readonly claimName: string;
      readonly mountPath: string;
      readonly readOnly?: boolean;
    }
  | {
      readonly kind: 'emptyDir';
      readonly name: string;
      readonly mountPath: string;
      readonly sizeLimit?: string;
      readonly medium?: 'Memory';
    }
  | { readonly kind: 'configMap'; readonly name: string; readonly configMap: string; readonly mountPath: string }
  | { readonly kind: 'secret'; readonly name: string; readonly secret: string; readonly mountPath: string };

/** Factories for {@link VolumeMount}. */
export class Volume {
  /** A PersistentVolumeClaim, read-write unless `readOnly`. */
  public static pvc(name: string, claimName: string, mountPath: string, readOnly = false): VolumeMount {
    return { kind: 'pvc', name, claimName, mountPath, readOnly };
  }

  /** Scratch space that lives as long as the pod; `Memory` puts it in RAM. */
  public static emptyDir(
    name: string,
    mountPath: string,
    options: { sizeLimit?: string; medium?: 'Memory' } = {},
  ): VolumeMount {
    return { kind: 'emptyDir', name, mountPath, ...options };
  }

  /** The keys of a ConfigMap as files, read-only. */
  public static configMap(name: string, configMap: string, mountPath: string): VolumeMount {
    return { kind: 'configMap', name, configMap, mountPath };
  }

  /**
   * A device node of the host (`/dev/kvm`), mounted at the same path. Outside the
   * restricted Pod Security profile: the step must declare `Security.privileged(reason)`.
   */
  public static hostDevice(name: string, path: string): VolumeMount {
    return { kind: 'hostDevice', name, path };
  }

  /** The keys of a Secret as files, read-only; the values never enter dfp. */
  public static secret(name: string, secret: string, mountPath: string): VolumeMount {
    return { kind: 'secret', name, secret, mountPath };
  }
}

/** How a step's pod meets the Kubernetes Pod Security Standards. */
export type SecurityProfile =
  | { readonly profile: 'restricted'; readonly runAsUser: number; readonly runAsGroup: number }
  | { readonly profile: 'privileged'; readonly reason: string };

/** Factories for {@link SecurityProfile}. */
export class Security {
  /** The uid and gid a restricted step runs as unless it names others. */
  public static readonly DEFAULT_USER = 1000;

  /**
   * The "restricted" profile: a non-root user, no privilege escalation, all capabilities
   * dropped, the runtime's default seccomp profile. Every step gets it by default.
   * @param runAsUser @default 1000 @param runAsGroup @default 1000
   */
  public static restricted(runAsUser = Security.DEFAULT_USER, runAsGroup = Security.DEFAULT_USER): SecurityProfile {
    return { profile: 'restricted', runAsUser, runAsGroup };
  }

  /**
   * A privileged container: a declared exception to the restricted profile. `reason`
   * is rendered next to the pod and listed in docs/pod-security.md; say why nothing
   * less will do.
   */
  public static privileged(reason: string): SecurityProfile {
    return { profile: 'privileged', reason };
  }
}
