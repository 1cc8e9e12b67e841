/**
 * The two building blocks of the props schemas (props.ts, props-data.ts): a strict object
 * that names its unknown fields, and a value a builder reads and reports itself.
 */
import type { IConstruct } from 'constructs';
import { z } from 'zod';

/** A strict object whose unknown fields are named, with the fields it does know (and `hint`, if given). */
export function props<T extends z.core.$ZodLooseShape>(shape: T, hint = '') {
  const known = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code !== 'unrecognized_keys') return undefined;
      const keys = issue.keys.map((k) => `'${k}'`).join(', ');
      return `${issue.keys.length === 1 ? 'unknown field' : 'unknown fields'} ${keys}; the fields are ${known}${hint}`;
    },
  });
}

/** Read and reported by a builder: construct references, Durations, Comparisons, Secret references. */
export const byBuilder = z.any();

/** Where most constructs keep the props they were given. */
export const PROPS = (c: IConstruct): unknown => (c as IConstruct & { props: unknown }).props;

/** A construct kind, its props schema, and where its instances keep the props their user wrote. */
export type PropsEntry = readonly [
  abstract new (...args: never[]) => IConstruct,
  z.ZodType,
  (c: IConstruct) => unknown,
];

/**
 * true when A and B name the same keys: each schema file asserts it for every props interface, so `tsc` fails on a
 * field added to one only.
 */
export type Same<A, B> = [Exclude<A, B>, Exclude<B, A>] extends [never, never] ? true : false;
