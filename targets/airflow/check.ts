/**
 * What Airflow cannot express, checked for every pipeline and step before anything is
 * rendered, so that every problem is reported at once (synth/render.ts). The renderers
 * (dag-file.ts, pod-task.ts, control.ts) assume these hold.
 */
import type { Problem } from '../../constructs/model/errors.ts';
import { PipelineGraph } from '../../constructs/model/graph.ts';
import type { Condition, Model, Pipeline, Step } from '../../constructs/model/schema.ts';

/** Airflow's DAG refuses longer tags (TAG_MAX_LEN, counted in code points). */
const TAG_MAX_LEN = 100;

export function checkAirflow(model: Model): Problem[] {
  return model.pipelines.flatMap(checkPipeline);
}

function checkPipeline(p: Pipeline): Problem[] {
  const problems: Problem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });
  const long = p.tags.find((tag) => [...tag].length > TAG_MAX_LEN);
  if (long !== undefined) {
    const chars = [...long];
    add(
      p.path,
      `tag '${chars.slice(0, 20).join('')}…' is ${chars.length} characters long; Airflow allows at most ` +
        `${TAG_MAX_LEN}, so shorten it`,
    );
  }
  const graph = PipelineGraph.of(p);
  for (const g of p.groups) if (g.kind === 'condition') conditionProblem(g.path, g.condition, add);
  for (const s of p.exitHandler ? [...p.steps, p.exitHandler] : p.steps) {
    const loops = graph.loopsAround(s);
    if (loops.length > 1) {
      add(
        s.path,
        `runs inside nested loops (${loops.join(' > ')}); Airflow's dynamic task mapping cannot nest, so ` +
          'flatten the loops into one over combined items',
      );
    }
    if (s.when) conditionProblem(s.path, s.when, add);
    commandProblems(s, add);
  }
  return problems;
}

/** A gate task evaluates its condition once per run (control.ts), never per loop item. */
function conditionProblem(path: string, c: Condition, add: (path: string, message: string) => void): void {
  const item = [c.left, c.right].find((s) => s.kind === 'loopItem');
  if (item?.kind === 'loopItem') {
    add(
      path,
      `decides on an item of loop '${item.loop}'; Airflow evaluates a condition once per run, not per item, so ` +
        'compare pipeline params or step outputs instead',
    );
  }
}

/** Outputs are collected by a wrapper around the command (runtime.ts), which needs the command. */
function commandProblems(s: Step, add: (path: string, message: string) => void): void {
  if (s.command.length > 0) return;
  const outputs = s.outputs.parameters.map((o) => o.name);
  if (outputs.length > 0) {
    add(
      s.path,
      `has output parameters (${outputs.join(', ')}) but no command; Airflow collects outputs after the ` +
        `command ends, so set 'command' (the image's entrypoint) explicitly`,
    );
  }
  if (s.outputs.artifacts.length > 0) {
    add(
      s.path,
      `has output artifacts (${s.outputs.artifacts.map((a) => a.name).join(', ')}) but no command; on Airflow ` +
        `the step's command runs in a wrapper that waits for their upload, so set 'command' (the image's ` +
        'entrypoint) explicitly',
    );
  }
}
