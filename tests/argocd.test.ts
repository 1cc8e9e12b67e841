/**
 * The Argo CD app of apps: every Application in dist/<env>/argocd/ validates against the
 * Argo CD types (@kubernetes-models/argo-cd validate() plus unknown fields rejected, as
 * for Argo Workflows), points at a folder of dist/ that exists and holds only
 * Kubernetes objects, and follows the environment's repository, revision and namespace.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Application } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { bindEnvironment } from '../constructs/model/bind-environment.ts';
import { buildModel } from '../constructs/model/build.ts';
import { buildApp } from '../main.ts';
import { renderAll } from '../synth/render.ts';
import { readTree } from '../synth/writer.ts';
import { TARGETS } from '../targets/index.ts';
import { argocdTarget } from '../targets/argocd/index.ts';
import { kubernetesFile, type Target, type TargetOutput } from '../targets/types.ts';
import { ROOT } from './support/process.ts';
import { ARGOCD_TYPES, type StrictProblem, strictCheck } from './support/strict-schema.ts';

type Json = Record<string, any>;
const DIST = join(ROOT, 'dist');
const model = buildModel(buildApp());
const tree = readTree(DIST);
const applications = [...tree]
  .filter(([path]) => path.split('/')[1] === 'argocd')
  .map(([path, text]) => [path, parse(text) as Json] as const);

describe('Argo CD: the app of apps validates strictly', () => {
  let problems: StrictProblem[] = [];
  beforeAll(() => {
    problems = strictCheck(applications.map(([name, value]) => ({ name, type: ARGOCD_TYPES.Application, value })));
  });

  it('has a root and one Application per target folder with Kubernetes objects, for every environment', () => {
    for (const env of model.environments) {
      const own = applications.filter(([p]) => p.startsWith(`${env.name}/`)).map(([p]) => p);
      expect(own).toContain(`${env.name}/argocd/root.yaml`);
      const withObjects = new Set(
        renderAll(model, TARGETS)
          .filter((f) => f.kubernetes && f.path.startsWith(`${env.name}/`) && !f.path.includes('/argocd/'))
          .map((f) => f.path.split('/')[1]),
      );
      for (const target of withObjects)
        expect(
          own.some((p) => p === `${env.name}/argocd/apps/${target}.yaml`),
          `${env.name}: no Application for ${target}`,
        ).toBe(true);
    }
  });

  for (const [name, object] of applications) {
    it(`${name}: @kubernetes-models validate() and no unknown fields`, () => {
      expect(() => new Application(object as never).validate()).not.toThrow();
      expect(problems.filter((p) => p.subject === name).map((p) => `${p.path}: ${p.message}`)).toEqual([]);
    });
  }

  it('each child points at an existing dist/ folder of Kubernetes objects, in its environment', () => {
    const kubernetes = new Set(
      renderAll(model, TARGETS)
        .filter((f) => f.kubernetes)
        .map((f) => f.path),
    );
    for (const [name, app] of applications.filter(([p]) => p.includes('/apps/'))) {
      const env = model.environments.find((e) => name.startsWith(`${e.name}/`))!;
      const path: string = app.spec.source.path;
      expect(existsSync(join(ROOT, path)), `${name}: ${path} does not exist`).toBe(true);
      const files = [...tree.keys()].filter((p) => `dist/${p}`.startsWith(`${path}/`));
      expect(files.length).toBeGreaterThan(0);
      for (const f of files) expect(kubernetes.has(f), `${name}: ${f} is not a Kubernetes object`).toBe(true);
      expect(app.spec.source.repoURL).toBe(env.gitops.repoURL);
      expect(app.spec.source.targetRevision).toBe(env.gitops.targetRevision);
      expect(app.spec.destination.namespace).toBe(env.namespace);
      expect(app.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
      expect(app.spec.syncPolicy.syncOptions).toContain('CreateNamespace=true');
      // Wave -1 is the ServiceAccounts' (targets/accounts/), the first; the others 0 and up.
      const wave = Number(app.metadata.annotations['argocd.argoproj.io/sync-wave']);
      expect(wave, name).toBe(app.metadata.name.endsWith('-accounts') ? -1 : Math.max(0, wave));
    }
  });

  it('the root syncs the apps folder of its own environment', () => {
    for (const env of model.environments) {
      const root = applications.find(([p]) => p === `${env.name}/argocd/root.yaml`)![1];
      expect(root.spec.source.path).toBe(`dist/${env.name}/argocd/apps`);
      expect(root.spec.destination.namespace).toBe('argocd');
    }
  });
});

describe('Argo CD: the checks reject bad Applications', () => {
  const base = applications.find(([p]) => p.includes('/apps/'))![1];
  const cases: [string, (a: Json) => void, RegExp][] = [
    [
      'an unknown field in the sync policy',
      (a) => {
        a.spec.syncPolicy.automatic = true;
      },
      /automatic/,
    ],
    [
      'a misspelt source field',
      (a) => {
        a.spec.source.repoUrl = a.spec.source.repoURL;
      },
      /repoUrl/,
    ],
    [
      'a missing destination',
      (a) => {
        delete a.spec.destination;
      },
      /destination/,
    ],
    [
      'a wrong type',
      (a) => {
        a.spec.syncPolicy.retry.limit = 'five';
      },
      /limit|string/,
    ],
  ];
  const mutated = cases.map(([name, mutate]) => {
    const value = structuredClone(base);
    mutate(value);
    return { name, type: ARGOCD_TYPES.Application, value };
  });
  let problems: StrictProblem[] = [];
  beforeAll(() => {
    problems = strictCheck(mutated);
  });
  for (const [name, , expected] of cases) {
    it(`rejects ${name}`, () => {
      const mine = problems.filter((p) => p.subject === name);
      expect(mine.length).toBeGreaterThan(0);
      expect(mine.map((p) => `${p.path} ${p.message}`).join('\n')).toMatch(expected);
    });
  }
});

describe('sync waves are declared by the targets, not by Argo CD', () => {
  it('a target the Argo CD target has never heard of gets the wave it declares', () => {
    const model = buildModel(buildApp());
    const newcomer: Target = {
      name: 'newcomer',
      syncWave: 7,
      appliesTo: () => true,
      render: () => [
        kubernetesFile('objects/thing.yaml', [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'thing' } }]),
      ],
    };
    const files = renderAll({ ...model, environments: model.environments.slice(0, 1) }, [newcomer, argocdTarget]);
    const app = parse(files.find((f) => f.path.endsWith('/argocd/apps/newcomer.yaml'))!.content);
    expect(app.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('7');
    expect(app.spec.source.path).toMatch(/\/newcomer\/objects$/);
  });
});

/**
 * What the child Applications' sync waves claim (SYNC_WAVE in targets/types.ts, each target's own,
 * docs/gitops.md): an object that reads a ConfigMap at run time (a volume, envFrom,
 * configMapKeyRef) finds it synced by its own Application or by one of an earlier wave.
 * Argo CD orders objects by wave only inside one Application; across Applications only the
 * root's waves order, so a ConfigMap synced by another Application of the same or a later
 * wave may be missing when the object's pods start.
 */
interface WaveApp {
  name: string;
  wave: number;
  path: string;
}
function configMapReads(o: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(o)) for (const v of o) configMapReads(v, out);
  else if (o && typeof o === 'object') {
    for (const [k, v] of Object.entries(o as Json)) {
      if (
        (k === 'configMap' || k === 'configMapRef' || k === 'configMapKeyRef') &&
        v &&
        typeof (v as Json).name === 'string'
      )
        out.add((v as Json).name);
      configMapReads(v, out);
    }
  }
  return out;
}
/** The ServiceAccounts an object's pods run as (a pod template's, a WorkflowTemplate's, a step's). */
function serviceAccountReads(o: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(o)) for (const v of o) serviceAccountReads(v, out);
  else if (o && typeof o === 'object') {
    for (const [k, v] of Object.entries(o as Json)) {
      if (k === 'serviceAccountName' && typeof v === 'string') out.add(v);
      serviceAccountReads(v, out);
    }
  }
  return out;
}
/** What an object needs to exist before its pods start: `ConfigMap/<name>`, `ServiceAccount/<name>`. */
const needs = (o: unknown) => [
  ...[...configMapReads(o)].map((n) => `ConfigMap/${n}`),
  ...[...serviceAccountReads(o)].map((n) => `ServiceAccount/${n}`),
];
/**
 * Every object that needs a ConfigMap or a ServiceAccount another Application, not of an
 * earlier wave, syncs. A pod whose ServiceAccount does not exist is never created (the Job
 * controller retries; a Sync hook Job then holds its wave until its deadline).
 */
function waveViolations(apps: readonly WaveApp[], files: ReadonlyMap<string, string>): string[] {
  const owner = (path: string) => apps.find((a) => `dist/${path}`.startsWith(`${a.path}/`));
  const objects = [...files].flatMap(([path, text]) => {
    const app = owner(path);
    return app ? parseAllDocuments(text).map((d) => ({ path, app, object: d.toJSON() as Json })) : [];
  });
  const syncedBy = new Map(
    objects
      .filter((o) => o.object.kind === 'ConfigMap' || o.object.kind === 'ServiceAccount')
      .map((o) => [`${o.object.kind}/${o.object.metadata.name}`, o.app]),
  );
  const out: string[] = [];
  for (const { path, app, object } of objects) {
    for (const need of needs(object)) {
      const from = syncedBy.get(need);
      if (from && from !== app && from.wave >= app.wave) {
        out.push(
          `${path}: ${object.kind} ${object.metadata.name} (${app.name}, wave ${app.wave}) ` +
            `${need.startsWith('ServiceAccount/') ? 'runs as' : 'reads'} ${need.replace('/', ' ')}, ` +
            `synced by ${from.name} in wave ${from.wave}`,
        );
      }
    }
  }
  return out;
}
function waveApps(env: string): WaveApp[] {
  return applications
    .filter(([p]) => p.startsWith(`${env}/argocd/apps/`))
    .map(([, a]) => ({
      name: a.metadata.name as string,
      wave: Number(a.metadata.annotations['argocd.argoproj.io/sync-wave']),
      path: a.spec.source.path as string,
    }));
}

describe('Argo CD: the sync waves order what they claim', () => {
  for (const env of model.environments) {
    const title =
      `${env.name}: every ConfigMap an object reads and every ServiceAccount it runs as is synced by its own ` +
      'Application or one of an earlier wave';
    it(title, () => {
      const apps = waveApps(env.name);
      const reads = [...tree]
        .filter(([p]) => p.startsWith(`${env.name}/`))
        .filter(([, t]) => configMapReads(parseAllDocuments(t).map((d) => d.toJSON())).size > 0);
      expect(apps.length).toBeGreaterThan(0);
      expect(waveViolations(apps, tree)).toEqual([]);
      // The check has something to check where an environment has cross-Application reads.
      if (env.name === 'staging') expect(reads.length).toBeGreaterThan(1);
    });
  }

  it('fails when a ServiceAccount is synced in a later wave than a Job that runs as it', () => {
    // The Chronon apply hook (wave 0) runs as the environment's ServiceAccount; synced by
    // an Application of wave 1 it does not exist when the hook's pod is to be created.
    const files = new Map(tree);
    files.set(
      'staging/argo/late-account.yaml',
      'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: dfp-runner\n  namespace: ml-staging\n',
    );
    const apps = waveApps('staging').filter((a) => !a.name.endsWith('-accounts'));
    expect(waveViolations(apps, files).join('\n')).toContain(
      'staging/chronon/sync/chronon-apply.yaml: Job chronon-apply (staging-chronon, wave 0) runs as ' +
        'ServiceAccount dfp-runner, synced by staging-argo in wave 1',
    );
  });

  it('fails when a ConfigMap is synced in the same wave as the object that reads it', () => {
    const argo = waveApps('staging').find((a) => a.name === 'staging-argo')!.wave;
    const apps = waveApps('staging').map((a) => ({ ...a, wave: a.name === 'staging-dbt' ? argo : a.wave }));
    expect(waveViolations(apps, tree).join('\n')).toContain(
      `WorkflowTemplate kronodroid-features (staging-argo, wave ${argo}) reads ConfigMap dbt-kronodroid-profile, ` +
        `synced by staging-dbt in wave ${argo}`,
    );
  });
});

describe('Argo CD: a Sync hook cannot hold a sync for ever', () => {
  // Argo CD waits for a Sync hook Job without a timeout of its own: a hook pod that never
  // starts (an image that cannot be pulled) or a CLI that waits on an unreachable store
  // would hold its Application's sync, and from wave 0 every later wave (docs/gitops.md).
  const hooks = [...tree].flatMap(([path, text]) =>
    parseAllDocuments(text)
      .map((d) => d.toJSON() as Json)
      .filter((o) => o?.kind === 'Job' && o.metadata?.annotations?.['argocd.argoproj.io/hook'])
      .map((o) => ({ path, job: o })),
  );
  it('every environment renders Sync hooks (Feast, Chronon, DataHub)', () => {
    expect(new Set(hooks.map((h) => h.job.metadata.name))).toEqual(
      new Set(['feast-apply', 'chronon-apply', 'datahub-ingest']),
    );
  });
  it('every hook Job has a deadline and a bounded number of retries', () => {
    const unbounded = hooks
      .filter(
        (h) =>
          !(Number.isInteger(h.job.spec.activeDeadlineSeconds) && h.job.spec.activeDeadlineSeconds > 0) ||
          !(Number.isInteger(h.job.spec.backoffLimit) && h.job.spec.backoffLimit <= 5),
      )
      .map((h) => `${h.path}: Job ${h.job.metadata.name}`);
    expect(hooks.length).toBeGreaterThan(0);
    expect(unbounded).toEqual([]);
  });
});

describe('Argo CD: the ServiceAccounts pods run as are synced first, once', () => {
  // The accounts target reads the objects other targets hand over with their files
  // (KubernetesFile.objects), not their text: the two must be the same documents.
  it('every Kubernetes file a target renders holds exactly the objects it hands to later targets', () => {
    let checked = 0;
    for (const env of model.environments) {
      const bound = bindEnvironment(model, env);
      const outputs: TargetOutput[] = [];
      for (const target of [...TARGETS.filter((t) => !t.last), ...TARGETS.filter((t) => t.last)]) {
        if (!target.appliesTo(env)) continue;
        const files = target.render(bound, env, target.last ? outputs : []);
        outputs.push({ target: target.name, syncWave: target.syncWave ?? 1, files });
        for (const f of files.filter((x) => x.kubernetes)) {
          const objects = JSON.parse(JSON.stringify(f.objects)) as unknown;
          expect(
            parseAllDocuments(f.content).map((d) => d.toJSON() as unknown),
            `${env.name}/${target.name}/${f.path}`,
          ).toEqual(objects);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  for (const env of model.environments) {
    const title =
      `${env.name}: every serviceAccountName has its ServiceAccount in accounts/ (wave -1), ` +
      'and no other folder renders one';
    it(title, () => {
      const objects = [...tree]
        .filter(([p]) => p.startsWith(`${env.name}/`) && !p.startsWith(`${env.name}/argocd/`))
        .flatMap(([p, text]) =>
          p.endsWith('.yaml') ? parseAllDocuments(text).map((d) => ({ path: p, object: d.toJSON() as Json })) : [],
        )
        .filter((o) => o.object && typeof o.object === 'object');
      const used = new Set(objects.flatMap((o) => [...serviceAccountReads(o.object)]));
      const accounts = objects.filter((o) => o.object.kind === 'ServiceAccount');
      expect(used.size).toBeGreaterThan(0);
      expect(accounts.filter((a) => !a.path.startsWith(`${env.name}/accounts/`)).map((a) => a.path)).toEqual([]);
      expect(accounts.map((a) => a.object.metadata.name).sort()).toEqual([...used].sort());
      const app = applications.find(([p]) => p === `${env.name}/argocd/apps/accounts.yaml`)?.[1];
      expect(app?.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('-1');
    });
  }
});
