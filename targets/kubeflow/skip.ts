/**
 * The task that stands in for a skipped step (model `skip`: the emulator benchmark's
 * `run: false`) in the `dsl.Else` branch (scopes.ts): a small restricted container that
 * writes, as its own output artifacts, what a reader of the skipped step gets in its place
 * (`skip.artifacts`), and says in its log that the step was skipped and why. The branches
 * DAG hands its readers either the step's artifact or this one (a `dsl.OneOf`). Argo skips
 * the same step with a `when` and raw artifacts, Airflow with gates and a stand-in pod of the
 * same image, program and contract (targets/airflow/skip.ts).
 */
import { TRANSFORM_LAUNCHER_IMAGE, pinImage, type ImagePins } from '../../constructs/model/images.ts';
import type { Step } from '../../constructs/model/schema.ts';
import { skipStandIn } from '../../constructs/model/stand-in.ts';

export const standInName = (step: string) => `${step}-skipped`;

/**
 * The stand-in's image: dfp's transform launcher (dfp_tools, Python), pinned as the lock
 * says, the image Airflow's stand-in runs.
 */
export const standInImage = (pins: ImagePins): string => pinImage(pins, TRANSFORM_LAUNCHER_IMAGE);

/** The stand-in of skippable step `s` (constructs/model/stand-in.ts), named apart from the step. */
export function standInStep(s: Step, image: string): Step {
  const standIn = skipStandIn(s, image, (artifact) => [{ kind: 'outputArtifactPath', name: artifact }]);
  return { ...standIn, name: standInName(s.name) };
}
