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
import type { Condition, ComparisonOp, Source, Step } from '../../constructs/model/schema.ts';
import { outputArtifactPath } from './runtime.ts';

/** The stand-in of a privileged step runs restricted, as the model's default user (targets read only the model). */
const STAND_IN_USER = 1000;

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

/** Writes each (path, content) pair given as arguments, then says why (the last argument). */
const WRITER = [
  'import os, sys',
  'args = sys.argv[1:-1]',
  'for path, content in zip(args[0::2], args[1::2]):',
  '    os.makedirs(os.path.dirname(path), exist_ok=True)',
  '    open(path, "w").write(content)',
  'print(sys.argv[-1], flush=True)',
].join('\n');

/** How a condition reads in a log line: `run_android_benchmark == true`. */
function conditionText(c: Condition): string {
  const side = (x: Source): string => {
    switch (x.kind) {
      case 'pipelineParam':
        return x.name;
      case 'literal':
        return JSON.stringify(x.value);
      case 'taskOutput':
        return `${x.step}.${x.output}`;
      case 'loopItem':
        return `${x.loop} item${x.field ? `.${x.field}` : ''}`;
    }
  };
  return `${side(c.left)} ${c.op} ${side(c.right)}`;
}

/**
 * The pod that stands in for a skipped step: the artifacts image (`image`, which has Python),
 * restricted, no device, no node selector, a tenth of a core; it writes only the artifacts a
 * reader may get in the step's place.
 */
export function skippedStep(s: Step, image: string): Step {
  const skip = s.skip!;
  const lit = (value: string) => [{ kind: 'literal' as const, value }];
  const why =
    `${s.name} skipped: its run condition (${conditionText(skip.when)}) is false, so it was not run and ` +
    `nothing was scheduled for it; its readers get ${skip.artifacts.map((a) => a.name).join(', ')} saying so`;
  return {
    name: s.name,
    path: s.path,
    description: `Stands in for ${s.name} when it is skipped: ${why.slice(why.indexOf(':') + 2)}.`,
    image,
    command: [lit('python')],
    args: [
      lit('-c'),
      lit(WRITER),
      ...skip.artifacts.flatMap((a) => [lit(outputArtifactPath(a.name)), lit(a.content)]),
      lit(why),
    ],
    env: [],
    secretEnv: [],
    inputs: { parameters: [], artifacts: [] },
    outputs: {
      parameters: [],
      artifacts: s.outputs.artifacts.filter((a) => skip.artifacts.some((x) => x.name === a.name)),
    },
    resources: {
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { cpu: '100m', memory: '128Mi' },
      devices: [],
    },
    volumes: [],
    nodeSelector: {},
    tolerations: [],
    caching: false,
    ...(s.serviceAccount ? { serviceAccount: s.serviceAccount } : {}),
    security:
      s.security.profile === 'restricted'
        ? s.security
        : { profile: 'restricted', runAsUser: STAND_IN_USER, runAsGroup: STAND_IN_USER },
    dependsOn: s.dependsOn,
    ...(s.group ? { group: s.group } : {}),
  };
}
