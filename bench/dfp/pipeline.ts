/** A generated spec as dfp constructs: what a dfp user would write for the same graph. */
import type { Construct } from 'constructs';
import {
  Condition,
  ContainerStep,
  ParallelFor,
  Pipeline,
  Resources,
  ge,
  inputArtifactPath,
  outputArtifactPath,
  outputPath,
  type Arg,
  type ArtifactType,
} from '../../constructs/index.ts';
import type { ArgPiece, BenchPipeline } from '../generator/spec.ts';

/**
 * Airflow collects a step's output parameters after its command ends, so on the Airflow
 * path every step names its entrypoint; bench/python/airflow_twin.py uses the same.
 */
export const AIRFLOW_COMMAND = ['python', '-m', 'bench_step'];

export function benchPipeline(
  app: Construct,
  spec: BenchPipeline,
  options: { command?: readonly string[] } = {},
): Pipeline {
  const pipeline = new Pipeline(app, spec.name, {
    description: spec.description,
    parameters: Object.fromEntries(spec.parameters.map((p) => [p.name, { type: p.type, default: p.default }])),
  });
  const steps = new Map<string, ContainerStep>();
  const scorer = () => steps.get(spec.condition.step)!;
  let condition: Condition | undefined;
  let loop: ParallelFor | undefined;

  for (const s of spec.steps) {
    // Groups are created when their first step is, after the root steps they read from.
    const scope =
      s.group === 'root'
        ? pipeline
        : s.group === 'condition'
          ? (condition ??= new Condition(pipeline, spec.condition.name, {
              when: ge(scorer().output('score'), pipeline.param(spec.condition.param)),
            }))
          : (loop ??= new ParallelFor(pipeline, spec.loop.name, { items: [...spec.loop.items] }));
    const arg = (piece: ArgPiece): Arg => {
      switch (piece.kind) {
        case 'text':
          return piece.value;
        case 'param':
          return pipeline.param(piece.name);
        case 'inputPath':
          return inputArtifactPath(piece.name);
        case 'outputPath':
          return outputArtifactPath(piece.name);
        case 'scorePath':
          return outputPath('score');
        case 'item':
          return loop!.item();
      }
    };
    steps.set(
      s.name,
      new ContainerStep(scope, s.name, {
        image: spec.image,
        ...(options.command ? { command: [...options.command] } : {}),
        args: s.args.map(arg),
        inputArtifacts: Object.fromEntries(s.inputs.map((a) => [a.name, steps.get(a.step)!.artifact(a.output)])),
        outputArtifacts: Object.fromEntries(s.outputs.map((a): [string, ArtifactType] => [a.name, a.type])),
        ...(s.score ? { outputs: { score: 'float' as const } } : {}),
        ...(s.secret ? { secretEnv: { [spec.secret.env]: { secret: spec.secret.secret, key: spec.secret.key } } } : {}),
        resources: Resources.fixed(s.cpu, s.memory),
      }),
    );
  }
  return pipeline;
}
