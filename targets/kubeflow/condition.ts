/**
 * A model condition as the CEL expression of a KFP triggerPolicy. Operands that are not
 * literals are inputs of the condition DAG's own task, read as
 * `inputs.parameter_values['…']`; integers are compared through `int()` because KFP
 * carries every number as a double.
 */
import type { Condition, JsonValue, Source } from '../../constructs/model/schema.ts';
import { RenderError } from '../types.ts';
import type { ParameterType } from './ir.ts';

/** A CEL string literal: single-quoted, with every character that could end or bend it escaped. */
export function celString(value: string): string {
  let out = "'";
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\' || ch === "'") out += `\\${ch}`;
    else if (code < 0x20 || code === 0x7f || (code >= 0xd800 && code <= 0xdfff))
      out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}'`;
}

/** What Kubeflow cannot compare in a condition operand, if anything (check.ts reports it before rendering). */
export function operandProblem(src: Source): string | undefined {
  if (src.kind === 'literal' && !['string', 'number', 'boolean'].includes(typeof src.value))
    return 'a condition compares only strings, numbers and booleans in Kubeflow; compare a scalar value';
  if (src.kind === 'loopItem' && src.field !== undefined)
    return (
      `a Kubeflow condition cannot read field '${src.field}' of a loop item; compare a whole item, or ` +
      'compute the field in a step and compare its output'
    );
  return undefined;
}

function celLiteral(at: string, value: JsonValue): string {
  if (typeof value === 'string') return celString(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new RenderError(at, operandProblem({ kind: 'literal', value })!);
}

/**
 * The CEL text. `operand` turns a reference into the name of the condition task's input
 * (registering it) and reports its KFP type.
 */
export function conditionText(
  at: string,
  c: Condition,
  operand: (src: Exclude<Source, { kind: 'literal' }>) => { name: string; type: ParameterType },
): string {
  const side = (src: Source): string => {
    if (src.kind === 'literal') return celLiteral(at, src.value);
    if (src.kind === 'loopItem' && src.field !== undefined) throw new RenderError(at, operandProblem(src)!);
    const { name, type } = operand(src);
    const read = `inputs.parameter_values[${celString(name)}]`;
    return type === 'NUMBER_INTEGER' ? `int(${read})` : read;
  };
  return `${side(c.left)} ${c.op} ${side(c.right)}`;
}
