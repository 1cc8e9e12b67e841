/**
 * References between constructs. They are plain value objects that point at a
 * construct and a name; the model builder turns them into names and checks that what
 * they point at exists and has the right type. Nothing here is ever encoded in a string.
 */
import type { IConstruct } from 'constructs';

import {
  COMPARISON_OPS,
  type ArtifactType,
  type ComparisonOp,
  type JsonValue,
  type ParamType,
} from './model/schema.ts';

// Declared once, in the model's schema (constructs/model/schema.ts); re-exported for constructs.
export { COMPARISON_OPS, type ArtifactType, type ComparisonOp, type JsonValue, type ParamType };

/** A pipeline parameter, read at run time: `pipeline.param('max_epochs')`. */
export class ParamRef {
  public readonly kind = 'pipelineParam' as const;
  /** @param pipeline the pipeline that declares it @param name the parameter's name */
  constructor(
    public readonly pipeline: IConstruct,
    public readonly name: string,
  ) {}
}

/** An output parameter of another step: `merge.output('commit_id')`. */
export class OutputRef {
  public readonly kind = 'taskOutput' as const;
  /** @param step the producing step @param name the output parameter's name */
  constructor(
    public readonly step: IConstruct,
    public readonly name: string,
  ) {}
}

/** An output artifact of another step: `process.artifact('dataset')`. */
export class ArtifactRef {
  public readonly kind = 'taskArtifact' as const;
  /** @param step the producing step @param name the output artifact's name */
  constructor(
    public readonly step: IConstruct,
    public readonly name: string,
  ) {}
}

/** The current item of a `ParallelFor` loop, or one field of it when items are objects. */
export class LoopItemRef {
  public readonly kind = 'loopItem' as const;
  /** @param loop the enclosing loop @param field the field of a struct item, if any */
  constructor(
    public readonly loop: IConstruct,
    public readonly field?: string,
  ) {}
}

/**
 * A path inside the step's own container, resolved by each target: where the step must
 * write an output parameter or artifact, or where an input artifact is placed.
 */
export class PathPlaceholder {
  /** @param kind which kind of path @param name the output or input's name */
  constructor(
    public readonly kind: 'outputPath' | 'outputArtifactPath' | 'inputArtifactPath',
    public readonly name: string,
  ) {}
}

/** Where the step must write its output parameter `name` (one value, as text). */
export const outputPath = (name: string): PathPlaceholder => new PathPlaceholder('outputPath', name);
/** The directory or file where the step must write its output artifact `name`. */
export const outputArtifactPath = (name: string): PathPlaceholder => new PathPlaceholder('outputArtifactPath', name);
/** Where the step finds its input artifact `name`. */
export const inputArtifactPath = (name: string): PathPlaceholder => new PathPlaceholder('inputArtifactPath', name);

/** A value that is known only when the pipeline runs. */
export type RuntimeValue = ParamRef | OutputRef | LoopItemRef;

/** One piece of a command-line argument or environment value. */
export type ArgPiece = string | number | boolean | RuntimeValue | PathPlaceholder;

/** Several pieces joined into one string at run time; build it with {@link fmt}. */
export class Concat {
  /** @param pieces the pieces, in order */
  constructor(public readonly pieces: readonly ArgPiece[]) {}
}

/** A command-line argument or environment value. */
export type Arg = ArgPiece | Concat;

/**
 * Builds one argument from literal text and runtime values:
 * `` fmt`--epochs=${pipeline.param('max_epochs')}` ``.
 */
export function fmt(strings: TemplateStringsArray, ...values: ArgPiece[]): Concat {
  const pieces: ArgPiece[] = [];
  strings.forEach((text, i) => {
    if (text !== '') pieces.push(text);
    if (i < values.length) pieces.push(values[i] as ArgPiece);
  });
  return new Concat(pieces);
}

/** One side of a comparison: a runtime value or a literal. */
export type Operand = RuntimeValue | string | number | boolean;

/** A condition evaluated at run time; build it with {@link eq}, {@link ne}, {@link gt}… */
export class Comparison {
  /** @param left left operand @param op operator @param right right operand */
  constructor(
    public readonly left: Operand,
    public readonly op: ComparisonOp,
    public readonly right: Operand,
  ) {}
}

/** `left == right` */
export const eq = (left: Operand, right: Operand): Comparison => new Comparison(left, '==', right);
/** `left != right` */
export const ne = (left: Operand, right: Operand): Comparison => new Comparison(left, '!=', right);
/** `left < right` */
export const lt = (left: Operand, right: Operand): Comparison => new Comparison(left, '<', right);
/** `left <= right` */
export const le = (left: Operand, right: Operand): Comparison => new Comparison(left, '<=', right);
/** `left > right` */
export const gt = (left: Operand, right: Operand): Comparison => new Comparison(left, '>', right);
/** `left >= right` */
export const ge = (left: Operand, right: Operand): Comparison => new Comparison(left, '>=', right);
