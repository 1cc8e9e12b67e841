/**
 * KFP runs a pipeline as nested DAGs: the root, an exit-handler DAG when the pipeline has
 * an exit handler, and one DAG per condition or loop. A step-level `when` is a condition
 * DAG of its own, because KFP attaches conditions to DAGs, not to container tasks. A step
 * that may skip itself (model `skip`) is what kfp compiles `dsl.If` / `dsl.Else` into: a
 * `condition-branches-<step>` DAG holding a `condition-run-<step>` DAG (the skip condition,
 * around the step) and a `condition-skip-<step>` DAG (its negation, around the stand-in
 * task, skip.ts), whose artifacts leave the branches DAG as one output each, a `dsl.OneOf`.
 * This module places every step and group in its DAG ("scope") and answers questions
 * about the nesting; it knows nothing about the PipelineSpec format.
 */
import { PipelineGraph } from '../../constructs/model/graph.ts';
import type { Condition, Group, Pipeline, Source, Step } from '../../constructs/model/schema.ts';
import { standInName } from './skip.ts';

export const ROOT = 'root';
export const EXIT_SCOPE = 'exit-handler';

export interface Scope {
  /** The DAG's task name in its parent and the suffix of its component name. */
  readonly id: string;
  /** `branches`: the DAG around the two branches of a skippable step, which runs one of them. */
  readonly kind: 'root' | 'exit' | 'condition' | 'loop' | 'branches';
  readonly parent?: string;
  /** Construct path to blame for problems with this scope. */
  readonly path: string;
  readonly condition?: Condition;
  /** The condition holds when `condition` does not (a `dsl.Else` branch). */
  readonly negated?: boolean;
  readonly items?: Source;
  readonly parallelism?: number;
}

/** The scopes that render a skippable step (model `skip`), and its stand-in task. */
export interface SkipBranches {
  readonly step: string;
  /** The `condition-branches` DAG: its task runs in the step's own scope. */
  readonly branches: string;
  readonly run: string;
  readonly skip: string;
  readonly standIn: string;
  /** The artifacts that leave the branches DAG as a OneOf of the two branches', sorted. */
  readonly artifacts: readonly string[];
}

export const branchesScopeId = (step: string) => `condition-branches-${step}`;
export const runScopeId = (step: string) => `condition-run-${step}`;
export const skipScopeId = (step: string) => `condition-skip-${step}`;

export class Scopes {
  private readonly byId = new Map<string, Scope>();
  private readonly stepScope = new Map<string, string>();
  private readonly skips = new Map<string, SkipBranches>();
  /** DAGs that got the same id (the later one's path, and the earlier one's), for check.ts. */
  public readonly clashes: { path: string; id: string; other: string }[] = [];

  constructor(private readonly p: Pipeline) {
    this.add({ id: ROOT, kind: 'root', path: p.path });
    const top = p.exitHandler ? EXIT_SCOPE : ROOT;
    if (p.exitHandler) this.add({ id: EXIT_SCOPE, kind: 'exit', parent: ROOT, path: p.path });
    const groupScope = (g: string | undefined): string => g ?? top;
    PipelineGraph.of(p).walk({
      group: (g) => this.add(groupToScope(g, groupScope(g.parent))),
      step: (s) => {
        let home = groupScope(s.group);
        if (s.when) {
          const id = `condition-${s.name}`;
          this.add({ id, kind: 'condition', parent: home, path: s.path, condition: s.when });
          home = id;
        }
        if (s.skip) home = this.addSkip(s, home);
        this.stepScope.set(s.name, home);
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

  /** The branches of every skippable step, in model order. */
  public skipBranches(): SkipBranches[] {
    return [...this.skips.values()];
  }

  /**
   * The branches DAG whose OneOf output carries `step`'s artifact `output`, when the step may
   * be skipped and that artifact has skipped content; read from outside that DAG, the artifact
   * is the branches task's output.
   */
  public oneOf(step: string, output: string): SkipBranches | undefined {
    const b = this.skips.get(step);
    return b?.artifacts.includes(output) ? b : undefined;
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

  /**
   * The condition scopes between `scope` (exclusive) and `step` (inclusive) that may leave
   * the step unrun when `scope` runs. The two branches of a skippable step are not among
   * them: their branches DAG always ends after one of them ran.
   */
  public conditionsBetween(scope: string, step: string): Scope[] {
    const out: Scope[] = [];
    for (const id of this.chain(this.ofStep(step))) {
      if (id === scope) break;
      const s = this.get(id);
      if (s.kind === 'condition' && this.get(s.parent!).kind !== 'branches') out.push(s);
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
    const earlier = this.byId.get(scope.id);
    if (earlier) this.clashes.push({ path: scope.path, id: scope.id, other: earlier.path });
    else this.byId.set(scope.id, scope);
  }

  /** Adds the branches of skippable `s` inside `home`; returns the scope of the step's own task. */
  private addSkip(s: Step, home: string): string {
    const skip = s.skip!;
    const b: SkipBranches = {
      step: s.name,
      branches: branchesScopeId(s.name),
      run: runScopeId(s.name),
      skip: skipScopeId(s.name),
      standIn: standInName(s.name),
      artifacts: skip.artifacts.map((a) => a.name),
    };
    this.add({ id: b.branches, kind: 'branches', parent: home, path: s.path });
    this.add({ id: b.run, kind: 'condition', parent: b.branches, path: s.path, condition: skip.when });
    this.add({ id: b.skip, kind: 'condition', parent: b.branches, path: s.path, condition: skip.when, negated: true });
    this.stepScope.set(b.standIn, b.skip);
    this.skips.set(s.name, b);
    return b.run;
  }
}

function groupToScope(g: Group, parent: string): Scope {
  return g.kind === 'condition'
    ? { id: g.name, kind: 'condition', parent, path: g.path, condition: g.condition }
    : { id: g.name, kind: 'loop', parent, path: g.path, items: g.items, parallelism: g.parallelism };
}
