/**
 * Conformance of every rendered Argo object: the @kubernetes-models validators (types,
 * required fields, enums) plus a strict check that rejects unknown fields, which those
 * validators accept. Covers dist/, the examples rendered for Argo in every environment and the control-flow
 * golden files, and shows with
 * mutated copies that the checks do reject bad objects.
 */
import { join } from 'node:path';
import { CronWorkflow } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/CronWorkflow';
import { WorkflowTemplate } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/WorkflowTemplate';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildModel } from '../constructs/model/build.ts';
import { buildApp } from '../main.ts';
import { readTree } from '../synth/writer.ts';
import { argoTarget } from '../targets/argo/index.ts';
import { ROOT } from './support/process.ts';
import { ARGO_TYPES, type StrictProblem, type Subject, strictCheck } from './support/strict-schema.ts';

type Json = Record<string, any>;

const MODELS: Record<string, (o: Json) => { validate(): void }> = {
  WorkflowTemplate: (o) => new WorkflowTemplate(o as never),
  CronWorkflow: (o) => new CronWorkflow(o as never),
  ConfigMap: (o) => new ConfigMap(o as never),
};

/**
 * dist/'s Argo files, the control-flow golden files, and the examples rendered for Argo
 * in every environment (whichever orchestrator each environment chose for dist/).
 */
function argoFiles(): Map<string, Json> {
  const files = new Map<string, Json>();
  // rbac.yaml holds ServiceAccounts, a Role and a RoleBinding, no Argo object: the API
  // server checks it (tests/kube-apiserver.test.ts, strict field validation).
  const model = buildModel(buildApp());
  for (const env of model.environments) {
    for (const f of argoTarget.render(model, { ...env, orchestrator: 'argo' }))
      if (!f.path.endsWith('rbac.yaml')) files.set(`examples/${env.name}/argo/${f.path}`, parse(f.content) as Json);
  }
  for (const [root, label] of [
    [join(ROOT, 'dist'), 'dist'],
    [join(ROOT, 'tests', 'golden', 'control-flow'), 'golden'],
  ] as const) {
    for (const [path, content] of readTree(root)) {
      if (path.split('/').includes('argo') && !path.endsWith('rbac.yaml'))
        files.set(`${label}/${path}`, parse(content) as Json);
    }
  }
  return files;
}

/** The subjects to type-check for one rendered object: itself, and any embedded documents. */
function subjectsOf(name: string, object: Json): Subject[] {
  const type = ARGO_TYPES[object.kind as keyof typeof ARGO_TYPES];
  if (!type) throw new Error(`${name}: no schema for kind ${object.kind}`);
  const subjects: Subject[] = [{ name, type, value: object }];
  if (object.kind === 'ConfigMap') {
    for (const [key, text] of Object.entries(object.data ?? {})) {
      subjects.push({ name: `${name}#data.${key}`, type: ARGO_TYPES.ArtifactRepository, value: parse(text as string) });
    }
  }
  return subjects;
}

function validateWithModels(object: Json): void {
  const make = MODELS[object.kind];
  if (!make) throw new Error(`no model for kind ${object.kind}`);
  make(object).validate();
}

/**
 * Where @kubernetes-models/argo-workflows' types disagree with Argo v3.7.9 itself: its
 * `memoize.cache.configMap` is a LocalObjectReference, but v3.7.9's Go type is a
 * ConfigMapKeySelector and its CRD schema requires `key` (the API server refuses a
 * WorkflowTemplate without it; `make e2e` found it applying dist/staging).
 */
const KNOWN_TYPE_ERRORS = [/memoize\.cache\.configMap\.key$/];

const format = (ps: readonly StrictProblem[]) => ps.map((p) => `${p.subject} ${p.path}: ${p.message}`).join('\n');

describe('every rendered Argo object conforms to the Argo and Kubernetes types', () => {
  const files = argoFiles();
  let problems: StrictProblem[] = [];
  beforeAll(() => {
    problems = strictCheck([...files].flatMap(([name, object]) => subjectsOf(name, object))).filter(
      (p) => !KNOWN_TYPE_ERRORS.some((re) => re.test(p.path)),
    );
  });

  it(
    "finds the rendered files (every environment, both examples, the control-flow fixture, staging's committed " +
      'ones)',
    () => {
      const kinds = [...files.values()].map((o) => o.kind);
      // staging is on Argo: its WorkflowTemplates and CronWorkflows are in dist/ as committed.
      for (const f of [
        'workflow-templates/iris.yaml',
        'workflow-templates/kronodroid-autoencoder.yaml',
        'workflow-templates/kronodroid-features.yaml',
        'cron-workflows/iris.yaml',
        'artifact-repositories.yaml',
      ]) {
        expect(files.has(`dist/staging/argo/${f}`), f).toBe(true);
      }
      // dev's two examples and the control-flow fixture (prod renders Airflow DAG files).
      expect(kinds.filter((k) => k === 'WorkflowTemplate').length).toBeGreaterThanOrEqual(3);
      expect(kinds).toContain('CronWorkflow');
      expect(kinds).toContain('ConfigMap');
    },
  );

  for (const [name, object] of files) {
    it(`${name}: @kubernetes-models validate()`, () => {
      expect(() => validateWithModels(object)).not.toThrow();
    });
    it(`${name}: no unknown fields, types and required fields hold`, () => {
      expect(format(problems.filter((p) => p.subject === name || p.subject.startsWith(`${name}#`)))).toBe('');
    });
  }
});

describe('the checks reject bad objects', () => {
  const files = argoFiles();
  const template = structuredClone(files.get('examples/dev/argo/workflow-templates/kronodroid-autoencoder.yaml')!);
  const config = structuredClone(files.get('examples/dev/argo/artifact-repositories.yaml')!);
  const containerTemplate = (o: Json) => o.spec.templates.findIndex((t: Json) => t.container);

  const mutate = (base: Json, change: (o: Json) => void): Json => {
    const copy = structuredClone(base);
    change(copy);
    return copy;
  };
  const strict = (name: string, object: Json) => strictCheck(subjectsOf(name, object));

  it('an unknown field deep inside a container', () => {
    const i = containerTemplate(template);
    const bad = mutate(template, (o) => {
      o.spec.templates[i].container.imagePullPolicyy = 'Always';
    });
    expect(() => validateWithModels(bad)).not.toThrow(); // the package alone accepts it
    const ps = strict('bad', bad);
    expect(ps).toHaveLength(1);
    expect(ps[0]!.path).toBe(`spec.templates[${i}].container.imagePullPolicyy`);
    expect(ps[0]!.message).toMatch(/imagePullPolicyy.*does not exist/);
  });

  it('a misspelt top-level spec field', () => {
    const bad = mutate(template, (o) => {
      o.spec.retryStratgy = { limit: 2 };
    });
    expect(strict('bad', bad).map((p) => p.path)).toEqual(['spec.retryStratgy']);
  });

  it('a missing required field', () => {
    const i = containerTemplate(template);
    const bad = mutate(template, (o) => {
      delete o.spec.templates[i].container.name;
    });
    expect(() => validateWithModels(bad)).toThrow(/name/);
    expect(strict('bad', bad)[0]!.message).toMatch(/'"name"' is missing/);
  });

  it('a value of the wrong type', () => {
    const bad = mutate(template, (o) => {
      o.spec.podGC.strategy = 42;
    });
    expect(() => validateWithModels(bad)).toThrow(/spec\/podGC\/strategy must be string/);
    expect(strict('bad', bad).map((p) => p.path)).toEqual(['spec.podGC.strategy']);
  });

  it('an unknown field inside the artifact repository embedded in the ConfigMap', () => {
    const repo = parse(config.data.dfp);
    repo.s3.bucketName = repo.s3.bucket;
    const bad = mutate(config, (o) => {
      o.data.dfp = JSON.stringify(repo);
    });
    expect(() => validateWithModels(bad)).not.toThrow(); // opaque string to Kubernetes
    const ps = strict('cm', bad);
    expect(ps.map((p) => [p.subject, p.path])).toEqual([['cm#data.dfp', 's3.bucketName']]);
  });
});
