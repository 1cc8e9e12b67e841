/**
 * A step that may skip itself (model `skip`: the emulator benchmark's `run: false`), rendered
 * as Airflow control flow, so that a skipped step schedules nothing (its pod would ask for a
 * KVM node): a gate `<step>.run` (ShortCircuitOperator, the skip condition) before the step,
 * and, when the condition is false, a gate `<step>.skip` (the negated condition) before a
 * small pod `<step>.skipped` that writes, as the step's own output artifacts (same keys in
 * the artifact repository), what a reader of a skipped step gets (`skip.artifacts`), and says
 * in its log that the step was skipped and why. Readers wait for both; with the DAG's
 * `none_failed` they run after whichever ran. Argo skips the same way with a `when` and raw
 * artifacts (targets/argo/dag.ts); the step contract (a reader reads its input at its path)
 * is the same on every orchestrator.
 */
import type { Condition, ComparisonOp, Step } from '../../constructs/model/schema.ts';
import { skipStandIn } from '../../constructs/model/stand-in.ts';
import { outputArtifactPath } from './runtime.ts';

export const runGateId = (step: string) => `${step}.run`;
export const skipGateId = (step: string) => `${step}.skip`;
export const skippedTaskId = (step: string) => `${step}.skipped`;

const NEGATED: Record<ComparisonOp, ComparisonOp> = {
  '==': '!=',
  '!=': '==',
  '<': '>=',
  '<=': '>',
  '>': '<=',
  '>=': '<',
};

/** The condition under which a skippable step is skipped. */
export function negated(c: Condition): Condition {
  return { ...c, op: NEGATED[c.op] };
}

/**
 * The pod that stands in for a skipped step: the artifacts image (`image`, which has Python),
 * restricted, no device, no node selector, a tenth of a core; it writes only the artifacts a
 * reader may get in the step's place.
 */
export function skippedStep(s: Step, image: string): Step {
  const standIn = skipStandIn(s, image, (artifact) => [{ kind: 'literal', value: outputArtifactPath(artifact) }]);
  return {
    ...standIn,
    ...(s.serviceAccount ? { serviceAccount: s.serviceAccount } : {}),
    dependsOn: s.dependsOn,
    ...(s.group ? { group: s.group } : {}),
  };
}
