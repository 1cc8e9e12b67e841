/**
 * What the builder knows about one pipeline while it builds it: its parameters, steps
 * and groups, and how a reference to any of them becomes a model Source.
 */
import type { IConstruct } from 'constructs';
import { Condition as ConditionGroup, ParallelFor } from '../groups.ts';
import { Pipeline } from '../pipeline.ts';
import { ContainerStep } from '../step.ts';
import {
  ArtifactRef,
  LoopItemRef,
  OutputRef,
  ParamRef,
  type ArtifactType,
  type JsonValue,
  type ParamType,
  type PathPlaceholder,
} from '../refs.ts';
import type { LineagePins } from '../lineage.ts';
import { describeValue, type Problems } from './errors.ts';
import type { Source } from './schema.ts';

export class PipelineScope {
  private byName?: { steps: Map<string, ContainerStep>; loops: Map<string, ParallelFor> };

  /**
   * @param pipeline the pipeline being built
   * @param problems where problems are reported
   * @param pins the data-plane facts lineage declarations refer to (locked commits, the Feast digest)
   */
  constructor(
    public readonly pipeline: Pipeline,
    public readonly problems: Problems,
    public readonly pins: LineagePins,
  ) {}

  /**
   * The pipeline's steps and loops by name (the first of a duplicated name, which is
   * reported elsewhere), collected once: every argument that reads a loop item or an
   * output used to walk the whole pipeline tree again.
   */
  private index(): { steps: Map<string, ContainerStep>; loops: Map<string, ParallelFor> } {
    if (!this.byName) {
      const steps = new Map<string, ContainerStep>();
      const loops = new Map<string, ParallelFor>();
      for (const c of this.pipeline.node.findAll()) {
        if (c instanceof ContainerStep && !steps.has(c.node.id)) steps.set(c.node.id, c);
        if (c instanceof ParallelFor && !loops.has(c.node.id)) loops.set(c.node.id, c);
      }
      this.byName = { steps, loops };
    }
    return this.byName;
  }

  /** The name of `step` when it is a step of this pipeline, else '' after reporting. */
  public stepName(step: IConstruct, at?: string, field?: string): string {
    if (step instanceof ContainerStep && Pipeline.of(step) === this.pipeline) return step.node.id;
    if (at) {
      const what =
        step instanceof ContainerStep || step instanceof ConditionGroup || step instanceof ParallelFor
          ? `'${step.node.path}' of another pipeline`
          : `'${step.node.path}', which is not a step or group`;
      this.problems.add(at, `${field}: refers to ${what}; refer to a step or group of '${this.pipeline.node.id}'`);
    }
    return '';
  }

  /** The step names `c` stands for: itself if a step, every step inside it if a group. */
  public stepsOf(c: IConstruct, at: string, field: string): string[] {
    if ((c instanceof ConditionGroup || c instanceof ParallelFor) && Pipeline.of(c) === this.pipeline) {
      return c.node
        .findAll()
        .filter((x): x is ContainerStep => x instanceof ContainerStep)
        .map((x) => x.node.id);
    }
    return [this.stepName(c, at, field)];
  }

  /** The innermost condition or loop group that `c` sits in, if any. */
  public groupOf(c: IConstruct): string | undefined {
    for (let s = c.node.scope; s && s !== this.pipeline; s = s.node.scope) {
      if (s instanceof ConditionGroup || s instanceof ParallelFor) return s.node.id;
    }
    return undefined;
  }

  /** Turns a runtime value into a Source, or reports why it cannot be one. */
  public source(ref: ParamRef | OutputRef | LoopItemRef, user: IConstruct, field: string): Source | undefined {
    const at = user.node.path;
    if (ref instanceof ParamRef) {
      if (ref.pipeline !== this.pipeline) {
        this.problems.add(
          at,
          `${field}: parameter '${ref.name}' belongs to pipeline '${ref.pipeline.node.path}'; use this ` +
            `pipeline's param()`,
        );
        return undefined;
      }
      if (!this.paramSpec(ref.name)) {
        this.problems.add(
          at,
          `${field}: pipeline parameter '${ref.name}' does not exist; declare it in the pipeline's parameters ` +
            `(known: ${this.known(Object.keys(this.pipeline.props.parameters ?? {}))})`,
        );
        return undefined;
      }
      return { kind: 'pipelineParam', name: ref.name };
    }
    if (ref instanceof OutputRef) {
      const name = this.stepName(ref.step, at, field);
      if (name === '') return undefined;
      const outputs = (ref.step as ContainerStep).props.outputs ?? {};
      if (!(ref.name in outputs)) {
        this.problems.add(
          at,
          `${field}: step '${name}' has no output parameter '${ref.name}'; declare it in its outputs (known: ` +
            `${this.known(Object.keys(outputs))})`,
        );
        return undefined;
      }
      return { kind: 'taskOutput', step: name, output: ref.name };
    }
    if (!(ref instanceof LoopItemRef)) {
      // Only reachable from untyped callers (JavaScript, casts): the types allow no other value here.
      const stray: unknown = ref;
      this.problems.add(
        at,
        stray instanceof ArtifactRef
          ? `${field}: artifact '${stray.name}' has no value to compare or loop over; use an output parameter ` +
              '(step.output()) or a pipeline parameter'
          : `${field}: ${describeValue(stray)} is not a runtime value; use pipeline.param(), step.output() or ` +
              'loop.item()',
      );
      return undefined;
    }
    if (!this.isInside(user, ref.loop)) {
      this.problems.add(
        at,
        `${field}: the item of loop '${ref.loop.node.path}' is only available to steps inside that loop; move ` +
          'the step into it',
      );
      return undefined;
    }
    return { kind: 'loopItem', loop: ref.loop.node.id, ...(ref.field !== undefined ? { field: ref.field } : {}) };
  }

  /** The parameter type a Source yields. */
  public sourceType(source: Source): ParamType {
    switch (source.kind) {
      case 'literal':
        return jsonType(source.value);
      case 'pipelineParam':
        return this.paramSpec(source.name)?.type ?? 'string';
      case 'taskOutput': {
        const step = this.findStep(source.step);
        const spec = step?.props.outputs?.[source.output];
        return typeof spec === 'string' ? spec : (spec?.type ?? 'string');
      }
      case 'loopItem':
        return this.loopItemType(source.loop, source.field);
    }
  }

  /** The declared type of the artifact `ref` points at, or undefined after reporting. */
  public artifactType(ref: ArtifactRef, at: string, field: string): ArtifactType | undefined {
    const name = this.stepName(ref.step, at, field);
    if (name === '') return undefined;
    const type = (ref.step as ContainerStep).props.outputArtifacts?.[ref.name];
    if (!type) {
      const known = Object.keys((ref.step as ContainerStep).props.outputArtifacts ?? {});
      this.problems.add(
        at,
        `${field}: step '${name}' has no output artifact '${ref.name}'; declare it in its outputArtifacts ` +
          `(known: ${this.known(known)})`,
      );
    }
    return type;
  }

  /** Reports a path placeholder that names no output or input of its own step. */
  public checkPlaceholder(step: ContainerStep, placeholder: PathPlaceholder, field: string): void {
    const p = step.props;
    const declared =
      placeholder.kind === 'outputPath'
        ? Object.keys(p.outputs ?? {})
        : placeholder.kind === 'outputArtifactPath'
          ? Object.keys(p.outputArtifacts ?? {})
          : Object.keys(p.inputArtifacts ?? {});
    if (!declared.includes(placeholder.name)) {
      const where =
        placeholder.kind === 'outputPath'
          ? 'outputs'
          : placeholder.kind === 'outputArtifactPath'
            ? 'outputArtifacts'
            : 'inputArtifacts';
      this.problems.add(
        step.node.path,
        `${field}: ${placeholder.kind}('${placeholder.name}') names nothing in this step's ${where}; declare ` +
          `it there (known: ${this.known(declared)})`,
      );
    }
  }

  private paramSpec(name: string) {
    return Object.prototype.hasOwnProperty.call(this.pipeline.props.parameters ?? {}, name)
      ? this.pipeline.props.parameters?.[name]
      : undefined;
  }

  private findStep(name: string): ContainerStep | undefined {
    return this.index().steps.get(name);
  }

  private loopItemType(loopName: string, field?: string): ParamType {
    const loop = this.index().loops.get(loopName);
    const items = loop?.props.items;
    if (!Array.isArray(items) || items.length === 0) return 'string';
    const first = items[0] as JsonValue;
    if (field === undefined) return jsonType(first);
    return first !== null && typeof first === 'object' && !Array.isArray(first) && field in first
      ? jsonType(first[field] as JsonValue)
      : 'string';
  }

  private isInside(c: IConstruct, ancestor: IConstruct): boolean {
    for (let s: IConstruct | undefined = c.node.scope; s; s = s.node.scope) if (s === ancestor) return true;
    return false;
  }

  private known(names: string[]): string {
    return names.length ? names.map((n) => `'${n}'`).join(', ') : 'none';
  }
}

/** The parameter type of a JSON value. */
export function jsonType(value: JsonValue): ParamType {
  if (typeof value === 'string' || value === null) return 'string';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  return Array.isArray(value) ? 'list' : 'struct';
}
