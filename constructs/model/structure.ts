/**
 * Props of the wrong type (JavaScript callers, casts, `as never`) must still end in a
 * problem at the construct path, never a stack trace. Two nets: a builder that throws on
 * a prop is reported at its construct, and the model's zod schema, checked after the
 * rules (pipelines excepted: build.ts says why), reports each field of the wrong shape at
 * the construct that holds it.
 */
import type { IConstruct } from 'constructs';
import type { z } from 'zod';
import { DfpError, type Problems } from './errors.ts';

const REMEDY = "give it the type the construct's props document";

/** `build()`, or nothing after reporting at `construct` when its props cannot be read. */
export function guarded<T>(problems: Problems, construct: IConstruct, build: () => T): T[] {
  try {
    return [build()];
  } catch (e) {
    if (e instanceof DfpError) throw e;
    problems.add(
      construct.node.path,
      `a prop could not be read (${e instanceof Error ? e.message : String(e)}); ${REMEDY}`,
    );
    return [];
  }
}

/**
 * Each schema issue at the construct path of the nearest model object that has one,
 * unless a rule already reported that construct: its issue is then a consequence (an
 * unpinned table's empty commit), and the rule's message is the one that says what to do.
 */
export function reportIssues(model: unknown, issues: readonly z.core.$ZodIssue[], problems: Problems): void {
  const reported = (path: string) => problems.has(path);
  const found: Array<[string, string]> = [];
  for (const issue of issues) {
    let node: unknown = model;
    let owner = '(app)';
    let field: PropertyKey[] = [];
    for (const key of issue.path) {
      node = node !== null && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined;
      field.push(key);
      const path = node !== null && typeof node === 'object' ? (node as { path?: unknown }).path : undefined;
      if (typeof path === 'string') {
        owner = path;
        field = [];
      }
    }
    found.push([owner, `${fieldName(field)}: ${issue.message}; ${REMEDY}`]);
  }
  for (const [owner, message] of found.filter(([owner]) => !reported(owner))) problems.add(owner, message);
}

/** Each issue of a construct's props, at its construct path. */
export function reportPropIssues(path: string, issues: readonly z.core.$ZodIssue[], problems: Problems): void {
  for (const issue of issues) problems.add(path, `${fieldName(issue.path, 'props')}: ${issue.message}; ${REMEDY}`);
}

/** `resources.requests.cpu`, `tolerations[0].operator`; 'props' for the props object itself. */
function fieldName(field: readonly PropertyKey[], whole = 'a value'): string {
  return (
    field.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i === 0 ? '' : '.'}${String(k)}`)).join('') || whole
  );
}
