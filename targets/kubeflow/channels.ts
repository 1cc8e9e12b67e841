/**
 * Values crossing DAG edges. KFP passes a value made outside a nested DAG into it as a
 * named input of that DAG's component (`pipelinechannel--…`), supplied by the parent's
 * task, recursively up to where the value is made. `Channels` resolves a source for a
 * task in a given scope and records every input each nested DAG must declare and every
 * argument its task must pass.
 */
import type { ArtifactType, Pipeline, Source } from '../../constructs/model/schema.ts';
import { RenderError } from '../types.ts';
import {
  PARAMETER_TYPE,
  artifactTypeSchema,
  type ArtifactArgument,
  type InputDefinitions,
  type ParameterArgument,
  type ParameterType,
  type TaskInputs,
} from './ir.ts';
import { ROOT, type Scopes } from './scopes.ts';

const CHANNEL = 'pipelinechannel--';

/** A value read by reference: anything but a literal. */
type Reference = Exclude<Source, { kind: 'literal' }>;

export interface ArtifactSource {
  step: string;
  output: string;
  type: ArtifactType;
}

export function channelName(src: Reference): string {
  switch (src.kind) {
    case 'pipelineParam':
      return CHANNEL + src.name;
    case 'taskOutput':
      return `${CHANNEL}${src.step}-${src.output}`;
    case 'loopItem':
      return `${CHANNEL}${src.loop}-loop-item`;
  }
}

export const artifactChannel = (a: ArtifactSource): string => `${CHANNEL}${a.step}-${a.output}`;

export class Channels {
  /** Per nested scope: the inputs its component declares. */
  private readonly declared = new Map<string, Required<InputDefinitions>>();
  /** Per nested scope: the arguments its task passes. */
  private readonly passed = new Map<
    string,
    { parameters: Record<string, ParameterArgument>; artifacts: Record<string, ArtifactArgument> }
  >();

  constructor(
    private readonly p: Pipeline,
    private readonly scopes: Scopes,
    /** The type of a reference, as the model types it. */
    private readonly typeOf: (src: Reference) => ParameterType,
  ) {}

  /** The argument that gives a task in `scope` the value of `src`. `at` is blamed on failure. */
  public parameter(src: Source, scope: string, at: string): ParameterArgument {
    if (src.kind === 'literal') return { runtimeValue: { constant: src.value } };
    if (src.kind === 'pipelineParam' && scope === ROOT) return { componentInputParameter: src.name };
    if (src.kind === 'taskOutput') {
      const home = this.scopes.ofStep(src.step);
      if (home === scope) return { taskOutputParameter: { producerTask: src.step, outputParameterKey: src.output } };
      if (!this.scopes.contains(home, scope)) throw this.unreachable(at, `${src.step}.${src.output}`, home);
    }
    if (src.kind === 'loopItem') {
      if (!this.scopes.contains(src.loop, scope))
        throw new RenderError(at, `reads an item of loop '${src.loop}' outside that loop`);
      const whole: Source = { kind: 'loopItem', loop: src.loop };
      const name = channelName(whole as Reference);
      if (scope !== src.loop)
        this.need(scope, name, 'STRING', () => this.parameter(whole, this.scopes.get(scope).parent ?? ROOT, at));
      return src.field === undefined
        ? { componentInputParameter: name }
        : {
            componentInputParameter: name,
            parameterExpressionSelector: `parseJson(string_value)[${JSON.stringify(src.field)}]`,
          };
    }
    const name = channelName(src);
    this.need(scope, name, this.typeOf(src), () => this.parameter(src, this.scopes.get(scope).parent ?? ROOT, at));
    return { componentInputParameter: name };
  }

  /**
   * The argument that gives a task in `scope` an artifact made by another step. Outside the
   * branches DAG of a step that may be skipped, an artifact with skipped content is that
   * DAG's output (the OneOf of the step's and its stand-in's, scopes.ts), under the name
   * the artifact's channel has.
   */
  public artifact(a: ArtifactSource, scope: string, at: string): ArtifactArgument {
    const oneOf = this.scopes.oneOf(a.step, a.output);
    const branches = oneOf && !this.scopes.contains(oneOf.branches, scope) ? oneOf.branches : undefined;
    const home = branches ? this.scopes.get(branches).parent! : this.scopes.ofStep(a.step);
    if (home === scope) {
      return branches
        ? { taskOutputArtifact: { producerTask: branches, outputArtifactKey: artifactChannel(a) } }
        : { taskOutputArtifact: { producerTask: a.step, outputArtifactKey: a.output } };
    }
    if (!this.scopes.contains(home, scope)) throw this.unreachable(at, `artifact ${a.step}.${a.output}`, home);
    const name = artifactChannel(a);
    const decl = this.declaredFor(scope);
    if (!decl.artifacts[name]) {
      decl.artifacts[name] = { artifactType: artifactTypeSchema(a.type) };
      this.passedFor(scope).artifacts[name] = this.artifact(a, this.scopes.get(scope).parent ?? ROOT, at);
    }
    return { componentInputArtifact: name };
  }

  /** Makes `name` an input of nested `scope`, passed by its task in the parent scope. */
  public need(scope: string, name: string, type: ParameterType, fromParent: () => ParameterArgument): void {
    const decl = this.declaredFor(scope);
    if (decl.parameters[name]) return;
    decl.parameters[name] = { parameterType: type };
    this.passedFor(scope).parameters[name] = fromParent();
  }

  /** Declares an input that the scope's own iterator fills (a loop's item). */
  public declareItem(scope: string, name: string, type: ParameterType): void {
    this.declaredFor(scope).parameters[name] = { parameterType: type };
  }

  /** What the component of nested `scope` declares (undefined when nothing). */
  public inputDefinitions(scope: string): InputDefinitions | undefined {
    const d = this.declared.get(scope);
    return d ? nonEmpty({ parameters: d.parameters, artifacts: d.artifacts }) : undefined;
  }

  /** What the task of nested `scope` passes (undefined when nothing). */
  public taskInputs(scope: string): TaskInputs | undefined {
    const t = this.passed.get(scope);
    return t ? nonEmpty({ parameters: t.parameters, artifacts: t.artifacts }) : undefined;
  }

  /** The model type of a reference, as a KFP parameter type. */
  public static modelTyper(p: Pipeline): (src: Reference) => ParameterType {
    return (src) => {
      if (src.kind === 'pipelineParam') {
        const param = p.parameters.find((x) => x.name === src.name);
        return param ? PARAMETER_TYPE[param.type] : 'STRING';
      }
      if (src.kind === 'taskOutput') {
        const out = [...p.steps, ...(p.exitHandler ? [p.exitHandler] : [])]
          .find((s) => s.name === src.step)
          ?.outputs.parameters.find((o) => o.name === src.output);
        return out ? PARAMETER_TYPE[out.type] : 'STRING';
      }
      return 'STRING';
    };
  }

  private unreachable(at: string, what: string, home: string): RenderError {
    const scope = this.scopes.get(home);
    const skipped = this.scopes.skipBranches().find((b) => b.run === home);
    if (skipped) {
      return new RenderError(
        at,
        `reads ${what}, made by '${skipped.step}', which may be skipped (${scope.path}); a reader outside it ` +
          `gets only an artifact that has content for a skipped run (${skipped.artifacts.join(', ') || 'none'}). ` +
          'Read one of those instead',
      );
    }
    const where =
      scope.kind === 'condition' ? 'a condition' : scope.kind === 'loop' ? 'a loop' : 'the exit-handler group';
    return new RenderError(
      at,
      `reads ${what}, made inside ${where} (${scope.path}) that this step is not in; Kubeflow cannot pass a ` +
        'value out of it. Move the reading step into the same group, or pass the value another way',
    );
  }

  private declaredFor(scope: string): Required<InputDefinitions> {
    let d = this.declared.get(scope);
    if (!d) this.declared.set(scope, (d = { parameters: {}, artifacts: {} }));
    return d;
  }

  private passedFor(scope: string) {
    let t = this.passed.get(scope);
    if (!t) this.passed.set(scope, (t = { parameters: {}, artifacts: {} }));
    return t;
  }
}

function nonEmpty<T extends { parameters: object; artifacts: object }>(x: T): T | undefined {
  const parameters = Object.keys(x.parameters).length ? x.parameters : undefined;
  const artifacts = Object.keys(x.artifacts).length ? x.artifacts : undefined;
  return parameters || artifacts ? ({ parameters, artifacts } as T) : undefined;
}
