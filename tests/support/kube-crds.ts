/**
 * The CustomResourceDefinitions the test API server gets, so that it checks dfp's custom
 * objects the way a cluster with those controllers installed does:
 *
 * - Argo Workflows (the full CRDs, with the whole schema) and Argo CD: the release's own
 *   files, as shipped, read from the module zips pinned and checksummed by
 *   scripts/kube-crds/ (go.sum). Argo Workflows is v4: dfp's Argo output is written
 *   for it (the schema package tests/argo-schema.test.ts uses is generated from v4, and
 *   `retryStrategy.backoff.cap` is a v4 field that v3.6's CRD refuses). v4's full CRDs
 *   are structural as shipped; v3.6's were not (`inline: {}`, `steps` items without
 *   `items`) and needed a fix-up that v4 does not.
 * - The Spark Operator and Kubeflow Pipelines: their Go modules are not served by the Go
 *   module proxy here, so their CRD files cannot be had as a pinned release.
 *   SparkApplication's CRD is generated from the operator's own API models, which
 *   tests/support/spark-operator.ts already trusts (tests/conformance/spark-operator/crd.py):
 *   the same Go types, through the operator's OpenAPI spec. Kubeflow Pipelines publishes
 *   no schema for its v2beta1 Pipeline and PipelineVersion in a package here, so those are
 *   installed with `x-kubernetes-preserve-unknown-fields` under `spec` (`preservingCrd`):
 *   the server checks group, version, kind, metadata, namespace and the top level of the
 *   object, and tests/conformance/kfp still checks what is inside `spec`, alone.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from './process.ts';

type Json = Record<string, any>;

const WRAPPER = join(ROOT, 'scripts', 'kube-crds');

/**
 * The module folders and the CRD files of the kinds dfp renders (a kind without
 * one fails the test: the server serves no such resource). The others (Workflow, ClusterWorkflowTemplate,
 * ApplicationSet, …) are left out: dfp renders none, and each full Argo Workflows CRD is
 * about 2.5 MB to install.
 */
const RELEASES = [
  {
    module: 'github.com/argoproj/argo-workflows/v4',
    dir: 'manifests/base/crds/full',
    files: ['argoproj.io_workflowtemplates.yaml', 'argoproj.io_cronworkflows.yaml'],
  },
  {
    module: 'github.com/argoproj/argo-cd/v3',
    dir: 'manifests/crds',
    files: ['application-crd.yaml', 'appproject-crd.yaml'],
  },
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
  if (r.status !== 0 || info.Error)
    throw new Error(`go mod download ${module} (scripts/kube-crds) failed: ${info.Error ?? r.stderr}`);
  return { dir: info.Dir as string, version: info.Version as string };
}

/** A CRD as shipped, with where it came from. */
export interface SourcedCrd {
  readonly source: string;
  readonly crd: Json;
}

/** The Argo Workflows and Argo CD CRDs of the pinned releases, as shipped. */
export function argoCrds(): SourcedCrd[] {
  return RELEASES.flatMap(({ module, dir, files }) => {
    const m = moduleDir(module);
    return files.map((file) => ({
      source: `${module}@${m.version}/${dir}/${file}`,
      crd: parse(readFileSync(join(m.dir, dir, file), 'utf8')) as Json,
    }));
  });
}

/**
 * A CRD that checks the object's top level and metadata but keeps whatever is under
 * `spec` and `status` unchecked, for the kinds whose CRD files are not to be had here.
 */
export function preservingCrd(group: string, kind: string, plural: string, versions: readonly string[]): Json {
  const open = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: versions.map((name, i) => ({
        name,
        served: true,
        storage: i === 0,
        schema: { openAPIV3Schema: { type: 'object', properties: { spec: open, status: open } } },
      })),
    },
  };
}

/** The SparkApplication CRD made from the Spark Operator's API models, by the harness's locked environment. */
export function sparkApplicationCrd(): SourcedCrd {
  const harness = join(ROOT, 'tests', 'conformance', 'spark-operator');
  const python = join(harness, '.venv', 'bin', 'python');
  if (!existsSync(python))
    throw new Error(`${python} is missing; run 'make python' (make test does) to create the harness environment`);
  const r = spawnSync(python, [join(harness, 'crd.py')], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`tests/conformance/spark-operator/crd.py failed (${r.status}): ${r.stderr}`);
  return {
    source: 'generated from kubeflow-spark-api (tests/conformance/spark-operator/crd.py)',
    crd: JSON.parse(r.stdout) as Json,
  };
}

/** Kubeflow Pipelines' kinds that dfp renders, with open specs. */
export function kubeflowCrds(): SourcedCrd[] {
  return [
    {
      source: 'preserve-unknown-fields: pipelines.kubeflow.org Pipeline',
      crd: preservingCrd('pipelines.kubeflow.org', 'Pipeline', 'pipelines', ['v2beta1']),
    },
    {
      source: 'preserve-unknown-fields: pipelines.kubeflow.org PipelineVersion',
      crd: preservingCrd('pipelines.kubeflow.org', 'PipelineVersion', 'pipelineversions', ['v2beta1']),
    },
  ];
}
