/**
 * The CustomResourceDefinitions the test API server gets, so that it checks dfp's custom
 * objects the way a cluster with those controllers installed does:
 *
 * - Argo Workflows (the full CRDs, with the whole schema) and Argo CD: the release's own
 *   files, read from the module zips pinned and checksummed by scripts/kube-crds/ (go.sum).
 *   The full Argo Workflows CRDs are not structural as published, which an API server
 *   refuses; `structuralArgoSchema` makes the two known gaps structural (see there).
 * - The Spark Operator and Kubeflow Pipelines: their Go modules are not served by the Go
 *   module proxy here, so their CRD files cannot be had as a pinned release. They are
 *   installed with `x-kubernetes-preserve-unknown-fields` under `spec` (`preservingCrd`):
 *   the server checks group, version, kind, metadata, namespace and the top level of the
 *   object; the schema packages (tests/support/spark-operator.ts, tests/conformance/kfp)
 *   still check what is inside `spec`, alone.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from './process.ts';

type Json = Record<string, any>;

const WRAPPER = join(ROOT, 'scripts', 'kube-crds');

/**
 * The module folders and the CRD files of the kinds dfp renders (the test checks that
 * every custom kind in dist/ has one). The Workflow CRD is left out: dfp renders none,
 * and it is the largest by far (2.8 MB).
 */
const RELEASES = [
  { module: 'github.com/argoproj/argo-workflows/v3', dir: 'manifests/base/crds/full', files: ['argoproj.io_workflowtemplates.yaml', 'argoproj.io_cronworkflows.yaml'] },
  { module: 'github.com/argoproj/argo-cd/v3', dir: 'manifests/crds', files: ['application-crd.yaml', 'appproject-crd.yaml'] },
] as const;

/** The module's folder in the Go module cache, downloaded and checked against go.sum. */
function moduleDir(module: string): { dir: string; version: string } {
  const r = spawnSync('go', ['mod', 'download', '-json', module], {
    cwd: WRAPPER,
    encoding: 'utf8',
    env: { ...process.env, GOFLAGS: '-mod=readonly' },
    timeout: 10 * 60_000,
  });
  const info = r.stdout ? (JSON.parse(r.stdout) as Json) : {};
  if (r.status !== 0 || info.Error) throw new Error(`go mod download ${module} (scripts/kube-crds) failed: ${info.Error ?? r.stderr}`);
  return { dir: info.Dir as string, version: info.Version as string };
}

/** A CRD as shipped, with where it came from. */
export interface SourcedCrd {
  readonly source: string;
  readonly crd: Json;
}

/** The Argo Workflows and Argo CD CRDs of the pinned releases, as shipped. */
export function shippedArgoCrds(): SourcedCrd[] {
  return RELEASES.flatMap(({ module, dir, files }) => {
    const m = moduleDir(module);
    return files.map((file) => ({ source: `${module}@${m.version}/${dir}/${file}`, crd: parse(readFileSync(join(m.dir, dir, file), 'utf8')) as Json }));
  });
}

/** The same, made structural where needed (`structuralArgoSchema`). */
export function argoCrds(): SourcedCrd[] {
  const crds = shippedArgoCrds();
  for (const { crd } of crds) for (const v of crd.spec.versions as Json[]) structuralArgoSchema(v.schema.openAPIV3Schema);
  return crds;
}

/** Where `structuralArgoSchema` changed a schema: dotted paths. */
export interface FixUp {
  readonly path: string;
  readonly what: 'untyped field' | 'array without items';
}

/**
 * Argo Workflows' full CRDs, as generated from its Go types, have two kinds of node
 * without a type, which a structural schema (what apiextensions.k8s.io/v1 requires)
 * may not have; an API server refuses the CRD until they have one:
 *
 * - `inline: {}` (a DAG task's or step's inline template, a recursive type the generator
 *   leaves empty) becomes an object whose fields are kept and not checked;
 * - `steps` items `{type: array}` with no `items` (ParallelSteps, which marshals itself)
 *   get items that are objects whose fields are kept and not checked.
 *
 * dfp renders neither (its templates are DAGs of named templates), so nothing dfp writes
 * goes unchecked because of this. Changes `schema` in place; returns what it changed.
 */
export function structuralArgoSchema(schema: Json): FixUp[] {
  const fixed: FixUp[] = [];
  const open = () => ({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
  const walk = (node: Json, path: string): void => {
    if (node.type === 'array' && node.items === undefined) {
      node.items = open();
      fixed.push({ path, what: 'array without items' });
    }
    for (const [name, child] of Object.entries((node.properties ?? {}) as Record<string, Json>)) {
      if (Object.keys(child).length === 0) {
        node.properties[name] = open();
        fixed.push({ path: `${path}.${name}`, what: 'untyped field' });
      } else {
        walk(child, `${path}.${name}`);
      }
    }
    if (node.items && typeof node.items === 'object') walk(node.items, `${path}[]`);
    if (node.additionalProperties && typeof node.additionalProperties === 'object') walk(node.additionalProperties, `${path}{}`);
  };
  walk(schema, '');
  return fixed;
}

/**
 * A CRD that checks the object's top level and metadata but keeps whatever is under
 * `spec` and `status` unchecked, for the kinds whose CRD files are not to be had here.
 */
export function preservingCrd(group: string, kind: string, plural: string, versions: readonly string[], shortNames: readonly string[] = []): Json {
  const open = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List`, ...(shortNames.length ? { shortNames } : {}) },
      versions: versions.map((name, i) => ({
        name,
        served: true,
        storage: i === 0,
        schema: { openAPIV3Schema: { type: 'object', properties: { spec: open, status: open } } },
      })),
    },
  };
}

/** The Spark Operator's and Kubeflow Pipelines' kinds that dfp renders, with open specs. */
export function preservingCrds(): SourcedCrd[] {
  return [
    { source: 'preserve-unknown-fields: sparkoperator.k8s.io SparkApplication', crd: preservingCrd('sparkoperator.k8s.io', 'SparkApplication', 'sparkapplications', ['v1beta2']) },
    { source: 'preserve-unknown-fields: pipelines.kubeflow.org Pipeline', crd: preservingCrd('pipelines.kubeflow.org', 'Pipeline', 'pipelines', ['v2beta1']) },
    { source: 'preserve-unknown-fields: pipelines.kubeflow.org PipelineVersion', crd: preservingCrd('pipelines.kubeflow.org', 'PipelineVersion', 'pipelineversions', ['v2beta1']) },
  ];
}
