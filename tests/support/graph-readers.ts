/**
 * A pipeline's task graph read back from each orchestrator's own output, reduced to one
 * shape so the three can be compared: the steps, what must finish before each (the
 * transitive closure over steps, whatever groups carry the edges), the condition and loop
 * groups each step sits in, the steps with a step-level `when`, and the exit handler.
 * Argo and Kubeflow are read from their YAML; Airflow from what its real DagBag imported
 * (tests/support/airflow.ts), so each orchestrator's own reading of its file is compared.
 */
import { parseAllDocuments, parse } from 'yaml';
import type { AirflowDag } from './airflow.ts';

type Json = Record<string, any>;

export interface Graph {
  /** Every step but the exit handler, sorted. */
  readonly steps: readonly string[];
  /** Step -> every step that finishes before it starts, sorted. */
  readonly after: Readonly<Record<string, readonly string[]>>;
  /** Step -> its enclosing groups as `condition:<name>` / `loop:<name>`, sorted. */
  readonly groups: Readonly<Record<string, readonly string[]>>;
  /** Steps with a step-level `when`, sorted. */
  readonly when: readonly string[];
  readonly exit: string | null;
}

const sorted = (xs: Iterable<string>) => [...new Set(xs)].sort();

/** Builds a {@link Graph} from leaves, groups and "D before T" edges between any nodes. */
class GraphBuilder {
  private readonly leaves = new Set<string>();
  private readonly children = new Map<string, string[]>();
  private readonly edges: [string, string][] = [];
  private readonly groupsOf = new Map<string, string[]>();
  private readonly whens = new Set<string>();
  exit: string | null = null;

  leaf(name: string, groups: readonly string[]): void {
    this.leaves.add(name);
    this.groupsOf.set(name, [...groups]);
  }
  child(group: string, node: string): void {
    this.children.set(group, [...(this.children.get(group) ?? []), node]);
  }
  edge(before: string, after: string): void {
    this.edges.push([before, after]);
  }
  when(step: string): void {
    this.whens.add(step);
  }

  private leavesOf(node: string): string[] {
    return this.leaves.has(node) ? [node] : (this.children.get(node) ?? []).flatMap((c) => this.leavesOf(c));
  }

  build(): Graph {
    const direct = new Map<string, Set<string>>([...this.leaves].map((l) => [l, new Set<string>()]));
    for (const [d, t] of this.edges)
      for (const l of this.leavesOf(t)) for (const x of this.leavesOf(d)) direct.get(l)!.add(x);
    const closure = (l: string, seen = new Set<string>()): Set<string> => {
      for (const x of direct.get(l) ?? [])
        if (!seen.has(x)) {
          seen.add(x);
          closure(x, seen);
        }
      return seen;
    };
    const steps = sorted([...this.leaves].filter((l) => l !== this.exit));
    return {
      steps,
      after: Object.fromEntries(steps.map((s) => [s, sorted(closure(s))])),
      groups: Object.fromEntries(steps.map((s) => [s, sorted(this.groupsOf.get(s)!)])),
      when: sorted(this.whens),
      exit: this.exit,
    };
  }
}

/**
 * From an Argo WorkflowTemplate: DAG templates are groups, `when` on one a condition, `withItems`/`withParam` a loop.
 */
export function argoGraph(text: string): Graph {
  const wt = parse(text) as Json;
  const templates = new Map<string, Json>((wt.spec.templates as Json[]).map((t) => [t.name, t]));
  const g = new GraphBuilder();
  const walk = (dag: Json, scope: string | null, groups: readonly string[]) => {
    for (const task of dag.tasks as Json[]) {
      const target = templates.get(task.template)!;
      if (scope) g.child(scope, task.name);
      // `dependencies: [a, b]`, or `depends: "a && (b.Succeeded || b.Skipped)"`: the task names in it.
      const deps: string[] =
        task.dependencies ??
        (task.depends
          ? (task.depends as string)
              .split(/[^A-Za-z0-9.-]+/)
              .filter(Boolean)
              .map((x) => x.split('.')[0]!)
          : []);
      for (const d of deps) g.edge(d, task.name);
      if (target.dag) {
        const kind =
          task.withItems !== undefined || task.withParam !== undefined
            ? 'loop'
            : task.when !== undefined
              ? 'condition'
              : null;
        walk(target.dag, task.name, kind ? [...groups, `${kind}:${task.name}`] : groups);
      } else {
        g.leaf(task.name, groups);
        if (task.when !== undefined) g.when(task.name);
      }
    }
  };
  walk(templates.get(wt.spec.entrypoint)!.dag, null, []);
  if (wt.spec.onExit) {
    g.leaf(wt.spec.onExit, []);
    g.exit = wt.spec.onExit;
  }
  return g.build();
}

/**
 * From Kubeflow IR: DAG components are groups (a triggerPolicy condition makes a condition,
 * a parameterIterator a loop); KFP's own `exit-handler` DAG and the `condition-<step>` DAG
 * that wraps a step-level `when` are not groups of the model, nor are the DAGs that render
 * a step's model `skip` (targets/kubeflow/scopes.ts): `condition-branches-<step>`, its
 * `condition-run-<step>` (the step's `when`, as Airflow's run gate is) and
 * `condition-skip-<step>`, whose stand-in task is no step of the model.
 */
export function kubeflowGraph(text: string): Graph {
  const [spec] = parseAllDocuments(text).map((d) => d.toJS() as Json);
  const components = spec!.components as Record<string, Json>;
  const g = new GraphBuilder();
  const walk = (dag: Json, scope: string | null, groups: readonly string[]) => {
    for (const [name, task] of Object.entries(dag.tasks as Record<string, Json>)) {
      const component = components[task.componentRef.name]!;
      if (scope) g.child(scope, name);
      for (const d of task.dependentTasks ?? []) g.edge(d, name);
      if (task.triggerPolicy?.strategy === 'ALL_UPSTREAM_TASKS_COMPLETED') g.exit = name;
      if (component.dag) {
        const inner = Object.keys(component.dag.tasks);
        const conditional = task.triggerPolicy?.condition !== undefined && inner.length === 1;
        const wrapsWhen = conditional && [`condition-${inner[0]}`, `condition-run-${inner[0]}`].includes(name);
        if (wrapsWhen) g.when(inner[0]!);
        // The Else branch of a skip: its stand-in task is no step; the DAG is kept for the edges.
        if (conditional && name === `condition-skip-${inner[0]!.replace(/-skipped$/, '')}`) {
          g.child(name, inner[0]!);
          continue;
        }
        const kind =
          wrapsWhen || name === 'exit-handler' || name.startsWith('condition-branches-')
            ? null
            : task.parameterIterator
              ? 'loop'
              : task.triggerPolicy?.condition !== undefined
                ? 'condition'
                : null;
        walk(component.dag, name, kind ? [...groups, `${kind}:${name}`] : groups);
      } else {
        g.leaf(name, groups);
        if (task.triggerPolicy?.condition !== undefined) g.when(name);
      }
    }
  };
  walk(spec!.root.dag, null, []);
  return g.build();
}

/**
 * From the DAG Airflow's DagBag imported: the control tasks are the groups (a
 * ShortCircuitOperator a condition, a PythonOperator that maps a loop), `<step>.when` a
 * step-level gate, `<pipeline>.failed` the failure watcher; every other task is a step,
 * and `all_done` marks the exit handler.
 */
export function airflowGraph(dag: AirflowDag): Graph {
  const g = new GraphBuilder();
  const tasks = Object.values(dag.tasks);
  // `<step>.run`, `.skip` and `.skipped` (the stand-in pod) render a step's model `skip`
  // (targets/airflow/skip.ts): the run gate is the step's `when`, the others no step of the model.
  const gate = (id: string) => id.endsWith('.when') || id.endsWith('.run');
  const isControl = (id: string) =>
    gate(id) ||
    id.endsWith('.skip') ||
    id.endsWith('.skipped') ||
    id.endsWith('.failed') ||
    ['ShortCircuitOperator', 'PythonOperator'].includes(dag.tasks[id]!.operator);
  // A control task sits between steps: what waits for it waits for every step it waits for.
  const stepsBefore = (id: string, seen = new Set<string>()): string[] => {
    if (seen.has(id)) return [];
    seen.add(id);
    return isControl(id) ? dag.tasks[id]!.upstream.flatMap((u) => stepsBefore(u, seen)) : [id];
  };
  for (const t of tasks.filter((x) => !isControl(x.task_id))) {
    const groups = t.upstream
      .filter((u) => isControl(u) && !gate(u) && !/\.(failed|skip|skipped)$/.test(u))
      .map((u) => `${dag.tasks[u]!.operator === 'ShortCircuitOperator' ? 'condition' : 'loop'}:${u}`);
    g.leaf(t.task_id, groups);
    for (const u of t.upstream) for (const x of stepsBefore(u)) g.edge(x, t.task_id);
    if (t.upstream.includes(`${t.task_id}.when`) || t.upstream.includes(`${t.task_id}.run`)) g.when(t.task_id);
    if (t.trigger_rule === 'all_done') g.exit = t.task_id;
  }
  return g.build();
}
