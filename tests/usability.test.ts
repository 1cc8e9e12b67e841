/**
 * What a new user met when trying dfp with a pipeline of their own (issue 17): an empty
 * pipeline, props of the wrong shape through a cast, a problem listed once per
 * environment, a name suggestion that was itself invalid, `synth --pipeline` rendering
 * everything, and environments that could not choose their pipelines.
 */
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Condition,
  ContainerStep,
  Environment,
  ParallelFor,
  Pipeline,
  Resources,
  Schedule,
  eq,
  type ContainerStepProps,
  type EnvironmentProps,
} from '../constructs/index.ts';
import { type DfpApp } from '../app/dfp-app.ts';
import { DfpError, Problems } from '../constructs/model/errors.ts';
import { checkDnsLabel, checkDnsSubdomain, checkEnvVar, checkIdentifier } from '../constructs/model/names.ts';
import { buildModel } from '../constructs/model/build.ts';
import { buildApp } from '../main.ts';
import { renderAll } from '../synth/render.ts';
import { isPipelineFile, pipelineView, synthesize } from '../synth/synth.ts';
import { readTree } from '../synth/writer.ts';
import { TARGETS } from '../targets/index.ts';
import { IMAGE, envProps, modelOrError, testApp } from './support/fixtures.ts';
import { ROOT } from './support/process.ts';

const untyped = <T>(x: unknown) => x as T;
const problemsOf = (app: DfpApp) => {
  const r = modelOrError(app);
  expect(r, 'the app should have been rejected').toBeInstanceOf(DfpError);
  return (r as DfpError).problems;
};
const step = (scope: Pipeline | Condition | ParallelFor, id: string, props: Partial<ContainerStepProps> = {}) =>
  new ContainerStep(scope, id, { image: IMAGE, ...props });

interface Case {
  readonly rule: string;
  readonly setup: (app: DfpApp) => void;
  readonly path: string;
  readonly says: RegExp;
}

const EMPTY: Case[] = [
  {
    rule: 'a pipeline with no steps',
    setup: (a) => {
      new Pipeline(a, 'p');
    },
    path: 'p',
    says: new RegExp(
      /^pipeline 'p' has no steps; add one \(new ContainerStep\(pipeline, /.source +
        /'my-step', \{ image: 'registry\/repository:tag' \}\)\), /.source +
        /or remove the pipeline$/.source,
    ),
  },
  {
    rule: 'a pipeline with only an exit handler',
    setup: (a) => {
      const p = new Pipeline(a, 'p');
      p.onExit(step(p, 'done'));
    },
    path: 'p',
    says: /^pipeline 'p' has no steps besides its exit handler; add one/,
  },
];

/** Each of these was dropped without a word before: the builders read only the fields they know. */
const WRONG_SHAPE: Case[] = [
  {
    rule: 'resources with cpu and memory at the top',
    setup: (a) => step(new Pipeline(a, 'p'), 's', { resources: untyped({ cpu: '2x', memory: '1Gi' }) }),
    path: 'p/s',
    says: new RegExp(
      /^resources: unknown fields 'cpu', 'memory'; the fields are /.source +
        /requests, limits, gpu, devices \(cpu and memory go under requests /.source +
        /and limits: Resources.fixed\('2', '1Gi'\) sets both\); give /.source +
        /it the type the construct's props document$/.source,
    ),
  },
  {
    rule: 'resources given the factory instead of its result',
    setup: (a) => step(new Pipeline(a, 'p'), 's', { resources: untyped(Resources.fixed) }),
    path: 'p/s',
    says: /^resources: Invalid input: expected object, received function/,
  },
  {
    rule: 'resources given the Resources class',
    setup: (a) => step(new Pipeline(a, 'p'), 's', { resources: untyped(Resources) }),
    path: 'p/s',
    says: /^resources: Invalid input: expected object, received function/,
  },
  {
    rule: 'a misspelt quantity',
    setup: (a) => step(new Pipeline(a, 'p'), 's', { resources: untyped({ requests: { cpu: '1', mem: '1Gi' } }) }),
    path: 'p/s',
    says: /^resources.requests: unknown field 'mem'; the fields are cpu, memory/,
  },
  {
    rule: 'a misspelt gpu field',
    setup: (a) => step(new Pipeline(a, 'p'), 's', { resources: untyped({ gpu: { count: 1, kind: 'amd.com/gpu' } }) }),
    path: 'p/s',
    says: /^resources.gpu: unknown field 'kind'; the fields are count, resource/,
  },
  {
    rule: 'a misspelt step prop',
    setup: (a) => step(new Pipeline(a, 'p'), 's', untyped({ timeOut: 30 })),
    path: 'p/s',
    says: /^props: unknown field 'timeOut'; the fields are image, /,
  },
  {
    rule: 'a node selector that is a string',
    setup: (a) => step(new Pipeline(a, 'p'), 's', { nodeSelector: untyped('gpu') }),
    path: 'p/s',
    says: /^nodeSelector: Invalid input: expected record, received string/,
  },
  {
    rule: 'a security profile that is a string',
    setup: (a) => step(new Pipeline(a, 'p'), 's', { security: untyped('privileged') }),
    path: 'p/s',
    says: /^security: Invalid input: expected object, received string/,
  },
  {
    rule: 'an output spec that is a number',
    setup: (a) => step(new Pipeline(a, 'p'), 's', { outputs: untyped({ score: 5 }) }),
    path: 'p/s',
    says: /^outputs.score: expected a type name \('string', 'int', \.\.\.\) or \{ type\?, description\? \}/,
  },
  {
    rule: 'a plain volume with a misspelt field',
    setup: (a) =>
      step(new Pipeline(a, 'p'), 's', {
        volumes: untyped([{ kind: 'pvc', name: 'data', claimName: 'data', mountPath: '/data', readonly: true }]),
      }),
    path: 'p/s',
    says: /^volumes\[0\]: unknown field 'readonly'; the fields are kind, name, claimName, mountPath, readOnly/,
  },
  {
    rule: 'a misspelt toleration field',
    setup: (a) =>
      step(new Pipeline(a, 'p'), 's', {
        tolerations: untyped([{ key: 'gpu', operator: 'Exists', efect: 'NoSchedule' }]),
      }),
    path: 'p/s',
    says: /^tolerations\[0\]: unknown field 'efect'/,
  },
  {
    rule: 'a misspelt retry field',
    setup: (a) => step(new Pipeline(a, 'p'), 's', { retry: untyped({ limit: 2, backoff: 10 }) }),
    path: 'p/s',
    says: /^retry: unknown field 'backoff'; the fields are limit, backoffSeconds/,
  },
  {
    rule: 'a misspelt pipeline prop',
    setup: (a) => step(new Pipeline(a, 'p', untyped({ schedul: Schedule.daily() })), 's'),
    path: 'p',
    says: /^props: unknown field 'schedul'; the fields are description, parameters, schedule, tags, timeout/,
  },
  {
    rule: 'a schedule that is a cron string',
    setup: (a) => step(new Pipeline(a, 'p', { schedule: untyped('0 6 * * *') }), 's'),
    path: 'p',
    says: /^schedule: expected a Schedule \(Schedule.cron\(\.\.\.\) or Schedule.daily\(\.\.\.\)\)/,
  },
  {
    rule: 'a misspelt parameter field',
    setup: (a) => step(new Pipeline(a, 'p', { parameters: { n: untyped({ type: 'int', defualt: 3 }) } }), 's'),
    path: 'p',
    says: /^parameters.n: unknown field 'defualt'; the fields are type, default, description/,
  },
  {
    rule: 'a misspelt loop prop',
    setup: (a) => step(new ParallelFor(new Pipeline(a, 'p'), 'each', untyped({ items: [1], paralellism: 2 })), 's'),
    path: 'p/each',
    says: /^props: unknown field 'paralellism'; the fields are items, parallelism/,
  },
  {
    rule: 'an extra condition prop',
    setup: (a) => step(new Condition(new Pipeline(a, 'p'), 'g', untyped({ when: eq('a', 'a'), otherwise: true })), 's'),
    path: 'p/g',
    says: /^props: unknown field 'otherwise'; the fields are when/,
  },
  {
    rule: 'a misspelt environment prop',
    setup: (a) => {
      new Environment(a, 'bad', untyped<EnvironmentProps>({ ...envProps(), orchestrater: 'airflow' }));
    },
    path: 'bad',
    says: /^props: unknown field 'orchestrater'; the fields are namespace, orchestrator, /,
  },
  {
    rule: 'a misspelt endpoint',
    setup: (a) => {
      new Environment(
        a,
        'bad',
        envProps({
          endpoints: untyped({
            lakefs: 'http://l:8000',
            mlflow: 'http://m:5000',
            s3: 'http://s:9000',
            minio: 'http://s:9000',
          }),
        }),
      );
    },
    path: 'bad',
    says: /^endpoints: unknown field 'minio'; the fields are lakefs, mlflow, s3/,
  },
];

const SELECTION: Case[] = [
  {
    rule: 'an environment selecting an unknown pipeline',
    setup: (a) => {
      step(new Pipeline(a, 'p'), 's');
      new Environment(a, 'bad', envProps({ pipelines: ['q'] }));
    },
    path: 'bad',
    says: new RegExp(
      /^pipelines: 'q' is not a pipeline of this app; use /.source +
        /the name of a Pipeline \(one of 'p'\), or leave /.source +
        /pipelines out to render every pipeline$/.source,
    ),
  },
  {
    rule: 'an environment selecting a pipeline twice',
    setup: (a) => {
      step(new Pipeline(a, 'p'), 's');
      new Environment(a, 'bad', envProps({ pipelines: ['p', 'p'] }));
    },
    path: 'bad',
    says: /^pipelines: 'p' is listed twice; list each pipeline once$/,
  },
  {
    rule: 'an environment selecting pipelines with a string',
    setup: (a) => {
      step(new Pipeline(a, 'p'), 's');
      new Environment(a, 'bad', envProps({ pipelines: untyped('p') }));
    },
    path: 'bad',
    says: /^pipelines: Invalid input: expected array, received string/,
  },
];

describe('each mistake a new user made is refused at its construct path, with what to change', () => {
  for (const c of [...EMPTY, ...WRONG_SHAPE, ...SELECTION]) {
    it(c.rule, () => {
      const app = testApp();
      c.setup(app);
      const problems = problemsOf(app);
      const match = problems.find((p) => c.says.test(p.message));
      expect(
        match,
        `no problem says ${c.says}; got:\n${problems.map((p) => `${p.path}: ${p.message}`).join('\n')}`,
      ).toBeDefined();
      expect(match!.path).toBe(c.path);
    });
  }

  it('the props check passes every valid definition (the examples, with their factories and plain objects)', () => {
    expect(() => buildModel(buildApp())).not.toThrow();
  });
});

describe('a problem that does not depend on the environment is listed once', () => {
  it('an untagged image with three environments of the same policy: one problem naming all three', () => {
    const app = testApp();
    new Environment(app, 'second', envProps({ namespace: 'ml-second' }));
    new Environment(app, 'third', envProps({ namespace: 'ml-third', orchestrator: 'airflow' }));
    step(new Pipeline(app, 'p'), 's', { image: 'registry.dfp.internal/test/step' });
    expect(problemsOf(app)).toEqual([
      {
        path: 'p/s',
        message:
          "image 'registry.dfp.internal/test/step' is not pinned, but environments 'second', 'test', 'third' " +
          "forbid untagged and ':latest' images (imageTagPolicy 'no-latest'); give it a version tag or a digest",
      },
    ]);
  });

  it('two policies broken: one problem per policy, each naming its environments', () => {
    const app = testApp();
    new Environment(app, 'strict', envProps({ namespace: 'ml-strict', imageTagPolicy: 'digest' }));
    step(new Pipeline(app, 'p'), 's', { image: 'registry.dfp.internal/test/step:latest' });
    expect(problemsOf(app).map((p) => `${p.path}: ${p.message}`)).toEqual([
      "p/s: image 'registry.dfp.internal/test/step:latest' has no digest, but environment 'strict' requires " +
        "one (imageTagPolicy 'digest'); pin it as '<image>@sha256:…'",
      "p/s: image 'registry.dfp.internal/test/step:latest' is not pinned, but environment 'test' forbids " +
        "untagged and ':latest' images (imageTagPolicy 'no-latest'); give it a version tag or a digest",
    ]);
  });

  it('Problems lists the same problem at the same path once, and different ones all', () => {
    const problems = new Problems();
    problems.add('p/s', 'x');
    problems.add('p/s', 'x');
    problems.add('p/t', 'x');
    problems.add('p/s', 'y');
    expect(() => problems.throwIfAny()).toThrow(DfpError);
    try {
      problems.throwIfAny();
    } catch (e) {
      expect((e as DfpError).problems).toEqual([
        { path: 'p/s', message: 'x' },
        { path: 'p/t', message: 'x' },
        { path: 'p/s', message: 'y' },
      ]);
    }
  });
});

describe('a suggested name passes the rule it is suggested for', () => {
  const CHECKS: [string, (name: string) => string | undefined][] = [
    ['DNS-1123 label', (n) => checkDnsLabel('name', n)],
    ['DNS-1123 subdomain', (n) => checkDnsSubdomain('name', n)],
    ['snake_case identifier', (n) => checkIdentifier('name', n)],
    ['environment variable', checkEnvVar],
  ];
  const suggestion = (message: string) => /\(e\.g\. '([^']*)'\)$/.exec(message)?.[1];

  for (const [what, check] of CHECKS) {
    it(`${what}: a 300-character name is quoted short, and the suggestion is valid`, () => {
      const name = `My_${'Long-Name.'.repeat(30)}`.slice(0, 300);
      const message = check(name);
      if (what === 'environment variable') {
        expect(message).toMatch(/^environment variable 'My_Long-Name\.Long-Name\.Long-Name…' \(300 characters\)/);
      } else {
        expect(message).toMatch(/^name 'My_Long-Name\.Long-Name\.Long-Name…' \(300 characters\) must be/);
      }
      const s = suggestion(message!)!;
      // An environment variable may be that long: only its invalid characters are replaced.
      if (what !== 'environment variable') expect(message!.length).toBeLessThan(300);
      expect(check(s), `suggested '${s}'`).toBeUndefined();
      if (what !== 'environment variable') expect(s.length).toBeLessThanOrEqual(63);
    });

    it(`${what}: for any invalid name, the suggestion is valid (500 runs)`, () => {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.string({ maxLength: 300 }),
            fc.string({ unit: 'binary', maxLength: 80 }),
            fc.stringMatching(/^[-_.A-Za-z0-9]{60,70}$/),
          ),
          (name) => {
            const message = check(name);
            if (message === undefined) return;
            const s = suggestion(message);
            expect(s, message).toBeDefined();
            expect(check(s!), `for '${name}' suggested '${s}'`).toBeUndefined();
          },
        ),
        { numRuns: 500 },
      );
    });
  }
});

describe('an environment renders the pipelines it selects', () => {
  const app = () => {
    const a = testApp();
    new Environment(a, 'only-one', envProps({ namespace: 'ml-one', orchestrator: 'airflow', pipelines: ['first'] }));
    step(new Pipeline(a, 'first'), 's');
    step(new Pipeline(a, 'second'), 's');
    return a;
  };

  it(
    'its orchestrator and review pages hold the selected pipeline only; an environment without pipelines: holds ' +
      'all',
    () => {
      const paths = renderAll(buildModel(app()), TARGETS).map((f) => f.path);
      expect(paths.filter((p) => p.startsWith('only-one/') && (p.includes('/dags/') || p.includes('/docs/')))).toEqual([
        'only-one/airflow/dags/first.py',
        'only-one/docs/first.md',
      ]);
      expect(paths.filter((p) => p.startsWith('test/argo/workflow-templates/'))).toEqual([
        'test/argo/workflow-templates/first.yaml',
        'test/argo/workflow-templates/second.yaml',
      ]);
    },
  );

  it('a selected pipeline renders exactly as it does unselected', () => {
    const files = new Map(renderAll(buildModel(app()), TARGETS).map((f) => [f.path, f.content]));
    const a = testApp(false);
    new Environment(a, 'only-one', envProps({ namespace: 'ml-one', orchestrator: 'airflow' }));
    step(new Pipeline(a, 'first'), 's');
    const alone = renderAll(buildModel(a), TARGETS).find((f) => f.path === 'only-one/airflow/dags/first.py')!;
    expect(files.get('only-one/airflow/dags/first.py')).toBe(alone.content);
  });
});

describe('synth --pipeline renders only that pipeline', () => {
  const model = buildModel(buildApp());
  const full = renderAll(model, TARGETS);

  for (const p of model.pipelines) {
    it(`${p.name}: its files rendered alone are those of a full synth, and nothing else is rendered`, () => {
      const alone = renderAll(pipelineView(model, p.name), TARGETS).filter((f) => f.pipeline === p.name);
      const expected = full.filter((f) => f.pipeline === p.name);
      expect(alone.length).toBeGreaterThan(0);
      expect(alone).toEqual(expected);
    });
  }

  it(
    "a pipeline's files are those its targets say it owns, whatever their names: kronodroid-features includes " +
      "dlt's",
    () => {
      const dist = join(mkdtempSync(join(tmpdir(), 'dfp-one-')), 'dist');
      cpSync(join(ROOT, 'dist'), dist, { recursive: true });
      const result = synthesize(buildApp({ distDir: dist }), { distDir: dist, pipeline: 'kronodroid-features' });
      const paths = result.files.map((f) => f.path);
      const dlt = paths.filter((p) => p.split('/')[1] === 'dlt');
      // Not named after the pipeline: config.toml of its load step and the ConfigMap of it.
      expect(dlt).toContain('dev/dlt/kronodroid-features/dlt-load/config.toml');
      expect(dlt).toContain('dev/dlt/sync/dlt-kronodroid-features-dlt-load.yaml');
      expect(dlt.some((p) => isPipelineFile(p, 'kronodroid-features'))).toBe(false);
      expect(paths).toEqual(full.filter((f) => f.pipeline === 'kronodroid-features').map((f) => f.path));
      expect(readTree(dist)).toEqual(readTree(join(ROOT, 'dist')));
    },
  );

  it("synthesize writes the pipeline's files only and keeps every other file of dist/", () => {
    const dist = join(mkdtempSync(join(tmpdir(), 'dfp-one-')), 'dist');
    cpSync(join(ROOT, 'dist'), dist, { recursive: true });
    const result = synthesize(buildApp({ distDir: dist }), { distDir: dist, pipeline: 'iris' });
    expect(result.files.length).toBeGreaterThan(0);
    expect(result.files.every((f) => f.pipeline === 'iris' && isPipelineFile(f.path, 'iris'))).toBe(true);
    expect(result.files.map((f) => f.path)).toEqual(full.filter((f) => f.pipeline === 'iris').map((f) => f.path));
    expect(readTree(dist)).toEqual(readTree(join(ROOT, 'dist')));
  });

  it('an unknown pipeline is refused with the names there are', () => {
    expect(() => pipelineView(model, 'irs')).toThrow(/no pipeline is named 'irs'; use one of .*iris/);
  });
});
