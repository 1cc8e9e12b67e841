/**
 * The tasks Airflow needs around the steps: a ShortCircuitOperator gate per condition
 * (group or step `when`), a PythonOperator per loop that publishes its items for
 * dynamic task mapping, and a watcher that fails the run when a step failed even though
 * the exit handler succeeded. Their inputs are data (`op_kwargs`), read by the fixed
 * helpers in runtime.ts; string values in them are Jinja-escaped, as op_kwargs is templated.
 */
import { PipelineGraph } from '../../constructs/model/graph.ts';
import type { Condition, JsonValue, Pipeline, Source } from '../../constructs/model/schema.ts';
import { jinjaText } from '../../emit/jinja.ts';
import { call, lit, name, type PyExpr, type PyValue } from '../../emit/python.ts';
import { RenderError } from '../types.ts';
import { POD_TEMPLATE_EXT } from './templates.ts';

/** Every string value of `v` escaped for a templated field; dict keys are never rendered. */
export function templatedValue(v: JsonValue): PyValue {
  if (typeof v === 'string') return jinjaText(v, { templateExt: POD_TEMPLATE_EXT });
  if (Array.isArray(v)) return v.map(templatedValue);
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, templatedValue(x)]));
  return v;
}

/** A Source as the data `_dfp_value` reads at run time. */
function sourceSpec(p: Pipeline, path: string, s: Source): PyValue {
  switch (s.kind) {
    case 'literal':
      return { kind: 'literal', value: templatedValue(s.value) };
    case 'pipelineParam':
      return { kind: 'param', name: s.name };
    case 'taskOutput': {
      const type =
        PipelineGraph.of(p)
          .step(s.step)
          ?.outputs.parameters.find((o) => o.name === s.output)?.type ?? 'string';
      return { kind: 'output', task: s.step, output: s.output, type };
    }
    case 'loopItem':
      throw new RenderError(
        path,
        `decides on an item of loop '${s.loop}'; Airflow evaluates a condition once per run, not per item, so ` +
          'compare pipeline params or step outputs instead',
      );
  }
}

/** The task ids a condition's values come from. */
export function producers(c: Condition): string[] {
  return [c.left, c.right].flatMap((s) => (s.kind === 'taskOutput' ? [s.step] : []));
}

export function gateTask(p: Pipeline, path: string, taskId: string, c: Condition): PyExpr {
  return call('ShortCircuitOperator', [], {
    task_id: lit(taskId),
    python_callable: name('_dfp_condition'),
    op_kwargs: lit({ left: sourceSpec(p, path, c.left), op: c.op, right: sourceSpec(p, path, c.right) }),
    // Skip only the guarded tasks; tasks further down decide by their own trigger rule.
    ignore_downstream_trigger_rules: lit(false),
  });
}

export function loopItemsTask(p: Pipeline, path: string, taskId: string, items: Source): PyExpr {
  return call('PythonOperator', [], {
    task_id: lit(taskId),
    python_callable: name('_dfp_loop_items'),
    op_kwargs: lit({ items: sourceSpec(p, path, items) }),
  });
}

export function watcherTask(taskId: string): PyExpr {
  return call('PythonOperator', [], {
    task_id: lit(taskId),
    python_callable: name('_dfp_fail_if_any_failed'),
    trigger_rule: lit('one_failed'),
  });
}
