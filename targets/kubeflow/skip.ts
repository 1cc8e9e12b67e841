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
import type { Condition, Source, Step } from '../../constructs/model/schema.ts';

/** The stand-in of a privileged step runs restricted, as the model's default user (targets read only the model). */
const STAND_IN_USER = 1000;

export const standInName = (step: string) => `${step}-skipped`;

/**
 * The stand-in's image: dfp's transform launcher (dfp_tools, Python), pinned as the lock
 * says, the image Airflow's stand-in runs.
 */
export const standInImage = (pins: ImagePins): string => pinImage(pins, TRANSFORM_LAUNCHER_IMAGE);

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
 * The stand-in of skippable step `s`, as a model step that the executor renders like any
 * other: no inputs, no device, no node selector, a tenth of a core, restricted, not cached
 * (it is cheap, and a cached copy would hide that the step was skipped in this run).
 */
export function standInStep(s: Step, image: string): Step {
  const skip = s.skip;
  if (!skip) throw new Error(`dfp bug: ${s.path} has no skip, so no stand-in`);
  const lit = (value: string) => [{ kind: 'literal' as const, value }];
  const why =
    `${s.name} skipped: its run condition (${conditionText(skip.when)}) is false, so it was not run and ` +
    `nothing was scheduled for it; its readers get ${skip.artifacts.map((a) => a.name).join(', ')} saying so`;
  return {
    name: standInName(s.name),
    path: s.path,
    description: `Stands in for ${s.name} when it is skipped: ${why.slice(why.indexOf(':') + 2)}.`,
    image,
    command: [lit('python')],
    args: [
      lit('-c'),
      lit(WRITER),
      ...skip.artifacts.flatMap((a) => [[{ kind: 'outputArtifactPath' as const, name: a.name }], lit(a.content)]),
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
    security:
      s.security.profile === 'restricted'
        ? s.security
        : { profile: 'restricted', runAsUser: STAND_IN_USER, runAsGroup: STAND_IN_USER },
    dependsOn: [],
  };
}
