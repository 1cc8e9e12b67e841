/**
 * A model pipeline as a KFP PipelineSpec plus its Kubernetes platform spec: one
 * component and executor per step (and per stand-in of a skippable step, skip.ts), and
 * one DAG component per nested scope (exit handler, condition, loop, the branches of a
 * skippable step), wired by Channels.
 */
import { PipelineGraph } from '../../constructs/model/graph.ts';
import type { ImagePins } from '../../constructs/model/images.ts';
import type { Pipeline, Source, Step } from '../../constructs/model/schema.ts';
import { jsonType } from '../../constructs/model/scope.ts';
import { RenderError } from '../types.ts';
import { Channels, artifactChannel, channelName } from './channels.ts';
import { conditionText } from './condition.ts';
import { containerSpec } from './executor.ts';
import {
  PARAMETER_TYPE,
  artifactTypeSchema,
  type ArtifactTypeSchema,
  type ComponentSpec,
  type DagOutputs,
  type InputDefinitions,
  type OutputDefinitions,
  type ParameterSpec,
  type PipelineSpec,
  type PipelineTask,
  type PlatformSpec,
} from './ir.ts';
import { kubernetesConfig } from './platform.ts';
import { EXIT_SCOPE, ROOT, Scopes, type Scope } from './scopes.ts';
import { standInImage, standInStep } from './skip.ts';

/** Written into `sdkVersion`; KFP shows it, nothing parses it. */
export const SDK_VERSION = 'dfp';

const record = <T>(entries: [string, T][]): Record<string, T> | undefined =>
  entries.length ? Object.fromEntries(entries) : undefined;

export interface CompiledPipeline {
  pipelineSpec: PipelineSpec;
  platformSpec?: PlatformSpec;
}

/** `pins`: the lock's image digests (model.imagePins), for the stand-ins' image, which the target adds itself. */
export function compilePipeline(p: Pipeline, pins: ImagePins = {}): CompiledPipeline {
  return new Compiler(p, pins).compile();
}

class Compiler {
  private readonly scopes: Scopes;
  private readonly channels: Channels;
  private readonly typeOf: ReturnType<typeof Channels.modelTyper>;
  private readonly allSteps: Step[];

  constructor(
    private readonly p: Pipeline,
    pins: ImagePins,
  ) {
    this.scopes = new Scopes(p);
    this.typeOf = Channels.modelTyper(p);
    this.channels = new Channels(p, this.scopes, this.typeOf);
    const graph = PipelineGraph.of(p);
    const image = standInImage(pins);
    const standIns = this.scopes.skipBranches().map((b) => standInStep(graph.step(b.step)!, image));
    this.allSteps = [...p.steps, ...standIns, ...(p.exitHandler ? [p.exitHandler] : [])];
  }

  public compile(): CompiledPipeline {
    const components: Record<string, ComponentSpec> = {};
    const executors: PipelineSpec['deploymentSpec']['executors'] = {};
    const platform: Record<string, Record<string, unknown>> = {};
    for (const s of this.allSteps) {
      components[`comp-${s.name}`] = {
        executorLabel: `exec-${s.name}`,
        inputDefinitions: stepInputs(s),
        outputDefinitions: stepOutputs(s),
      };
      executors[`exec-${s.name}`] = { container: containerSpec(s) };
      const k8s = kubernetesConfig(s);
      if (k8s) platform[`exec-${s.name}`] = k8s;
    }
    // Tasks first (they register channels), then the DAG components that declare them;
    // innermost scopes last so a child's needs reach its parent's task before that is read.
    const tasks = new Map<string, Record<string, PipelineTask>>();
    for (const scope of [this.scopes.get(ROOT), ...this.scopes.nested()]) tasks.set(scope.id, {});
    for (const s of this.allSteps) tasks.get(this.scopes.ofStep(s.name))![s.name] = this.stepTask(s);
    const nested = this.scopes.nested();
    for (const scope of [...nested].reverse()) tasks.get(scope.parent!)![scope.id] = this.scopeTask(scope);
    for (const scope of nested) {
      // The scope task was built before grandchildren registered their needs: rebuild inputs.
      tasks.get(scope.parent!)![scope.id]!.inputs = this.channels.taskInputs(scope.id);
      const outputs = this.scopeOutputs(scope);
      components[`comp-${scope.id}`] = {
        dag: { outputs: outputs?.dag, tasks: tasks.get(scope.id)! },
        inputDefinitions: this.channels.inputDefinitions(scope.id),
        outputDefinitions: outputs?.definitions,
      };
    }
    const pipelineSpec: PipelineSpec = {
      pipelineInfo: { name: this.p.name, description: this.p.description || undefined },
      root: { dag: { tasks: tasks.get(ROOT)! }, inputDefinitions: this.rootInputs() },
      components,
      deploymentSpec: { executors },
      schemaVersion: '2.1.0',
      sdkVersion: SDK_VERSION,
    };
    const platformSpec = Object.keys(platform).length
      ? { platforms: { kubernetes: { deploymentSpec: { executors: platform } } } }
      : undefined;
    return { pipelineSpec, platformSpec };
  }

  private stepTask(s: Step): PipelineTask {
    const scope = this.scopes.ofStep(s.name);
    const parameters = s.inputs.parameters.map((i): [string, ReturnType<Channels['parameter']>] => [
      i.name,
      this.channels.parameter(i.source, scope, s.path),
    ]);
    const artifacts = s.inputs.artifacts.map((a): [string, ReturnType<Channels['artifact']>] => [
      a.name,
      this.channels.artifact({ ...a.source, type: a.type }, scope, s.path),
    ]);
    const isExit = s === this.p.exitHandler;
    const r = s.retry;
    return {
      taskInfo: { name: s.name },
      componentRef: { name: `comp-${s.name}` },
      inputs:
        parameters.length || artifacts.length
          ? { parameters: record(parameters), artifacts: record(artifacts) }
          : undefined,
      dependentTasks: isExit ? [EXIT_SCOPE] : this.dependencies(s.dependsOn, scope, s.name, s.path),
      cachingOptions: s.caching ? { enableCache: true } : {},
      triggerPolicy: isExit ? { strategy: 'ALL_UPSTREAM_TASKS_COMPLETED' } : undefined,
      retryPolicy: r
        ? {
            maxRetryCount: r.limit,
            backoffDuration: `${r.backoffSeconds}s`,
            backoffFactor: r.backoffFactor,
            backoffMaxDuration: `${r.maxBackoffSeconds}s`,
          }
        : undefined,
    };
  }

  private scopeTask(scope: Scope): PipelineTask {
    const parent = scope.parent!;
    const task: PipelineTask = { taskInfo: { name: scope.id }, componentRef: { name: `comp-${scope.id}` } };
    const producers: string[] = this.scopes.stepsWithin(scope.id).flatMap((s) => s.dependsOn);
    const operandProducer = (src: Source) => (src.kind === 'taskOutput' ? [src.step] : []);
    if (scope.kind === 'condition') {
      const c = scope.condition!;
      producers.push(...operandProducer(c.left), ...operandProducer(c.right));
      // Each operand becomes an input of the condition DAG's own task.
      const text = conditionText(scope.path, c, (src) => {
        const arg = this.channels.parameter(src, scope.id, scope.path);
        return {
          name: 'componentInputParameter' in arg ? arg.componentInputParameter : channelName(src),
          type: this.typeOf(src),
        };
      });
      // A `dsl.Else` branch: the negation of its `dsl.If`'s condition, written as kfp writes it.
      task.triggerPolicy = { condition: scope.negated ? `!(${text})` : text };
    }
    if (scope.kind === 'loop') {
      const items = scope.items!;
      producers.push(...operandProducer(items));
      const itemInput = channelName({ kind: 'loopItem', loop: scope.id });
      const itemType =
        items.kind === 'literal' && Array.isArray(items.value) && items.value.length
          ? PARAMETER_TYPE[jsonType(items.value[0]!)]
          : 'STRING';
      this.channels.declareItem(scope.id, itemInput, itemType);
      if (items.kind === 'literal') {
        task.parameterIterator = { itemInput, items: { raw: JSON.stringify(items.value) } };
      } else {
        const arg = this.channels.parameter(items, scope.id, scope.path);
        if (!('componentInputParameter' in arg)) throw new Error('dfp bug: loop items must arrive as an input');
        task.parameterIterator = { itemInput, items: { inputParameter: arg.componentInputParameter } };
      }
      if (scope.parallelism !== undefined) task.iteratorPolicy = { parallelismLimit: scope.parallelism };
    }
    task.dependentTasks = this.dependencies(producers, parent, scope.id, scope.path);
    return task;
  }

  /**
   * What leaves the DAG of a skippable step's scopes: each artifact with skipped content,
   * from the step (its `dsl.If` branch), from the stand-in (its `dsl.Else` branch), and from
   * whichever of the two ran (the branches DAG: a `dsl.OneOf`, read by the step's readers).
   */
  private scopeOutputs(scope: Scope): { dag: DagOutputs; definitions: OutputDefinitions } | undefined {
    const b = this.scopes.skipBranches().find((x) => [x.branches, x.run, x.skip].includes(scope.id));
    if (!b) return undefined;
    const step = PipelineGraph.of(this.p).step(b.step)!;
    const dag: DagOutputs = { artifacts: {} };
    const definitions: Required<Pick<OutputDefinitions, 'artifacts'>> = { artifacts: {} };
    for (const output of b.artifacts) {
      const type = step.outputs.artifacts.find((a) => a.name === output)!.type;
      const fromStep = artifactChannel({ step: b.step, output, type });
      const fromStandIn = artifactChannel({ step: b.standIn, output, type });
      const [name, artifactSelectors] =
        scope.id === b.run
          ? [fromStep, [{ producerSubtask: b.step, outputArtifactKey: output }]]
          : scope.id === b.skip
            ? [fromStandIn, [{ producerSubtask: b.standIn, outputArtifactKey: output }]]
            : [
                fromStep,
                [
                  { producerSubtask: b.run, outputArtifactKey: fromStep },
                  { producerSubtask: b.skip, outputArtifactKey: fromStandIn },
                ],
              ];
      dag.artifacts[name] = { artifactSelectors };
      definitions.artifacts[name] = { artifactType: artifactTypeSchema(type) };
    }
    return { dag, definitions };
  }

  /**
   * The members of `scope` that hold the given steps, minus `self`. KFP refuses a task
   * that waits for a step under a condition it is not itself under (the condition may
   * skip it), so that is an error here too.
   */
  private dependencies(steps: readonly string[], scope: string, self: string, at: string): string[] | undefined {
    const out = new Set<string>();
    for (const step of steps) {
      if (!this.allSteps.some((s) => s.name === step)) continue;
      const member = this.scopes.memberFor(scope, step);
      if (member === undefined || member === self) continue;
      const gate = this.scopes.conditionsBetween(scope, step)[0];
      if (gate) {
        throw new RenderError(
          at,
          `runs after '${step}', which runs only when a condition holds (${gate.path}); Kubeflow cannot wait ` +
            `for a task that may be skipped. Move this step under the same condition, or make '${step}' ` +
            'unconditional',
        );
      }
      out.add(member);
    }
    return out.size ? [...out].sort() : undefined;
  }

  private rootInputs(): InputDefinitions | undefined {
    const parameters = this.p.parameters.map((x): [string, NonNullable<InputDefinitions['parameters']>[string]] => [
      x.name,
      {
        parameterType: PARAMETER_TYPE[x.type],
        defaultValue: x.default,
        isOptional: x.default !== undefined ? true : undefined,
        description: x.description,
      },
    ]);
    return parameters.length ? { parameters: record(parameters) } : undefined;
  }
}

/** Input or output definitions of a step's component; undefined when it has none. */
function definitions(
  parameters: readonly { name: string; type: Step['inputs']['parameters'][number]['type']; description?: string }[],
  artifacts: readonly { name: string; type: Step['inputs']['artifacts'][number]['type'] }[],
): InputDefinitions | undefined {
  const params = parameters.map((p): [string, ParameterSpec] => [
    p.name,
    { parameterType: PARAMETER_TYPE[p.type], description: p.description },
  ]);
  const arts = artifacts.map((a): [string, { artifactType: ArtifactTypeSchema }] => [
    a.name,
    { artifactType: artifactTypeSchema(a.type) },
  ]);
  return params.length || arts.length ? { parameters: record(params), artifacts: record(arts) } : undefined;
}

const stepInputs = (s: Step) => definitions(s.inputs.parameters, s.inputs.artifacts);
const stepOutputs = (s: Step): OutputDefinitions | undefined => definitions(s.outputs.parameters, s.outputs.artifacts);
