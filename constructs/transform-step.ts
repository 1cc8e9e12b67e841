/**
 * A pipeline step that runs a {@link Transform}. The step refers to the transform by
 * name only: the engine target of each environment (spark/ or datafusion/) deploys the
 * transform as a suspended run template of that name, and the step's launcher starts a
 * copy of it for this run (SparkApplication or Job, whichever the environment's engine
 * made) and waits until it succeeds or fails. So every orchestrator renders the step as
 * an ordinary container, and switching engines changes no pipeline.
 */
import type { Construct } from 'constructs';
import type { Duration } from 'cdk8s';
import type { Arg, Comparison } from './refs.ts';
import { ContainerStep } from './step.ts';
import { Transform } from './transform.ts';
import type { RetryPolicy } from './values.ts';
import { Resources } from './values.ts';

import { TRANSFORM_LAUNCHER_IMAGE } from './model/images.ts';

/** The launcher dfp builds (dfp_tools.run_transform); pinned, as environments require. */
export { TRANSFORM_LAUNCHER_IMAGE };

/** Props of {@link TransformStep}. */
export interface TransformStepProps {
  /** The transform to run. */
  readonly transform: Transform;
  /**
   * Arguments appended to the transform's own for this run, with runtime values
   * (`pipeline.param('target_branch')`). @default none
   */
  readonly args?: readonly Arg[];
  /** The launcher image. @default {@link TRANSFORM_LAUNCHER_IMAGE} */
  readonly launcherImage?: string;
  /** Runs the whole transform again after a failure. @default no retries */
  readonly retry?: RetryPolicy;
  /** The step (and the run it waits for) is stopped after this long. @default no limit */
  readonly timeout?: Duration;
  /** The step runs only when this holds at run time. @default always */
  readonly when?: Comparison;
  /** What the step does. @default the transform's description */
  readonly description?: string;
}

/** Runs a transform as a pipeline step. Its construct id is the step's name. */
export class TransformStep extends ContainerStep {
  /** The transform this step runs. */
  public readonly transform: Transform;
  /** The props as given (`props` holds the launcher container they become). */
  public readonly transformStepProps: TransformStepProps;

  /** @param scope a pipeline or group @param id the step's name @param props the transform and this run's arguments */
  constructor(scope: Construct, id: string, props: TransformStepProps) {
    const t = props.transform;
    // Anything else (JavaScript callers, casts) is reported at this step's path when the model is built.
    const name = t instanceof Transform ? t.node.id : '(not a transform)';
    const description = props.description ?? (t instanceof Transform ? t.props.description : undefined);
    super(scope, id, {
      image: props.launcherImage ?? TRANSFORM_LAUNCHER_IMAGE,
      command: ['python', '-m', 'dfp_tools.run_transform'],
      // `--` ends the launcher's options: what follows goes to the transform unchanged.
      args: [
        '--transform',
        name,
        ...(props.timeout ? ['--timeout-seconds', props.timeout.toSeconds()] : []),
        '--',
        ...(props.args ?? []),
      ],
      // The launcher only creates and watches one object: a small, fixed footprint.
      resources: Resources.fixed('100m', '128Mi'),
      ...(props.retry ? { retry: props.retry } : {}),
      ...(props.timeout ? { timeout: props.timeout } : {}),
      ...(props.when ? { when: props.when } : {}),
      ...(description ? { description } : {}),
    });
    this.transform = t;
    this.transformStepProps = props;
  }
}
