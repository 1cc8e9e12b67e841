/**
 * An exception thrown while the user's definition code builds the app (a duplicate
 * construct id, an error the user's own function throws, a TypeError in it), said as a
 * user can act on it: the construct path where there is one, what to change, and the
 * user's own `file:line` (synth/user-frame.ts), never a stack trace or a bundle path.
 */
import type { IConstruct } from 'constructs';
import { userFrame } from './user-frame.ts';

/** The class a construct was made from, as the user wrote it (a bundler may prefix `_` or add a digit). */
const kindOf = (c: IConstruct) => c.constructor.name.replace(/^_+/, '').replace(/\d+$/, '');

/** constructs' own message for a duplicate id: `There is already a Construct with name 'x' in Pipeline [iris]`. */
const DUPLICATE = /^There is already a Construct with name '([^']*)' in \S+(?: \[(.*)\])?$/;

/** The lines to print (without the trailing "dist/ was left unchanged."). */
export function describeBuildError(e: unknown, app: IConstruct | undefined): string {
  const err = e instanceof Error ? e : new Error(String(e));
  const where = userFrame(err);
  const at = where ? `\n  at ${where}` : '';
  const dup = DUPLICATE.exec(err.message);
  if (dup) {
    const [, id, parentId = ''] = dup;
    const parent = app?.node.findAll().find((c) => c.node.id === parentId && c.node.tryFindChild(id!) !== undefined);
    const existing = parent?.node.tryFindChild(id!);
    const path = parent && parent.node.path !== '' ? `${parent.node.path}/${id}` : id!;
    const under = parent && parent.node.path !== '' ? `under '${parent.node.path}'` : 'at the top of the app';
    const what = existing ? ` (by ${/^[AEIOU]/.test(kindOf(existing)) ? 'an' : 'a'} ${kindOf(existing)})` : '';
    return (
      `dfp: the definitions could not be built (1 problem):\n  ${path}: the id '${id}' is already taken ${under}` +
      `${what}; give this one another id${at}`
    );
  }
  const kind = err.name && err.name !== 'Error' ? `${err.name}: ` : '';
  // A construct path to go by: the last construct created before the throw (the tree is built in order).
  const all = app?.node.findAll() ?? [];
  const last = all.length > 1 ? all[all.length - 1]! : undefined;
  const during = last ? `\n  the last construct created before it: ${last.node.path}` : '';
  const missing = err.name === 'ReferenceError' ? /^(\S+) is not defined$/.exec(err.message)?.[1] : undefined;
  const fix =
    missing !== undefined
      ? `import '${missing}' in that file (dfp's constructs come from constructs/index.ts), or define it`
      : `fix the code at ${where ?? 'the definitions'}`;
  return (
    `dfp: the definitions could not be built: your code threw ${kind}${err.message}${at}${during}\n  ${fix} ` +
    '(DFP_DEBUG=1 prints the stack)'
  );
}
