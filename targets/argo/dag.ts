/**
 * The pipeline's graph as Argo DAG templates: one for the root and one per condition or
 * loop group. A group becomes a task of its parent's DAG; dependencies that cross a
 * group's edge are lifted to the group's task, and values made outside a group enter
 * it as input parameters.
 */
import type { IDAGTask } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/DAGTask';
import type { ITemplate } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/Template';
import { artifactInputName, inputNameFor, PipelineGraph, type ArtifactSource } from '../../constructs/model/graph.ts';
import type { Group, Pipeline, Source, Step } from '../../constructs/model/schema.ts';
import { jsonType } from '../../constructs/model/scope.ts';
import { literal, sourceRef, whenText } from './expressions.ts';

export class DagBuilder {
  private readonly graph: PipelineGraph;

  constructor(private readonly p: Pipeline) {
    this.graph = PipelineGraph.of(p);
  }

  /** The root DAG template (named after the pipeline) and one per group, in model order. */
  public templates(): ITemplate[] {
    const out = [this.dagTemplate(undefined)];
    this.graph.walk({ group: (g) => out.push(this.dagTemplate(g)) });
    return out;
  }

  private dagTemplate(group: Group | undefined): ITemplate {
    const level = group?.name;
    const { steps, groups } = this.graph.members(level);
    const tasks = [...steps.map((s) => this.stepTask(s, level)), ...groups.map((g) => this.groupTask(g, level))];
    const params = group ? this.graph.valuesEntering(group.name).map((s) => ({ name: inputNameFor(s) })) : [];
    const artifacts = group
      ? this.graph.artifactsEntering(group.name).map((a) => ({ name: artifactInputName(a) }))
      : [];
    return {
      name: group?.name ?? this.p.name,
      inputs: this.args(params, artifacts),
      parallelism: group?.kind === 'loop' ? group.parallelism : undefined,
      dag: { tasks },
    } as ITemplate;
  }

  private stepTask(s: Step, level: string | undefined): IDAGTask {
    return {
      name: s.name,
      template: s.name,
      dependencies: this.members(s.dependsOn, level, s.name),
      arguments: this.args(
        s.inputs.parameters.map((i) => ({ name: i.name, value: sourceRef(this.p, s.path, i.source, level) })),
        // An artifact of a step that may be skipped is optional: when the producer was
        // skipped Argo drops the argument and the template's own raw content is read instead.
        s.inputs.artifacts.map((a) => ({
          name: a.name,
          from: this.artifactRef(a.source, level),
          optional: skippedContent(this.p, a.source) !== undefined || undefined,
        })),
      ),
      when: this.stepWhen(s, level),
    } as IDAGTask;
  }

  /** The task's `when`: the step's own, and the condition under which a skippable step runs. */
  private stepWhen(s: Step, level: string | undefined): string | undefined {
    const texts = [s.when, s.skip?.when].flatMap((c) =>
      c ? [whenText(this.p, s.path, c, level, (src) => this.typeOf(src))] : [],
    );
    return texts.length > 1 ? texts.map((t) => `(${t})`).join(' && ') : texts[0];
  }

  private groupTask(g: Group, level: string | undefined): IDAGTask {
    const loop = g.kind === 'loop' ? g.name : undefined;
    const external = this.graph.valuesEntering(g.name);
    const ownSources = g.kind === 'condition' ? [g.condition.left, g.condition.right] : [g.items];
    const deps = [
      ...this.graph.stepsWithin(g.name).flatMap((s) => s.dependsOn),
      ...ownSources.flatMap((src) => (src.kind === 'taskOutput' ? [src.step] : [])),
    ];
    const task: IDAGTask = {
      name: g.name,
      template: g.name,
      dependencies: this.members(deps, level, g.name),
      arguments: this.args(
        external.map((src) => ({ name: inputNameFor(src), value: sourceRef(this.p, g.path, src, level, loop) })),
        this.graph
          .artifactsEntering(g.name)
          .map((a) => ({ name: artifactInputName(a), from: this.artifactRef(a, level) })),
      ),
    } as IDAGTask;
    if (g.kind === 'condition') task.when = whenText(this.p, g.path, g.condition, level, (src) => this.typeOf(src));
    else if (g.items.kind === 'literal')
      task.withItems = (g.items.value as unknown[]).map((v) =>
        typeof v === 'string' ? literal(g.path, 'items', v) : JSON.parse(literal(g.path, 'items', JSON.stringify(v))),
      );
    else task.withParam = sourceRef(this.p, g.path, g.items, level);
    return task;
  }

  /** Maps step names to the members of `level` that contain them, minus `self`. */
  private members(names: readonly string[], level: string | undefined, self: string): string[] | undefined {
    const out = new Set<string>();
    for (const name of names) {
      const member = this.graph.memberAt(level, name);
      if (member && member !== self) out.add(member);
    }
    return out.size ? [...out].sort() : undefined;
  }

  private artifactRef(source: ArtifactSource, level: string | undefined): string {
    const producer = this.graph.step(source.step);
    return producer?.group === level
      ? `{{tasks.${source.step}.outputs.artifacts.${source.output}}}`
      : `{{inputs.artifacts.${artifactInputName(source)}}}`;
  }

  private typeOf(src: Source): string {
    switch (src.kind) {
      case 'literal':
        return jsonType(src.value);
      case 'pipelineParam':
        return this.p.parameters.find((x) => x.name === src.name)?.type ?? 'string';
      case 'taskOutput':
        return this.graph.step(src.step)?.outputs.parameters.find((o) => o.name === src.output)?.type ?? 'string';
      case 'loopItem':
        return 'string';
    }
  }

  private args<P, A>(parameters: P[], artifacts: A[]) {
    if (!parameters.length && !artifacts.length) return undefined;
    return {
      parameters: parameters.length ? parameters : undefined,
      artifacts: artifacts.length ? artifacts : undefined,
    };
  }
}

/** What a reader of `source` gets when its producer was skipped (model `skip`), if it may be. */
export function skippedContent(p: Pipeline, source: ArtifactSource): string | undefined {
  return PipelineGraph.of(p)
    .step(source.step)
    ?.skip?.artifacts.find((a) => a.name === source.output)?.content;
}
