import { Construct, type IConstruct } from 'constructs';
import type { Duration } from 'cdk8s';
import { ParamRef, type JsonValue, type ParamType } from './refs.ts';
import type { Schedule } from './values.ts';

/** A typed pipeline parameter that a run can override. */
export interface ParameterSpec {
  /** The value type; checked against the default and against every consumer. */
  readonly type: ParamType;
  /** The value used when a run does not set one. @default none: every run must set it */
  readonly default?: JsonValue;
  /** Shown to people starting a run. @default none */
  readonly description?: string;
}

/** Props of {@link Pipeline}. */
export interface PipelineProps {
  /** What the pipeline does, for people browsing the orchestrator. @default '' */
  readonly description?: string;
  /** Parameters by name (`snake_case`). @default none */
  readonly parameters?: Readonly<Record<string, ParameterSpec>>;
  /** Runs the pipeline on a schedule as well as on demand. @default on demand only */
  readonly schedule?: Schedule;
  /** Labels for finding the pipeline (`team:ml`, `kronodroid`). @default none */
  readonly tags?: readonly string[];
  /** A whole run is stopped after this long. @default no limit */
  readonly timeout?: Duration;
}

/**
 * A pipeline: a graph of steps. Its construct id is its name in every orchestrator,
 * so it must be a DNS-1123 label (`kronodroid-autoencoder`).
 */
export class Pipeline extends Construct {
  /** The pipeline that `scope` belongs to, or undefined outside any pipeline. */
  public static of(scope: IConstruct): Pipeline | undefined {
    for (let s: IConstruct | undefined = scope; s; s = s.node.scope) {
      if (s instanceof Pipeline) return s;
    }
    return undefined;
  }

  /** The step that runs after every other step, whatever their outcome. */
  public exitHandler?: IConstruct;

  /** @param scope the app @param id the pipeline's name @param props its settings */
  constructor(
    scope: Construct,
    id: string,
    public readonly props: PipelineProps = {},
  ) {
    super(scope, id);
  }

  /** The pipeline's name. */
  public get name(): string {
    return this.node.id;
  }

  /** A reference to the run-time value of parameter `name`. */
  public param(name: string): ParamRef {
    return new ParamRef(this, name);
  }

  /**
   * Makes `step` the exit handler: it runs last, whether the other steps succeed or
   * fail (cleanup, notification). It may read pipeline parameters but no step outputs.
   */
  public onExit(step: IConstruct): void {
    this.exitHandler = step;
  }
}
