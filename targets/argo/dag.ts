/**
 * The pipeline's graph as Argo DAG templates: one for the root and one per condition or
 * loop group. A group becomes a task of its parent's DAG; dependencies that cross a
 * group's edge are lifted to the group's task, and values made outside a group enter
 * it as input parameters.
 */
import type { IDAGTask } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/DAGTask';
import type { ITemplate } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/Template';
import { inputNameFor } from '../../constructs/model/build-step.ts';
import { groupChain } from '../../constructs/model/rules-pipeline.ts';
import type { Group, Pipeline, Source, Step } from '../../constructs/model/schema.ts';
import { jsonType } from '../../constructs/model/scope.ts';
import { literal, sourceRef, whenText } from './expressions.ts';

export class DagBuilder {
  constructor(private readonly p: Pipeline) {}

  /** The root DAG template (named after the pipeline) and one per group, in model order. */
  public templates(): ITemplate[] {
    return [this.dagTemplate(undefined), ...this.p.groups.map((g) => this.dagTemplate(g))];
  }

  private dagTemplate(group: Group | undefined): ITemplate {
    const level = group?.name;
    const steps = this.p.steps.filter((s) => s.group === level);
    const groups = this.p.groups.filter((g) => g.parent === level);
    const tasks = [...steps.map((s) => this.stepTask(s, level)), ...groups.map((g) => this.groupTask(g, level))];
    const params = group ? this.externalSources(group.name).map((s) => ({ name: inputNameFor(s) })) : [];
    const artifacts = group ? this.externalArtifacts(group.name).map((a) => ({ name: artifactInputName(a) })) : [];
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
        s.inputs.artifacts.map((a) => ({ name: a.name, from: this.artifactRef(a.source, level), optional: skippedContent(this.p, a.source) !== undefined || undefined })),
      ),
      when: this.stepWhen(s, level),
    } as IDAGTask;
  }

  /** The task's `when`: the step's own, and the condition under which a skippable step runs. */
  private stepWhen(s: Step, level: string | undefined): string | undefined {
    const texts = [s.when, s.skip?.when].flatMap((c) => (c ? [whenText(this.p, s.path, c, level, (src) => this.typeOf(src))] : []));
    return texts.length > 1 ? texts.map((t) => `(${t})`).join(' && ') : texts[0];
  }

  private groupTask(g: Group, level: string | undefined): IDAGTask {
    const loop = g.kind === 'loop' ? g.name : undefined;
    const external = this.externalSources(g.name);
    const ownSources = g.kind === 'condition' ? [g.condition.left, g.condition.right] : [g.items];
    const deps = [
      ...this.stepsWithin(g.name).flatMap((s) => s.dependsOn),
      ...ownSources.flatMap((src) => (src.kind === 'taskOutput' ? [src.step] : [])),
    ];
    const task: IDAGTask = {
      name: g.name,
      template: g.name,
      dependencies: this.members(deps, level, g.name),
      arguments: this.args(
        external.map((src) => ({ name: inputNameFor(src), value: sourceRef(this.p, g.path, src, level, loop) })),
        this.externalArtifacts(g.name).map((a) => ({ name: artifactInputName(a), from: this.artifactRef(a, level) })),
      ),
    } as IDAGTask;
    if (g.kind === 'condition') task.when = whenText(this.p, g.path, g.condition, level, (src) => this.typeOf(src));
    else if (g.items.kind === 'literal') task.withItems = (g.items.value as unknown[]).map((v) => (typeof v === 'string' ? literal(g.path, 'items', v) : JSON.parse(literal(g.path, 'items', JSON.stringify(v)))));
    else task.withParam = sourceRef(this.p, g.path, g.items, level);
    return task;
  }

  /** Maps step names to the members of `level` that contain them, minus `self`. */
  private members(names: readonly string[], level: string | undefined, self: string): string[] | undefined {
    const out = new Set<string>();
    for (const name of names) {
      const step = this.p.steps.find((s) => s.name === name);
      if (!step) continue;
      const chain = [name, ...groupChain(this.p.groups, step.group)];
      const parentOf = (n: string) => (n === name ? step.group : this.p.groups.find((g) => g.name === n)?.parent);
      const member = chain.find((n) => parentOf(n) === level);
      if (member && member !== self) out.add(member);
    }
    return out.size ? [...out].sort() : undefined;
  }

  /** Values that steps inside `group` read but that are made outside it. */
  private externalSources(group: string): Source[] {
    const inside = new Set(this.stepsWithin(group).map((s) => s.name));
    const nested = this.p.groups.filter((g) => groupChain(this.p.groups, g.name).includes(group));
    const sources = [
      ...this.stepsWithin(group).flatMap((s) => [...s.inputs.parameters.map((i) => i.source), ...(s.when ? [s.when.left, s.when.right] : [])]),
      ...nested.filter((g) => g.name !== group).flatMap((g) => (g.kind === 'condition' ? [g.condition.left, g.condition.right] : [g.items])),
    ];
    const external = sources.filter(
      (src) => (src.kind === 'taskOutput' && !inside.has(src.step)) || (src.kind === 'loopItem' && !nested.some((g) => g.name === src.loop && g.name !== group) ),
    );
    const unique = new Map(external.map((src) => [inputNameFor(src), src]));
    return [...unique.values()].sort((a, b) => (inputNameFor(a) < inputNameFor(b) ? -1 : 1));
  }

  private stepsWithin(group: string): Step[] {
    return this.p.steps.filter((s) => groupChain(this.p.groups, s.group).includes(group));
  }

  /** Artifacts that steps inside `group` read but that are made outside it. */
  private externalArtifacts(group: string): ArtifactSource[] {
    const inside = new Set(this.stepsWithin(group).map((s) => s.name));
    const external = this.stepsWithin(group).flatMap((s) => s.inputs.artifacts.map((a) => a.source)).filter((a) => !inside.has(a.step));
    const unique = new Map(external.map((a) => [artifactInputName(a), a]));
    return [...unique.values()].sort((a, b) => (artifactInputName(a) < artifactInputName(b) ? -1 : 1));
  }

  private artifactRef(source: ArtifactSource, level: string | undefined): string {
    const producer = this.p.steps.find((s) => s.name === source.step);
    return producer?.group === level
      ? `{{tasks.${source.step}.outputs.artifacts.${source.output}}}`
      : `{{inputs.artifacts.${artifactInputName(source)}}}`;
  }

  private typeOf(src: Source): string {
    switch (src.kind) {
      case 'literal': return jsonType(src.value);
      case 'pipelineParam': return this.p.parameters.find((x) => x.name === src.name)?.type ?? 'string';
      case 'taskOutput': return this.p.steps.find((s) => s.name === src.step)?.outputs.parameters.find((o) => o.name === src.output)?.type ?? 'string';
      case 'loopItem': return 'string';
    }
  }

  private args<P, A>(parameters: P[], artifacts: A[]) {
    if (!parameters.length && !artifacts.length) return undefined;
    return { parameters: parameters.length ? parameters : undefined, artifacts: artifacts.length ? artifacts : undefined };
  }
}

type ArtifactSource = { step: string; output: string };

/** The name under which an artifact made outside a group enters it. */
const artifactInputName = (a: ArtifactSource) => `${a.step.replace(/-/g, '_')}_${a.output}`;

/** What a reader of `source` gets when its producer was skipped (model `skip`), if it may be. */
export function skippedContent(p: Pipeline, source: ArtifactSource): string | undefined {
  return p.steps.find((s) => s.name === source.step)?.skip?.artifacts.find((a) => a.name === source.output)?.content;
}
