/**
 * The stand-in of a skippable step (model `skip`: the emulator benchmark's `run: false`): a
 * small restricted step that writes, as the skipped step's output artifacts, what a reader
 * gets in its place (`skip.artifacts`), and says in its log that the step was skipped and
 * why. Airflow runs it behind a skip gate (targets/airflow/skip.ts), Kubeflow in a `dsl.Else`
 * branch (targets/kubeflow/skip.ts); both share this one program and contract, and place it
 * in their own graph (name, dependencies, group).
 */
import type { Arg, Condition, Source, Step } from './schema.ts';

/** The stand-in of a privileged step runs restricted, as the model's default user. */
const STAND_IN_USER = 1000;

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
 * The stand-in of skippable step `s` in image `image` (one with Python): named as `s`, with
 * no dependencies and no group (the orchestrator places it), no inputs, no device, no node
 * selector, a tenth of a core, restricted, not cached (it is cheap, and a cached copy would
 * hide that the step was skipped in this run). `artifactPath` is how the orchestrator names
 * the file an output artifact is written to.
 */
export function skipStandIn(s: Step, image: string, artifactPath: (artifact: string) => Arg): Step {
  const skip = s.skip;
  if (!skip) throw new Error(`dfp bug: ${s.path} has no skip, so no stand-in`);
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
    args: [lit('-c'), lit(WRITER), ...skip.artifacts.flatMap((a) => [artifactPath(a.name), lit(a.content)]), lit(why)],
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
    security:
      s.security.profile === 'restricted'
        ? s.security
        : { profile: 'restricted', runAsUser: STAND_IN_USER, runAsGroup: STAND_IN_USER },
    dependsOn: [],
  };
}
