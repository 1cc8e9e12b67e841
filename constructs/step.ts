import { Construct, type IConstruct } from 'constructs';
import type { Duration } from 'cdk8s';
import { ArtifactRef, OutputRef, type Arg, type ArtifactType, type Comparison, type ParamType } from './refs.ts';
import type { LineageProps } from './lineage.ts';
import type { ResourcesSpec, RetryPolicy, SecretKeyRef, SecurityProfile, Toleration, VolumeMount } from './values.ts';

/** An output parameter: one small value the step writes to `outputPath(name)`. */
export interface OutputSpec {
  /** The value's type. @default 'string' */
  readonly type?: ParamType;
  /** What the value means. @default none */
  readonly description?: string;
}

/** Props of {@link ContainerStep}. */
export interface ContainerStepProps {
  /** The container image. Environments may require a pinned tag or digest. */
  readonly image: string;
  /** The entrypoint. @default the image's entrypoint */
  readonly command?: readonly Arg[];
  /** Arguments; runtime values (`pipeline.param(…)`, `other.output(…)`) become step inputs. @default none */
  readonly args?: readonly Arg[];
  /** Environment variables by name. @default none */
  readonly env?: Readonly<Record<string, Arg>>;
  /** The data this step reads, as the lineage contract's env vars (`LAKEFS_REF`, …). @default none */
  readonly lineage?: LineageProps;
  /** Environment variables read from Kubernetes Secrets by name and key. @default none */
  readonly secretEnv?: Readonly<Record<string, SecretKeyRef>>;
  /** Artifacts of other steps this one reads, by local name; each implies a dependency. @default none */
  readonly inputArtifacts?: Readonly<Record<string, ArtifactRef>>;
  /** Output parameters by name (`snake_case`), or just their types. @default none */
  readonly outputs?: Readonly<Record<string, OutputSpec | ParamType>>;
  /** Output artifacts by name and type. @default none */
  readonly outputArtifacts?: Readonly<Record<string, ArtifactType>>;
  /** CPU, memory and GPU requests and limits. @default none (the namespace's defaults) */
  readonly resources?: ResourcesSpec;
  /** Volumes mounted into the container. @default none */
  readonly volumes?: readonly VolumeMount[];
  /** Node labels the pod must run on. @default none */
  readonly nodeSelector?: Readonly<Record<string, string>>;
  /** Taints the pod tolerates. @default none */
  readonly tolerations?: readonly Toleration[];
  /** Retries after a failure, with exponential back-off. @default no retries */
  readonly retry?: RetryPolicy;
  /** The step is stopped after this long. @default no limit */
  readonly timeout?: Duration;
  /**
   * Whether the orchestrator may reuse an earlier result for identical inputs. Off by
   * default because most platform steps have side effects (commits, registrations).
   * @default false
   */
  readonly caching?: boolean;
  /** The Kubernetes service account the pod runs as. @default the environment's */
  readonly serviceAccount?: string;
  /**
   * The Pod Security profile of the step's pod: restricted, or a declared privileged
   * exception. @default Security.restricted() (uid and gid 1000)
   */
  readonly security?: SecurityProfile;
  /** The step runs only when this holds at run time. @default always */
  readonly when?: Comparison;
  /** What the step does. @default none */
  readonly description?: string;
}

/** A step that can skip itself: the condition under which it runs, and what its skipped artifacts read as. */
export interface SkipSpec {
  /** The step runs only when this holds at run time. */
  readonly when: Comparison;
  /** Content a reader of each named output artifact gets when the step was skipped. */
  readonly artifacts: Readonly<Record<string, string>>;
}

/**
 * One container run as a pipeline step. Its construct id is its name, unique within the
 * pipeline and a DNS-1123 label (`train`, `lakefs-commit`).
 */
export class ContainerStep extends Construct {
  private readonly explicitDeps: IConstruct[] = [];
  /**
   * Set by a step that skips itself at run time (EmulatorBenchmarkStep's `run`): when
   * `when` is false an orchestrator that can skip a task schedules nothing, and each
   * reader of an artifact named in `artifacts` gets that content instead (model `skip`).
   */
  protected skippable?: SkipSpec;

  /** @param scope a pipeline or group @param id the step's name @param props its container */
  constructor(
    scope: Construct,
    id: string,
    public readonly props: ContainerStepProps,
  ) {
    super(scope, id);
  }

  /** The step's name. */
  public get name(): string {
    return this.node.id;
  }

  /** How the step may be skipped at run time, if it can be (see `skippable`). */
  public get skipSpec(): SkipSpec | undefined {
    return this.skippable;
  }

  /** Steps this one runs after although it consumes none of their outputs. */
  public get explicitDependencies(): readonly IConstruct[] {
    return this.explicitDeps;
  }

  /** Runs this step after `others`: steps, or groups (after every step inside them). */
  public after(...others: IConstruct[]): this {
    this.explicitDeps.push(...others);
    return this;
  }

  /** A reference to output parameter `name`; consuming it implies a dependency. */
  public output(name: string): OutputRef {
    return new OutputRef(this, name);
  }

  /** A reference to output artifact `name`, for another step's `inputArtifacts`. */
  public artifact(name: string): ArtifactRef {
    return new ArtifactRef(this, name);
  }
}
