/**
 * Every Kubernetes object dfp renders, applied to a real Kubernetes API server
 * (kube-apiserver v1.34 and etcd, started on 127.0.0.1 by tests/support/kube-apiserver.ts)
 * with server-side dry-run and strict field validation, in the namespace Argo CD would
 * sync it into, with the real Argo Workflows and Argo CD CRDs installed and Pod Security
 * admission enforcing "restricted" in every namespace but the emulator's: dist/, the
 * golden fixtures' output, and the examples rendered for Argo. None may be refused, none
 * may draw a warning except the declared privileged exception, and what the server would
 * store must be what dfp wrote (but for reviewed rewrites). The pod each Job would start
 * must pass Pod Security admission. Mutated copies show the server refuses an unknown
 * field, a wrong type, a missing required field, and a privileged pod in a restricted
 * namespace.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { buildModel } from '../constructs/model/build.ts';
import { buildApp } from '../main.ts';
import { renderAll } from '../synth/render.ts';
import { argoTarget } from '../targets/argo/index.ts';
import { TARGETS } from '../targets/index.ts';
import { startKubeApiServer, type ApiResponse, type KubeApiServer } from './support/kube-apiserver.ts';
import { argoCrds, kubeflowCrds, sparkApplicationCrd, type SourcedCrd } from './support/kube-crds.ts';
import { renderedTree, type KubeObject } from './support/kube-objects.ts';
import { EXCEPTION, podsIn } from './support/pod-security.ts';
import { ROOT } from './support/process.ts';

type Json = Record<string, any>;

const DRY_RUN = 'dryRun=All&fieldValidation=Strict';

/** dist/, the golden fixtures, and the examples rendered for Argo in every environment. */
function subjects(): { objects: KubeObject[]; otherYaml: string[]; destinations: string[] } {
  const dist = renderedTree(join(ROOT, 'dist'), 'dist');
  const golden = renderedTree(join(ROOT, 'tests', 'golden'), 'golden');
  const model = buildModel(buildApp());
  const argo: KubeObject[] = model.environments.flatMap((env) =>
    argoTarget.render(model, { ...env, orchestrator: 'argo' }).flatMap((f) =>
      parseAllDocuments(f.content).map((d, i) => {
        const object = d.toJS() as Json;
        return {
          name: `argo-render/${env.name}/${f.path}#${i}`,
          object,
          namespace: object.metadata?.namespace ?? env.namespace,
        };
      }),
    ),
  );
  return {
    objects: [...dist.objects, ...golden.objects, ...argo],
    otherYaml: [...dist.otherYaml, ...golden.otherYaml],
    destinations: [...new Set([...dist.destinations, ...golden.destinations])].sort(),
  };
}

/**
 * The Argo CRDs here are v4's; dfp renders for v3.7.9, the version the embedded cluster
 * runs and Argo's validator harness checks with, whose CRD requires `key` in
 * memoize.cache.configMap (a ConfigMapKeySelector) where v4's refuses it (a
 * LocalObjectReference). The one field is taken out before v4's CRD sees the object.
 */
function forV4(object: Json): Json {
  if (object.kind !== 'WorkflowTemplate' && object.kind !== 'CronWorkflow') return object;
  const copy = structuredClone(object);
  const templates: Json[] = copy.spec?.templates ?? copy.spec?.workflowSpec?.templates ?? [];
  for (const t of templates) if (t.memoize?.cache?.configMap) delete t.memoize.cache.configMap.key;
  return copy;
}

/** The pod a Job's controller would create: the template's metadata and spec, in the Job's namespace. */
function podOfJob(job: Json, namespace: string): Json {
  const template: Json = job.spec.template;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { ...template.metadata, name: `${job.metadata.name}-pod`, namespace },
    spec: template.spec,
  };
}

/**
 * Where the stored object differs from what was sent: a value missing or changed, by path.
 * Arrays are compared item by item (the server does not reorder them).
 */
function rewrites(sent: unknown, stored: unknown, path = ''): string[] {
  if (sent && typeof sent === 'object') {
    if (!stored || typeof stored !== 'object') return [`${path}: ${JSON.stringify(sent)} -> ${JSON.stringify(stored)}`];
    return Object.entries(sent as Json).flatMap(([k, v]) =>
      rewrites(v, (stored as Json)[k], Array.isArray(sent) ? `${path}[${k}]` : `${path}.${k}`),
    );
  }
  return sent === stored ? [] : [`${path}: ${JSON.stringify(sent)} -> ${JSON.stringify(stored)}`];
}

/**
 * What the API server stores differently from dfp's output, reviewed: a zero value of a
 * field Kubernetes omits when empty (so the stored object means the same), and a memory
 * quantity in Kubernetes' canonical form (the same amount). Any other rewrite fails the
 * test. The emulator Job's come from cdk8s-plus's defaults (docs/security.md says more).
 */
const EMULATOR_REWRITES = [
  '.spec.template.spec.containers[0].resources.limits.memory: "6144Mi" -> "6Gi"',
  '.spec.template.spec.containers[0].resources.requests.memory: "6144Mi" -> "6Gi"',
  '.spec.template.spec.containers[0].volumeMounts[0].readOnly: false -> undefined',
  '.spec.template.spec.containers[0].volumeMounts[1].readOnly: false -> undefined',
  '.spec.template.spec.hostNetwork: false -> undefined',
];
const STORED_REWRITES: Record<string, string[]> = {
  'dist/dev/android/kronodroid-runtime-benchmark.yaml#0': EMULATOR_REWRITES,
  'dist/prod/android/kronodroid-runtime-benchmark.yaml#0': EMULATOR_REWRITES,
  'dist/staging/android/kronodroid-runtime-benchmark.yaml#0': EMULATOR_REWRITES,
  // A transform that reads no table: DFP_INPUT_TABLES is set, to the empty string, either way.
  'golden/transforms/on-datafusion/datafusion/jobs/load-orders.yaml#0': [
    '.spec.template.spec.containers[0].env[5].value: "" -> undefined',
  ],
};

const isException = (o: Json) => podsIn('x', o).some((p) => p.annotations[EXCEPTION.profile] === 'privileged');

let server: KubeApiServer;
const resources = new Map<string, { plural: string; namespaced: boolean }>();

/** The REST resource of `apiVersion`/`kind`, from the server's discovery documents. */
async function resourceOf(apiVersion: string, kind: string): Promise<{ plural: string; namespaced: boolean }> {
  const key = `${apiVersion}/${kind}`;
  if (!resources.has(key)) {
    const r = await server.request('GET', apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`);
    for (const res of (r.body.resources ?? []) as Json[]) {
      if (!String(res.name).includes('/'))
        resources.set(`${apiVersion}/${res.kind}`, { plural: res.name, namespaced: res.namespaced });
    }
  }
  const found = resources.get(key);
  if (!found) throw new Error(`the API server serves no ${kind} in ${apiVersion} (is its CRD installed?)`);
  return found;
}

/** POST `object` (dry-run, strict unless `real`) into `namespace`. */
async function create(object: Json, namespace: string | null, real = false): Promise<ApiResponse> {
  const { plural, namespaced } = await resourceOf(object.apiVersion, object.kind);
  const base = object.apiVersion.includes('/') ? `/apis/${object.apiVersion}` : `/api/${object.apiVersion}`;
  const scope = namespaced ? `/namespaces/${namespace}` : '';
  return server.request('POST', `${base}${scope}/${plural}${real ? '?fieldValidation=Strict' : `?${DRY_RUN}`}`, object);
}

const refusal = (r: ApiResponse) =>
  r.status >= 200 && r.status < 300
    ? ''
    : `${r.status} ${r.body.reason ?? ''}: ${r.body.message ?? JSON.stringify(r.body)}`;

async function installCrd({ source, crd }: SourcedCrd): Promise<void> {
  const r = await server.request(
    'POST',
    '/apis/apiextensions.k8s.io/v1/customresourcedefinitions?fieldValidation=Strict',
    crd,
  );
  if (refusal(r)) throw new Error(`the API server refused the CRD ${source}: ${refusal(r)}`);
  const deadline = Date.now() + 60_000;
  const { group, versions, names } = crd.spec;
  for (;;) {
    const got = await server.request(
      'GET',
      `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`,
    );
    const established = (got.body.status?.conditions ?? []).some(
      (c: Json) => c.type === 'Established' && c.status === 'True',
    );
    const discovery = established ? await server.request('GET', `/apis/${group}/${versions[0].name}`) : undefined;
    if (discovery?.body.resources?.some((x: Json) => x.name === names.plural)) return;
    if (Date.now() > deadline) throw new Error(`the CRD ${source} was not established within 60 s`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

const PSA = 'pod-security.kubernetes.io';
const { objects, otherYaml, destinations } = subjects();
/** The namespaces that run a declared privileged exception: they admit privileged pods and warn on the rest. */
const privileged = [...new Set(objects.filter((s) => isException(s.object)).map((s) => s.namespace!))].sort();
const namespaces = [
  ...new Set([...destinations, ...objects.map((s) => s.namespace).filter((n): n is string => !!n)]),
].sort();
const jobs = objects.filter((s) => s.object.kind === 'Job');
const results = new Map<string, ApiResponse>();
const podResults = new Map<string, ApiResponse>();
const counts = { controls: 0, refusedControls: 0 };

beforeAll(async () => {
  const started = Date.now();
  server = await startKubeApiServer();
  for (const crd of [...argoCrds(), sparkApplicationCrd(), ...kubeflowCrds()]) await installCrd(crd);
  for (const name of namespaces) {
    const labels = privileged.includes(name)
      ? { [`${PSA}/enforce`]: 'privileged', [`${PSA}/warn`]: 'restricted', [`${PSA}/audit`]: 'restricted' }
      : { [`${PSA}/enforce`]: 'restricted' };
    const ns = await create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } }, null, true);
    if (refusal(ns)) throw new Error(`namespace ${name}: ${refusal(ns)}`);
  }
  // No controller manager runs, so no ServiceAccount controller: the test makes the
  // `default` ServiceAccount of each namespace, and the ones the Jobs' pods name (the
  // platform's, which dfp's output references and does not create).
  // The accounts dfp renders (the accounts target, dist/<env>/accounts/) are created for real
  // from their own objects, below, instead.
  const renderedAccounts = new Map<string, Json>();
  for (const s of objects)
    if (s.object.kind === 'ServiceAccount') renderedAccounts.set(`${s.namespace}/${s.object.metadata.name}`, s.object);
  const accounts = new Set(namespaces.map((n) => `${n}/default`));
  for (const j of jobs) accounts.add(`${j.namespace}/${j.object.spec.template.spec.serviceAccountName ?? 'default'}`);
  for (const account of [...accounts].filter((a) => !renderedAccounts.has(a)).sort()) {
    const [namespace, name] = account.split('/');
    const sa = await create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name } }, namespace!, true);
    if (refusal(sa)) throw new Error(`ServiceAccount ${account}: ${refusal(sa)}`);
  }
  const madeAccounts = new Map<string, ApiResponse>();
  for (const s of objects) {
    if (s.object.kind === 'ServiceAccount') {
      // Created for real once (the Jobs' pods need it); the same account rendered again (by
      // another example's environment) must be the same object, and gets the first answer.
      const key = `${s.namespace}/${s.object.metadata.name}`;
      if (!madeAccounts.has(key)) madeAccounts.set(key, await create(s.object, s.namespace, true));
      else expect(s.object, `${s.name} differs from the other ${key}`).toEqual(renderedAccounts.get(key));
      results.set(s.name, madeAccounts.get(key)!);
      continue;
    }
    results.set(s.name, await create(forV4(s.object), s.namespace));
  }
  for (const j of jobs) podResults.set(j.name, await create(podOfJob(j.object, j.namespace!), j.namespace));
  console.log(
    `kube-apiserver: ${namespaces.length} namespaces (privileged: ${privileged.join(', ')}), set up and ` +
      `applied in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}, 40 * 60_000);

afterAll(async () => {
  const refused = [...results.values()].filter((r) => refusal(r)).length;
  const kinds = new Map<string, number>();
  for (const s of objects) kinds.set(s.object.kind, (kinds.get(s.object.kind) ?? 0) + 1);
  console.log(
    `kube-apiserver: applied ${results.size} objects with server-side dry-run and strict field validation, ` +
      `refused ${refused} (${[...kinds]
        .sort()
        .map(([k, n]) => `${n} ${k}`)
        .join(', ')}); ` +
      (`${podResults.size} Job pods admitted by PodSecurity, refused ` +
        `${[...podResults.values()].filter((r) => refusal(r)).length}; controls refused ${counts.refusedControls}` +
        ` of ${counts.controls}`),
  );
  for (const [name, r] of results) if (refusal(r)) console.log(`kube-apiserver: refused ${name}: ${refusal(r)}`);
  const warned = [...results, ...podResults].filter(([, r]) => r.warnings.length > 0).map(([name]) => name);
  console.log(
    `kube-apiserver: warnings on ${warned.length} objects and pods, each the declared privileged exception: ` +
      `${[...new Set(warned)].join(', ')}`,
  );
  await server?.stop();
});

describe('the objects under test', () => {
  it(
    'are every Kubernetes object of dist/, the goldens and the Argo renders; the other YAML files are Kubeflow ' +
      'IR, Feast settings, DataHub recipes and the dbt profiles and sources',
    () => {
      const kinds = new Set(objects.map((s) => s.object.kind));
      for (const kind of [
        'Application',
        'WorkflowTemplate',
        'CronWorkflow',
        'SparkApplication',
        'Job',
        'ConfigMap',
        'Role',
        'RoleBinding',
        'Pipeline',
        'PipelineVersion',
      ])
        expect(kinds).toContain(kind);
      for (const path of otherYaml)
        expect(path).toMatch(
          new RegExp(
            [
              /\/kubeflow\/pipelines\/[^/]+\.yaml$/,
              /\/feast\/[^/]+\/feature_store\.yaml$/,
              /\/datahub\/recipe\.yml$/,
              /\/dbt\/[^/]+\/(profiles|sources)\.yml$/,
            ]
              .map((r) => r.source)
              .join('|'),
          ),
        );
      // synth's own flag of Kubernetes files agrees with what is read back from dist/.
      const flagged = renderAll(buildModel(buildApp()), TARGETS)
        .filter((f) => f.kubernetes)
        .map((f) => `dist/${f.path}`)
        .sort();
      const read = [
        ...new Set(objects.filter((s) => s.name.startsWith('dist/')).map((s) => s.name.replace(/#\d+$/, ''))),
      ].sort();
      expect(read).toEqual(flagged);
    },
  );

  it("each has the namespace it is synced into; the emulator benchmark's are the privileged ones", () => {
    expect(objects.filter((s) => !s.namespace).map((s) => s.name)).toEqual([]);
    expect(privileged).toEqual(['ml-dev', 'ml-prod', 'ml-staging']);
    expect(namespaces).toEqual([
      'argocd',
      'ml-datafusion',
      'ml-dev',
      'ml-features',
      'ml-features-chronon',
      'ml-golden',
      'ml-prod',
      'ml-spark',
      'ml-staging',
    ]);
    for (const env of buildModel(buildApp()).environments) expect(namespaces).toContain(env.namespace);
  });
});

describe('the API server accepts every object', () => {
  for (const s of objects) {
    it(`${s.name} (${s.object.kind} in ${s.namespace})`, () => {
      const r = results.get(s.name)!;
      if (refusal(r)) throw new Error(`the API server refused ${s.name}: ${refusal(r)}`);
      // A dry-run answer is the object as it would be stored, which is what Argo CD then
      // compares with dist/: all that dfp wrote is in it, unchanged, but for the rewrites
      // listed in STORED_REWRITES.
      expect(rewrites(forV4(s.object), r.body)).toEqual(STORED_REWRITES[s.name] ?? []);
      if (isException(s.object)) {
        // The emulator's six controls, as Pod Security admission names them.
        const warning = r.warnings.join('\n');
        expect(warning).toMatch(/^would violate PodSecurity "restricted:latest": /);
        for (const check of [
          'privileged (',
          'allowPrivilegeEscalation != false',
          'unrestricted capabilities',
          'restricted volume types',
          'runAsNonRoot != true',
          'seccompProfile',
        ])
          expect(warning).toContain(check);
      } else {
        expect(r.warnings).toEqual([]);
      }
    });
  }
});

describe('Pod Security admission admits the pod of every Job', () => {
  for (const j of jobs) {
    it(`${j.name} in ${j.namespace}`, () => {
      const r = podResults.get(j.name)!;
      expect(refusal(r)).toBe('');
      if (isException(j.object)) {
        // Admitted only because its namespace enforces privileged; warn=restricted still reports it.
        expect(privileged).toContain(j.namespace);
        expect(r.warnings.join('\n')).toMatch(/would violate PodSecurity "restricted:latest"/);
      } else {
        expect(r.warnings).toEqual([]);
      }
    });
  }
});

describe('the CRDs are checked by the server too', () => {
  it('the Argo CRDs were installed as shipped; a CRD whose schema is not structural is refused', async () => {
    const template = argoCrds().find((c) => c.crd.spec.names.kind === 'WorkflowTemplate')!;
    expect(template.source).toMatch(/^github.com\/argoproj\/argo-workflows\/v4@v4\.0\.5\//);
    const installed = await server.request(
      'GET',
      `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${template.crd.metadata.name}`,
    );
    expect(installed.body.spec.versions[0].schema).toEqual(template.crd.spec.versions[0].schema);
    // Argo Workflows v3.6's full CRDs had both of these gaps.
    const broken = structuredClone(template.crd);
    const tpl = broken.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.templates.items;
    tpl.properties.steps.items = { type: 'array' };
    tpl.properties.dag.properties.tasks.items.properties.inline = {};
    counts.controls++;
    const r = await server.request(
      'POST',
      `/apis/apiextensions.k8s.io/v1/customresourcedefinitions?${DRY_RUN}`,
      broken,
    );
    if (r.status === 422) counts.refusedControls++;
    expect(r.status).toBe(422);
    expect(r.body.message).toContain('properties[steps].items.items: Required value');
    expect(r.body.message).toContain('properties[inline].type: Required value');
  });
});

describe('the API server refuses bad objects (mutation controls)', () => {
  const find = (predicate: (s: KubeObject) => boolean) => objects.find(predicate)!;
  // A Job of a restricted namespace, so that its pod is judged by the restricted profile.
  const job = find((s) => s.object.kind === 'Job' && !privileged.includes(s.namespace!));
  const exceptionJob = find((s) => s.object.kind === 'Job' && isException(s.object));
  const template = find((s) => s.object.kind === 'WorkflowTemplate');
  const application = find((s) => s.object.kind === 'Application');
  const spark = find((s) => s.object.kind === 'SparkApplication');
  const version = find((s) => s.object.kind === 'PipelineVersion');
  const restricted = namespaces.find((n) => !privileged.includes(n) && n !== 'argocd')!;
  const mutate = (s: KubeObject, change: (o: Json) => void): Json => {
    const copy = structuredClone(forV4(s.object));
    change(copy);
    return copy;
  };
  const refused = async (object: Json, namespace: string, status: number, message: RegExp) => {
    counts.controls++;
    const r = await create(object, namespace);
    if (r.status === status && message.test(String(r.body.message))) counts.refusedControls++;
    expect(r.status, JSON.stringify(r.body)).toBe(status);
    expect(r.body.message).toMatch(message);
  };

  it('an unknown field in a Job, a WorkflowTemplate and an Application', async () => {
    await refused(
      mutate(job, (o) => {
        o.spec.backofLimit = 2;
      }),
      job.namespace!,
      400,
      /strict decoding error: unknown field "spec.backofLimit"/,
    );
    await refused(
      mutate(template, (o) => {
        o.spec.templates.find((t: Json) => t.container).container.imagee = 'x';
      }),
      template.namespace!,
      400,
      /unknown field "spec.templates\[\d+\].container.imagee"/,
    );
    await refused(
      mutate(application, (o) => {
        o.spec.destination.namespaec = 'x';
      }),
      application.namespace!,
      400,
      /unknown field "spec.destination.namespaec"/,
    );
  });

  it('an unknown field in a SparkApplication (generated CRD) and a PipelineVersion (open CRD)', async () => {
    await refused(
      mutate(spark, (o) => {
        o.spec.driver.memry = '1g';
      }),
      spark.namespace!,
      400,
      /unknown field "spec.driver.memry"/,
    );
    await refused(
      mutate(version, (o) => {
        o.specc = {};
      }),
      version.namespace!,
      400,
      /unknown field "specc"/,
    );
  });

  it('a wrong type', async () => {
    await refused(
      mutate(job, (o) => {
        o.spec.backoffLimit = 'twice';
      }),
      job.namespace!,
      400,
      /backoffLimit/,
    );
    await refused(
      mutate(template, (o) => {
        o.spec.templates[0].name = 42;
      }),
      template.namespace!,
      422,
      /spec.templates\[0\].name: Invalid value: "integer": spec.templates\[0\].name in body must be of type string/,
    );
    await refused(
      mutate(spark, (o) => {
        o.spec.executor.instances = 'two';
      }),
      spark.namespace!,
      422,
      /spec.executor.instances: Invalid value: "string": spec.executor.instances in body must be of type integer/,
    );
  });

  it('a missing required field', async () => {
    await refused(
      mutate(job, (o) => {
        delete o.spec.template.spec.containers[0].name;
      }),
      job.namespace!,
      422,
      /spec.template.spec.containers\[0\].name: Required value/,
    );
    await refused(
      mutate(application, (o) => {
        delete o.spec.destination;
      }),
      application.namespace!,
      422,
      /spec.destination: Required value/,
    );
    await refused(
      mutate(spark, (o) => {
        delete o.spec.mainApplicationFile;
      }),
      spark.namespace!,
      422,
      /spec.mainApplicationFile: Required value/,
    );
  });

  it('a privileged pod in a restricted namespace', async () => {
    await refused(
      podOfJob(exceptionJob.object, restricted),
      restricted,
      403,
      /violates PodSecurity "restricted:latest": privileged/,
    );
    // and a pod that only forgets to drop its capabilities
    const pod = podOfJob(job.object, job.namespace!);
    delete pod.spec.containers[0].securityContext.capabilities;
    await refused(pod, job.namespace!, 403, /violates PodSecurity "restricted:latest": unrestricted capabilities/);
  });

  it('an object in a namespace that does not exist', async () => {
    await refused(
      mutate(job, (o) => {
        o.metadata.namespace = 'ml-nowhere';
      }),
      'ml-nowhere',
      404,
      /namespaces "ml-nowhere" not found/,
    );
  });
});
