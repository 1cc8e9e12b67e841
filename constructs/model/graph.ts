/**
 * A pipeline's graph, indexed once: steps by name, the group tree, the member of a level
 * that holds a step, the steps within a group, the values and artifacts that enter a
 * group from outside, the loops around a step and the names of step inputs. Every
 * orchestrator target reads the nesting through this one walk, so none re-derives it
 * and none needs the builder or the rules.
 */
import type { Group, Pipeline, Source, Step } from './schema.ts';

/** An artifact a step reads: the producing step and its output. */
export interface ArtifactSource {
  readonly step: string;
  readonly output: string;
}

/** The name a step input gets for a run-time value; stable, readable, snake_case. */
export function inputNameFor(source: Source): string {
  const snake = (s: string) => s.replace(/-/g, '_');
  switch (source.kind) {
    case 'pipelineParam':
      return source.name;
    case 'taskOutput':
      return `${snake(source.step)}_${source.output}`;
    case 'loopItem':
      return source.field ? `${snake(source.loop)}_item_${source.field}` : `${snake(source.loop)}_item`;
    case 'literal':
      throw new Error('literals are not step inputs');
  }
}

/** The name under which an artifact made outside a group enters it. */
export const artifactInputName = (a: ArtifactSource): string => `${a.step.replace(/-/g, '_')}_${a.output}`;

/** The chain of groups a step or group sits in, innermost first (for callers without a graph). */
export function groupChain(groups: readonly Group[], innermost: string | undefined): string[] {
  const chain: string[] = [];
  for (let g = innermost; g !== undefined; g = groups.find((x) => x.name === g)?.parent) chain.push(g);
  return chain;
}

/** What a target does with each node of the walk; every callback is optional. */
export interface GraphVisitor {
  /** A condition or loop group, parents before children, in model order. */
  group?(g: Group, graph: PipelineGraph): void;
  /** A step, in model order, after every group. */
  step?(s: Step, graph: PipelineGraph): void;
}

const cache = new WeakMap<Pipeline, PipelineGraph>();

export class PipelineGraph {
  /** The graph of `p`, built once per pipeline object (models are frozen). */
  public static of(p: Pipeline): PipelineGraph {
    let g = cache.get(p);
    if (!g) {
      g = new PipelineGraph(p);
      cache.set(p, g);
    }
    return g;
  }

  private readonly stepsByName: Map<string, Step>;
  private readonly groupsByName: Map<string, Group>;
  private readonly chains = new Map<string | undefined, readonly string[]>();
  private readonly within = new Map<string, readonly Step[]>();

  private constructor(public readonly pipeline: Pipeline) {
    this.stepsByName = new Map(pipeline.steps.map((s) => [s.name, s]));
    this.groupsByName = new Map(pipeline.groups.map((g) => [g.name, g]));
  }

  /** Visits the groups (parents before children), then the steps, each in model order. */
  public walk(visitor: GraphVisitor): void {
    if (visitor.group) for (const g of this.pipeline.groups) visitor.group(g, this);
    if (visitor.step) for (const s of this.pipeline.steps) visitor.step(s, this);
  }

  /** A step of the pipeline's graph (the exit handler is not one). */
  public step(name: string): Step | undefined {
    return this.stepsByName.get(name);
  }

  public group(name: string): Group | undefined {
    return this.groupsByName.get(name);
  }

  /** The groups around `innermost` (a group name; undefined is the root), innermost first. */
  public chain(innermost: string | undefined): readonly string[] {
    let chain = this.chains.get(innermost);
    if (!chain) {
      const out: string[] = [];
      for (let g = innermost; g !== undefined; g = this.groupsByName.get(g)?.parent) out.push(g);
      chain = out;
      this.chains.set(innermost, chain);
    }
    return chain;
  }

  /** Steps and groups whose parent is `level` (undefined = the root), in model order. */
  public members(level: string | undefined): { steps: Step[]; groups: Group[] } {
    return {
      steps: this.pipeline.steps.filter((s) => s.group === level),
      groups: this.pipeline.groups.filter((g) => g.parent === level),
    };
  }

  /**
   * The member of `level` (undefined = the root) that holds step `name`: the step itself
   * or the group around it whose parent is `level`; undefined when the step is not there.
   */
  public memberAt(level: string | undefined, name: string): string | undefined {
    const step = this.stepsByName.get(name);
    if (!step) return undefined;
    if (step.group === level) return name;
    for (const g of this.chain(step.group)) if (this.groupsByName.get(g)?.parent === level) return g;
    return undefined;
  }

  /** Steps inside `group` or any group within it, in model order. */
  public stepsWithin(group: string): readonly Step[] {
    let steps = this.within.get(group);
    if (!steps) {
      steps = this.pipeline.steps.filter((s) => this.chain(s.group).includes(group));
      this.within.set(group, steps);
    }
    return steps;
  }

  /** `group` and every group nested in it, in model order. */
  public groupsWithin(group: string): Group[] {
    return this.pipeline.groups.filter((g) => this.chain(g.name).includes(group));
  }

  /** The loops around a step, innermost first. */
  public loopsAround(s: Step): string[] {
    return this.chain(s.group).filter((g) => this.groupsByName.get(g)?.kind === 'loop');
  }

  /**
   * Values that steps inside `group` (their inputs and `when`s, and nested groups'
   * conditions and items) read but that are made outside it, one per input name, sorted.
   */
  public valuesEntering(group: string): Source[] {
    const steps = this.stepsWithin(group);
    const inside = new Set(steps.map((s) => s.name));
    const nested = this.groupsWithin(group);
    const sources = [
      ...steps.flatMap((s) => [
        ...s.inputs.parameters.map((i) => i.source),
        ...(s.when ? [s.when.left, s.when.right] : []),
      ]),
      ...nested
        .filter((g) => g.name !== group)
        .flatMap((g) => (g.kind === 'condition' ? [g.condition.left, g.condition.right] : [g.items])),
    ];
    const external = sources.filter(
      (src) =>
        (src.kind === 'taskOutput' && !inside.has(src.step)) ||
        (src.kind === 'loopItem' && !nested.some((g) => g.name === src.loop && g.name !== group)),
    );
    const unique = new Map(external.map((src) => [inputNameFor(src), src]));
    return [...unique.values()].sort((a, b) => (inputNameFor(a) < inputNameFor(b) ? -1 : 1));
  }

  /** Artifacts that steps inside `group` read but that are made outside it, one per name, sorted. */
  public artifactsEntering(group: string): ArtifactSource[] {
    const steps = this.stepsWithin(group);
    const inside = new Set(steps.map((s) => s.name));
    const external = steps.flatMap((s) => s.inputs.artifacts.map((a) => a.source)).filter((a) => !inside.has(a.step));
    const unique = new Map(external.map((a) => [artifactInputName(a), a]));
    return [...unique.values()].sort((a, b) => (artifactInputName(a) < artifactInputName(b) ? -1 : 1));
  }
}
