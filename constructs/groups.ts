import { Construct } from 'constructs';
import { LoopItemRef, type Comparison, type JsonValue, type ParamRef, type OutputRef } from './refs.ts';

/** Props of {@link Condition}. */
export interface ConditionProps {
  /** The steps inside run only when this holds. */
  readonly when: Comparison;
}

/** A group of steps that run only when a condition holds at run time. */
export class Condition extends Construct {
  /** @param scope a pipeline or group @param id the group's name @param props its condition */
  constructor(
    scope: Construct,
    id: string,
    public readonly props: ConditionProps,
  ) {
    super(scope, id);
  }
}

/** Props of {@link ParallelFor}. */
export interface ParallelForProps {
  /** What to loop over: a literal list, a `list` pipeline parameter or a `list` step output. */
  readonly items: readonly JsonValue[] | ParamRef | OutputRef;
  /** How many iterations run at once. @default no limit */
  readonly parallelism?: number;
}

/** A group of steps that runs once per item of a list, in parallel. */
export class ParallelFor extends Construct {
  /** @param scope a pipeline or group @param id the group's name @param props what to loop over */
  constructor(
    scope: Construct,
    id: string,
    public readonly props: ParallelForProps,
  ) {
    super(scope, id);
  }

  /** The current item, or the field `field` of it when items are objects. */
  public item(field?: string): LoopItemRef {
    return new LoopItemRef(this, field);
  }
}
