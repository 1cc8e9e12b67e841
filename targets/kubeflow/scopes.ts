/**
 * KFP runs a pipeline as nested DAGs: the root, an exit-handler DAG when the pipeline has
 * an exit handler, and one DAG per condition or loop. A step-level `when` is a condition
 * DAG of its own, because KFP attaches conditions to DAGs, not to container tasks.
 * This module places every step and group in its DAG ("scope") and answers questions
 * about the nesting; it knows nothing about the PipelineSpec format.
 */
import { PipelineGraph } from '../../constructs/model/graph.ts';
import type { Condition, Group, Pipeline, Source, Step } from '../../constructs/model/schema.ts';

export const ROOT = 'root';
export const EXIT_SCOPE = 'exit-handler';

export interface Scope {
  /** The DAG's task name in its parent and the suffix of its component name. */
  readonly id: string;
  readonly kind: 'root' | 'exit' | 'condition' | 'loop';
  readonly parent?: string;
  /** Construct path to blame for problems with this scope. */
  readonly path: string;
  readonly condition?: Condition;
  readonly items?: Source;
  readonly parallelism?: number;
}

export class Scopes {
  private readonly byId = new Map<string, Scope>();
  private readonly stepScope = new Map<string, string>();

  constructor(private readonly p: Pipeline) {
    this.add({ id: ROOT, kind: 'root', path: p.path });
    const top = p.exitHandler ? EXIT_SCOPE : ROOT;
    if (p.exitHandler) this.add({ id: EXIT_SCOPE, kind: 'exit', parent: ROOT, path: p.path });
    const groupScope = (g: string | undefined): string => g ?? top;
    PipelineGraph.of(p).walk({
      group: (g) => this.add(groupToScope(g, groupScope(g.parent))),
      step: (s) => {
        const home = groupScope(s.group);
        if (s.when) {
          const id = `condition-${s.name}`;
          this.add({ id, kind: 'condition', parent: home, path: s.path, condition: s.when });
          this.stepScope.set(s.name, id);
        } else this.stepScope.set(s.name, home);
      },
    });
    if (p.exitHandler) this.stepScope.set(p.exitHandler.name, ROOT);
  }

  public get(id: string): Scope {
    const scope = this.byId.get(id);
    if (!scope) throw new Error(`dfp bug: unknown kubeflow scope ${id}`);
    return scope;
  }

  /** Every scope but the root, parents before children. */
  public nested(): Scope[] {
    return [...this.byId.values()].filter((s) => s.kind !== 'root');
  }

  /** The scope whose DAG holds the step's task. */
  public ofStep(step: string): string {
    const id = this.stepScope.get(step);
    if (!id) throw new Error(`dfp bug: step ${step} has no kubeflow scope`);
    return id;
  }

  /** Scope ids from `id` up to the root, `id` first. */
  public chain(id: string): string[] {
    const out: string[] = [];
    for (let s: string | undefined = id; s !== undefined; s = this.get(s).parent) out.push(s);
    return out;
  }

  /** Whether `ancestor` is `id` or contains it. */
  public contains(ancestor: string, id: string): boolean {
    return this.chain(id).includes(ancestor);
  }

  /**
   * The member of `scope`'s DAG that holds `step`: the step's own task, or the task of
   * the child scope it sits in; undefined when the step is not inside `scope`.
   */
  public memberFor(scope: string, step: string): string | undefined {
    let member = step;
    for (const id of this.chain(this.ofStep(step))) {
      if (id === scope) return member;
      member = id;
    }
    return undefined;
  }

  /** The condition scopes between `scope` (exclusive) and `step` (inclusive). */
  public conditionsBetween(scope: string, step: string): Scope[] {
    const out: Scope[] = [];
    for (const id of this.chain(this.ofStep(step))) {
      if (id === scope) break;
      const s = this.get(id);
      if (s.kind === 'condition') out.push(s);
    }
    return out;
  }

  /** Steps whose task sits in `scope` or any scope inside it. */
  public stepsWithin(scope: string): Step[] {
    return this.p.steps.filter((s) => this.contains(scope, this.ofStep(s.name)));
  }

  /** Child scopes whose parent is `scope`, in model order. */
  public children(scope: string): Scope[] {
    return this.nested().filter((s) => s.parent === scope);
  }

  private add(scope: Scope): void {
    this.byId.set(scope.id, scope);
  }
}

function groupToScope(g: Group, parent: string): Scope {
  return g.kind === 'condition'
    ? { id: g.name, kind: 'condition', parent, path: g.path, condition: g.condition }
    : { id: g.name, kind: 'loop', parent, path: g.path, items: g.items, parallelism: g.parallelism };
}
