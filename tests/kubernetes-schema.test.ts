/**
 * Every built-in Kubernetes object dfp renders (the benchmark Jobs, the ConfigMaps)
 * passes the schema of the pinned Kubernetes version strictly, as checked by the
 * kubernetes-validate package; mutated copies show that an unknown field and a missing
 * required field are rejected.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { KvmAccess } from '../android/index.ts';
import { buildModel } from '../constructs/model/build.ts';
import { renderAll } from '../synth/render.ts';
import { readTree } from '../synth/writer.ts';
import { TARGETS } from '../targets/index.ts';
import { benchmarkJob } from './fixtures/android.ts';
import { testApp } from './support/fixtures.ts';
import { isBuiltInKind, validateKubernetes, type KubernetesResult } from './support/kubernetes.ts';
import { ROOT } from './support/process.ts';

type Json = Record<string, any>;

function builtInObjects(): Map<string, Json> {
  const objects = new Map<string, Json>();
  for (const [path, content] of readTree(join(ROOT, 'dist'))) {
    if (!/\.ya?ml$/.test(path)) continue;
    parseAllDocuments(content).forEach((doc, i) => {
      const o = doc.toJS() as Json | null;
      if (o && isBuiltInKind(o.apiVersion)) objects.set(`dist/${path}#${i}`, o);
    });
  }
  // A device-plugin Job, which dist/ does not hold: restricted pod, extended resource.
  const app = testApp();
  benchmarkJob(app, { kvm: KvmAccess.devicePlugin() });
  for (const f of renderAll(buildModel(app), TARGETS).filter((x) => x.path.startsWith('test/android/'))) {
    objects.set(`fixture/${f.path}`, parse(f.content));
  }
  return objects;
}

const failures = (rs: readonly KubernetesResult[]) =>
  rs
    .filter((r) => !r.ok)
    .map((r) => `${r.name} ${r.path}: ${r.error}`)
    .join('\n');

describe('rendered Kubernetes objects pass the Kubernetes 1.28 schema, strictly', () => {
  const objects = builtInObjects();
  let results: KubernetesResult[] = [];
  beforeAll(() => {
    results = validateKubernetes([...objects].map(([name, object]) => ({ name, object })));
  });

  it('finds the benchmark Job of every environment, the device-plugin Job and the ConfigMaps', () => {
    const names = [...objects.keys()];
    expect(names).toEqual(
      expect.arrayContaining([
        'dist/dev/android/kronodroid-runtime-benchmark.yaml#0',
        'dist/prod/android/kronodroid-runtime-benchmark.yaml#0',
        'fixture/test/android/bench.yaml',
      ]),
    );
    expect([...objects.values()].filter((o) => o.kind === 'Job').length).toBeGreaterThanOrEqual(3);
    expect(results).toHaveLength(objects.size);
  });

  for (const name of objects.keys()) {
    it(`${name} is valid`, () => {
      expect(failures(results.filter((r) => r.name === name))).toBe('');
    });
  }
});

describe('the strict schema rejects bad Jobs', () => {
  const job = builtInObjects().get('dist/dev/android/kronodroid-runtime-benchmark.yaml#0')!;
  const mutate = (change: (o: Json) => void): Json => {
    const copy = structuredClone(job);
    change(copy);
    return copy;
  };

  it('an unknown field in the container, a misspelt Job field, a missing container name, a wrong type', () => {
    const [unknown, misspelt, missing, wrongType, unchanged] = validateKubernetes([
      {
        name: 'unknown',
        object: mutate((o) => {
          o.spec.template.spec.containers[0].imagePullPolicyy = 'Always';
        }),
      },
      {
        name: 'misspelt',
        object: mutate((o) => {
          o.spec.backofLimit = 2;
        }),
      },
      {
        name: 'missing',
        object: mutate((o) => {
          delete o.spec.template.spec.containers[0].name;
        }),
      },
      {
        name: 'wrongType',
        object: mutate((o) => {
          o.spec.backoffLimit = 'twice';
        }),
      },
      { name: 'unchanged', object: job },
    ]);
    expect(unknown).toMatchObject({ ok: false, path: 'spec.template.spec.containers.0' });
    expect(unknown!.error).toMatch(/'imagePullPolicyy' was unexpected/);
    expect(misspelt).toMatchObject({ ok: false, path: 'spec' });
    expect(misspelt!.error).toMatch(/'backofLimit' was unexpected/);
    expect(missing).toMatchObject({
      ok: false,
      path: 'spec.template.spec.containers.0',
      error: "'name' is a required property",
    });
    expect(wrongType).toMatchObject({ ok: false, path: 'spec.backoffLimit' });
    expect(unchanged).toMatchObject({ ok: true });
  });

  it('a kind the pinned version does not know', () => {
    const [r] = validateKubernetes([
      { name: 'x', object: { apiVersion: 'batch/v9', kind: 'Job', metadata: { name: 'x' } } },
    ]);
    expect(r!.ok).toBe(false);
  });
});
