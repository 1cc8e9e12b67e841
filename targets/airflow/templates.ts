/**
 * How a step's arguments, env values and paths become Airflow template text: user text
 * through the one Jinja escaper, run-time values as Jinja expressions dfp writes from
 * names it has validated (task ids, param and output names), never from user text.
 */
import { PipelineGraph } from '../../constructs/model/graph.ts';
import type { Arg, Environment, Pipeline, Source, Step } from '../../constructs/model/schema.ts';
import { jinjaString, jinjaTemplate, type TemplatePart } from '../../emit/jinja.ts';
import { RenderError } from '../types.ts';
import { inputArtifactPath, OUTPUT_DIR, outputArtifactPath } from './runtime.ts';

/** KubernetesPodOperator's `template_ext`: a templated value ending in one is read as a file name. */
export const POD_TEMPLATE_EXT = ['.yaml', '.yml', '.json'];

/** The text form every run-time value takes in a template: strings as-is, the rest as JSON. */
const TEXT_FILTER = 'dfp_text';

/** The loop (ParallelFor group) a step runs in, if any; check.ts refuses nested loops. */
export function loopOf(p: Pipeline, s: Step): string | undefined {
  const loops = PipelineGraph.of(p).loopsAround(s);
  if (loops.length > 1) throw new Error(`dfp bug: ${s.path} runs inside nested loops, which checkAirflow refuses`);
  return loops[0];
}

/** The Jinja expression for a run-time value read by `step`. */
export function sourceExpression(p: Pipeline, step: Step, source: Source): string {
  switch (source.kind) {
    case 'literal':
      // Literals are text pieces, never expressions; callers handle them.
      throw new Error('literal sources are not expressions');
    case 'pipelineParam':
      return `params[${jinjaString(source.name)}] | ${TEXT_FILTER}`;
    case 'taskOutput': {
      const producer = PipelineGraph.of(p).step(source.step);
      // A producer inside the same loop: read the output of this step's own map index.
      const mapped = producer && loopOf(p, producer) !== undefined ? ', map_indexes=ti.map_index' : '';
      return (
        `ti.xcom_pull(task_ids=${jinjaString(source.step)}${mapped})[${jinjaString(source.output)}] | ` +
        `${TEXT_FILTER}`
      );
    }
    case 'loopItem': {
      if (loopOf(p, step) !== source.loop) {
        throw new RenderError(
          step.path,
          `reads an item of loop '${source.loop}' outside it; use the item inside the loop`,
        );
      }
      const field = source.field === undefined ? '' : `[${jinjaString(source.field)}]`;
      return `ti.xcom_pull(task_ids=${jinjaString(source.loop)}, key='items')[ti.map_index]${field} | ${TEXT_FILTER}`;
    }
  }
}

/**
 * The object key of an artifact in the environment's store, one prefix per run, step and
 * map index, as template text for the pod's annotations (targets/airflow/artifacts.ts).
 */
export function artifactKey(p: Pipeline, env: Environment, producer: Step, artifact: string): string {
  const repo = env.artifactRepository;
  const prefix = repo.keyPrefix ? `${repo.keyPrefix}/` : '';
  const mapped = loopOf(p, producer) !== undefined;
  return jinjaTemplate(
    merge([
      { text: prefix },
      { expression: 'dag.dag_id' },
      { text: '/' },
      { expression: 'run_id' },
      { text: `/${producer.name}/` },
      ...(mapped ? [{ expression: 'ti.map_index' }, { text: '/' }] : []),
      { text: artifact },
    ]),
    { templateExt: POD_TEMPLATE_EXT },
  );
}

/** One model argument as template text for a field of the step's pod. */
export function argTemplate(p: Pipeline, env: Environment, step: Step, arg: Arg): string {
  const parts: TemplatePart[] = arg.flatMap((part): TemplatePart[] => {
    switch (part.kind) {
      case 'literal':
        return [{ text: part.value }];
      case 'input': {
        const input = step.inputs.parameters.find((i) => i.name === part.name);
        if (!input) throw new Error(`${step.path}: unknown input '${part.name}'`);
        if (input.source.kind === 'literal') {
          const v = input.source.value;
          return [{ text: typeof v === 'string' ? v : JSON.stringify(v) }];
        }
        return [{ expression: sourceExpression(p, step, input.source) }];
      }
      case 'outputPath':
        return [{ text: `${OUTPUT_DIR}/${part.name}` }];
      // Local paths, as on Argo and Kubeflow; artifacts.ts renders what moves the files.
      case 'outputArtifactPath':
        return [{ text: outputArtifactPath(part.name) }];
      case 'inputArtifactPath': {
        if (!step.inputs.artifacts.some((a) => a.name === part.name))
          throw new Error(`${step.path}: unknown input artifact '${part.name}'`);
        return [{ text: inputArtifactPath(part.name) }];
      }
    }
  });
  return jinjaTemplate(merge(parts), { templateExt: POD_TEMPLATE_EXT });
}

/** Adjacent text pieces joined, so escaping decisions see the whole fixed text. */
function merge(parts: TemplatePart[]): TemplatePart[] {
  const out: TemplatePart[] = [];
  for (const part of parts) {
    const last = out[out.length - 1];
    if ('text' in part && last && 'text' in last) out[out.length - 1] = { text: last.text + part.text };
    else out.push(part);
  }
  return out;
}
