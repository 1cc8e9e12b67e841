/**
 * The Role a transform engine renders grants exactly the Kubernetes API calls its launcher
 * (images/dfp_tools/dfp_tools/run_transform.py) makes, read from the launcher's code: each
 * `custom.<method>(` / `batch.<method>(` call becomes (API group, resource, verb), and the
 * calls that fetch the run template (`template = …`) are on both engines' paths, because
 * the launcher always asks for a SparkApplication first and falls back to a Job on 404.
 * The API server authorises before it looks up, so a missing `get` there is a 403 that
 * stops the launcher, not the 404 it expects. Every Role in dist/ and the transforms
 * golden fixture must grant each call of its engine's path and, for the launcher's API
 * groups, nothing else; Spark's Role also holds the driver's rule, checked as declared.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { readTree } from '../synth/writer.ts';
import { DRIVER_RULE } from '../targets/spark/rbac.ts';
import { ROOT } from './support/process.ts';

type Json = Record<string, any>;
type Call = { group: string; resource: string; verb: string; lookup: boolean; line: number };

const LAUNCHER = join(ROOT, 'images', 'dfp_tools', 'dfp_tools', 'run_transform.py');

/** The RBAC verb of a kubernetes-client method; an unknown one fails the test so this table grows with the launcher. */
function verbOf(method: string): string {
  const prefixes: [RegExp, string][] = [
    [/^(get|read)_/, 'get'],
    [/^list_/, 'list'],
    [/^create_/, 'create'],
    [/^delete_collection_/, 'deletecollection'],
    [/^delete_/, 'delete'],
    [/^patch_/, 'patch'],
    [/^replace_/, 'update'],
  ];
  const hit = prefixes.find(([re]) => re.test(method));
  if (!hit)
    throw new Error(`run_transform.py calls ${method}: add its RBAC verb to verbOf in tests/transform-rbac.test.ts`);
  return hit[1];
}

/** Every Kubernetes API call in the launcher's source, with the resource it names. */
export function launcherCalls(source: string): Call[] {
  const spark = /^SPARK = \("([^"]+)", "([^"]+)", "([^"]+)"\)$/m.exec(source);
  if (!spark) throw new Error('run_transform.py no longer defines SPARK = (group, version, plural)');
  const calls: Call[] = [];
  source.split('\n').forEach((text, i) => {
    for (const m of text.matchAll(/\b(custom|batch)\.(\w+)\(/g)) {
      const client = m[1]!,
        method = m[2]!;
      let resource: [string, string];
      if (client === 'custom') {
        if (!/^\w+_namespaced_custom_object$/.test(method) || !text.includes('*SPARK[:2]'))
          throw new Error(`run_transform.py:${i + 1}: a custom-object call not on SPARK: ${method}`);
        resource = [spark[1]!, spark[3]!];
      } else {
        if (!/_namespaced_job$/.test(method))
          throw new Error(`run_transform.py:${i + 1}: a batch call on something other than a Job: ${method}`);
        resource = ['batch', 'jobs'];
      }
      calls.push({
        group: resource[0],
        resource: resource[1],
        verb: verbOf(method),
        lookup: /^\s*template = /.test(text),
        line: i + 1,
      });
    }
  });
  return calls;
}

/** The (group, resource, verb) triples an engine's path through the launcher needs. */
function needed(calls: readonly Call[], engine: 'spark' | 'datafusion'): Set<string> {
  const own = engine === 'spark' ? 'sparkoperator.k8s.io' : 'batch';
  return new Set(calls.filter((c) => c.group === own || c.lookup).map((c) => `${c.group}/${c.resource}:${c.verb}`));
}

function granted(role: Json, groups: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const r of role.rules as Json[]) {
    for (const g of r.apiGroups)
      for (const res of r.resources) for (const v of r.verbs) if (groups.includes(g)) out.add(`${g}/${res}:${v}`);
  }
  return out;
}

function roles(): { name: string; engine: 'spark' | 'datafusion'; role: Json }[] {
  const out: { name: string; engine: 'spark' | 'datafusion'; role: Json }[] = [];
  for (const [label, root] of [
    ['dist', join(ROOT, 'dist')],
    ['golden', join(ROOT, 'tests', 'golden', 'transforms')],
  ] as const) {
    for (const [path, content] of readTree(root)) {
      const m = /^[^/]+\/(spark|datafusion)\/rbac\.yaml$/.exec(path);
      if (!m) continue;
      for (const d of parseAllDocuments(content)) {
        const o = d.toJS() as Json;
        if (o.kind === 'Role') out.push({ name: `${label}/${path}`, engine: m[1] as 'spark' | 'datafusion', role: o });
      }
    }
  }
  return out;
}

describe('transform Roles grant exactly what the launcher calls', () => {
  const calls = launcherCalls(readFileSync(LAUNCHER, 'utf8'));

  it('reads every API call of the launcher: the template lookups, create, poll and delete of both kinds', () => {
    expect(calls.map((c) => `${c.group}/${c.resource}:${c.verb}${c.lookup ? ' (lookup)' : ''}`).sort()).toEqual([
      'batch/jobs:create',
      'batch/jobs:delete',
      'batch/jobs:get',
      'batch/jobs:get (lookup)',
      'sparkoperator.k8s.io/sparkapplications:create',
      'sparkoperator.k8s.io/sparkapplications:delete',
      'sparkoperator.k8s.io/sparkapplications:get',
      'sparkoperator.k8s.io/sparkapplications:get (lookup)',
    ]);
  });

  it('an unknown client method is reported, not skipped', () => {
    expect(() =>
      launcherCalls(
        'SPARK = ("g", "v1", "things")\nx = batch.read_namespaced_job(n)\ny = batch.connect_get_namespaced_job(n)\n',
      ),
    ).toThrow(/connect_get_namespaced_job: add its RBAC verb/);
  });

  const found = roles();
  it("finds both engines' Roles in dist/ and in the golden fixture", () => {
    expect(found.map((r) => r.name)).toEqual(
      expect.arrayContaining([
        'dist/staging/datafusion/rbac.yaml',
        'dist/prod/spark/rbac.yaml',
        'dist/dev/spark/rbac.yaml',
        'golden/on-datafusion/datafusion/rbac.yaml',
        'golden/on-spark/spark/rbac.yaml',
      ]),
    );
  });

  it.each(found.map((r) => [r.name, r] as const))(
    "%s grants each call of its engine's path and nothing more in the launcher's API groups",
    (_, { engine, role }) => {
      const want = [...needed(calls, engine)].sort();
      expect(want).toContain('sparkoperator.k8s.io/sparkapplications:get'); // the first call, on every path
      expect([...granted(role, ['sparkoperator.k8s.io', 'batch'])].sort()).toEqual(want);
      const other = (role.rules as Json[]).filter(
        (r) => !r.apiGroups.every((g: string) => g === 'sparkoperator.k8s.io' || g === 'batch'),
      );
      expect(other).toEqual(engine === 'spark' ? [DRIVER_RULE] : []);
    },
  );

  it("the control: a Role without get on the template's kind is refused", () => {
    const role = { rules: [{ apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'delete', 'get'] }] };
    expect([...granted(role, ['sparkoperator.k8s.io', 'batch'])].sort()).not.toEqual(
      [...needed(calls, 'datafusion')].sort(),
    );
  });
});
