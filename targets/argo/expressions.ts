/**
 * Argo's template language: `{{…}}` references and the govaluate `when` expressions.
 * Argo evaluates every `{{` in a template and has no escape for it (argo-workflows
 * #8253), so a user string holding one is refused here instead of being run.
 */
import type { Arg, Condition, Pipeline, Source } from '../../constructs/model/schema.ts';
import { inputNameFor, PipelineGraph } from '../../constructs/model/graph.ts';
import { RenderError } from '../types.ts';

/** What is wrong with a user string placed where Argo substitutes templates, if anything. */
export function bracesProblem(field: string, value: string): string | undefined {
  if (!value.includes('{{')) return undefined;
  return (
    `${field} contains '{{', which Argo Workflows would evaluate as a template and cannot escape; pass the ` +
    `text through a pipeline parameter's run-time value or drop the braces`
  );
}

/** A user string placed where Argo substitutes templates (check.ts has refused any with `{{`). */
export function literal(path: string, field: string, value: string): string {
  const problem = bracesProblem(field, value);
  if (problem !== undefined) throw new RenderError(path, problem);
  return value;
}

/** The text form Argo gives a parameter value: JSON for lists and structs. */
export function valueText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Where the step's files live inside its container. */
/**
 * Where a step reads and writes. Outputs are not under the inputs' folder: Argo mounts each
 * input artifact at its path, and the runtime makes the folders above the mount root-owned
 * (0755), so a step running as a non-root user could not create an outputs folder beside
 * them (iris' train failed with PermissionError on /tmp/dfp/outputs on the cluster). A
 * writable folder over both does not help either: Argo then extracts the artifacts into it
 * under folders it makes with mode 0700, as its own user, which the step cannot enter.
 */
export const PATHS = {
  outputPath: (name: string) => `/tmp/dfp-outputs/parameters/${name}`,
  outputArtifactPath: (name: string) => `/tmp/dfp-outputs/artifacts/${name}`,
  inputArtifactPath: (name: string) => `/tmp/dfp/inputs/artifacts/${name}`,
};

/** A step's own input parameter, as its container template reads it. */
export const inputParameter = (name: string): string => `{{inputs.parameters.${name}}}`;

/**
 * One argument as Argo text, inside the step's own container template; `inputRef` says
 * how the template reads an input (the exit handler reads pipeline parameters as globals).
 */
export function argText(
  path: string,
  field: string,
  arg: Arg,
  inputRef: (name: string) => string = inputParameter,
): string {
  return arg
    .map((part) => {
      switch (part.kind) {
        case 'literal':
          return literal(path, field, part.value);
        case 'input':
          return inputRef(part.name);
        default:
          return PATHS[part.kind](part.name);
      }
    })
    .join('');
}

/**
 * How a DAG task at `level` (undefined = the root DAG) refers to a value. A value made
 * outside the level's group comes in as an input parameter of the group's template.
 */
export function sourceRef(
  p: Pipeline,
  path: string,
  source: Source,
  level: string | undefined,
  loopOfTask?: string,
): string {
  switch (source.kind) {
    case 'literal':
      return literal(path, 'a literal value', valueText(source.value));
    case 'pipelineParam':
      return `{{workflow.parameters.${source.name}}}`;
    case 'taskOutput': {
      const producer = PipelineGraph.of(p).step(source.step);
      return producer?.group === level
        ? `{{tasks.${source.step}.outputs.parameters.${source.output}}}`
        : `{{inputs.parameters.${inputNameFor(source)}}}`;
    }
    case 'loopItem':
      if (source.loop === loopOfTask) return source.field ? `{{item.${source.field}}}` : '{{item}}';
      return `{{inputs.parameters.${inputNameFor(source)}}}`;
  }
}

const SAFE_CONDITION_TEXT = /^[A-Za-z0-9 _.:/@+-]*$/;

/** What is wrong with a string literal of a `when` expression, if anything. */
export function conditionTextProblem(value: string): string | undefined {
  if (SAFE_CONDITION_TEXT.test(value)) return undefined;
  return (
    `condition text '${value}' holds characters Argo's condition language cannot quote; use letters, ` +
    'digits, spaces and _ . : / @ + -'
  );
}

/** A govaluate `when` expression; strings are single-quoted, as Argo's examples do. */
export function whenText(
  p: Pipeline,
  path: string,
  c: Condition,
  level: string | undefined,
  typeOf: (s: Source) => string,
  loopOfTask?: string,
): string {
  const side = (s: Source): string => {
    if (s.kind === 'literal') {
      if (typeof s.value === 'string') {
        const problem = conditionTextProblem(s.value);
        if (problem !== undefined) throw new RenderError(path, problem);
        return `'${s.value}'`;
      }
      return String(s.value);
    }
    const ref = sourceRef(p, path, s, level, loopOfTask);
    return typeOf(s) === 'string' ? `'${ref}'` : ref;
  };
  return `${side(c.left)} ${c.op} ${side(c.right)}`;
}
