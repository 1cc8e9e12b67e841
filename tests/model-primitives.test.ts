/**
 * The small parsers under the rules (quantities, names, cron), checked against the
 * consumers that define them where one runs here, and the model's own guarantees:
 * the examples build, and the model is frozen plain JSON.
 */
import { CronWorkflow } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/CronWorkflow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildModel } from '../constructs/model/build.ts';
import { checkCron, checkTimezone, numericCron } from '../constructs/model/cron.ts';
import { checkDnsLabel, checkIdentifier, checkImage, checkUrl, imageTagAndDigest } from '../constructs/model/names.ts';
import { parseQuantity } from '../constructs/model/quantity.ts';
import { buildApp } from '../main.ts';

const RUNS = Number(process.env.DFP_PROPERTY_RUNS ?? 500);

describe('quantities', () => {
  it.each([
    ['500m', 0.5],
    ['2', 2],
    ['1.5', 1.5],
    ['.5', 0.5],
    ['4Gi', 4 * 2 ** 30],
    ['512Mi', 512 * 2 ** 20],
    ['1k', 1000],
    ['1e3', 1000],
    ['+1', 1],
    ['-2', -2],
  ])('%s is %d', (text, value) => {
    expect(parseQuantity(text)).toBe(value);
  });
  it.each(['', '4GB', '1.2.3', 'm', '1 Gi', 'two', '1mi', 'Gi4'])('%j is not a quantity', (text) => {
    expect(parseQuantity(text)).toBeUndefined();
  });
});

describe('names', () => {
  it('suggests a valid DNS label for an invalid one', () => {
    expect(checkDnsLabel('step name', 'Train_Model!')).toMatch(/e\.g\. 'train-model'/);
    expect(checkDnsLabel('step name', 'a'.repeat(64))).toMatch(/at most 63/);
    expect(checkDnsLabel('step name', 'a'.repeat(63))).toBeUndefined();
  });
  it('suggests snake_case for parameter names', () => {
    expect(checkIdentifier('parameter', 'Learning-Rate')).toMatch(/e\.g\. 'learning_rate'/);
    expect(checkIdentifier('parameter', 'learning_rate')).toBeUndefined();
  });
  it('reads image tags and digests', () => {
    expect(imageTagAndDigest('localhost:5000/team/app:1.2')).toEqual({ tag: '1.2', digest: undefined });
    expect(imageTagAndDigest('localhost:5000/team/app')).toEqual({ tag: undefined, digest: undefined });
    expect(imageTagAndDigest(`app@sha256:${'a'.repeat(64)}`).digest).toBe(`sha256:${'a'.repeat(64)}`);
    expect(checkImage('ghcr.io/org/app:v1')).toBeUndefined();
    expect(checkImage('App:Latest Version')).toMatch(/image 'App:Latest Version' is not a valid image reference/);
  });
  it('refuses URLs that carry credentials, and does not echo the password', () => {
    const message = checkUrl('endpoints.mlflow', 'https://user:s3cret@mlflow.example.com');
    expect(message).toMatch(/must not carry credentials/);
    expect(message).not.toContain('s3cret');
  });
});

describe('cron', () => {
  it.each(['0 6 * * *', '*/15 * * * *', '0 0 1 JAN,jul *', '30 2 * * MON-FRI', '0 0 * * 0', '@daily', ' 0 6 * * * '])(
    'accepts %j',
    (e) => {
      expect(checkCron(e)).toBeUndefined();
    },
  );
  // Each rejection names what is wrong with that schedule, not only that something is.
  it.each([
    ['', /must have 5 fields/],
    ['* * * *', /must have 5 fields/],
    ['60 * * * *', /'60' is out of range for the minute field \(0-59\)/],
    ['0 0 0 * *', /'0' is out of range for the day-of-month field \(1-31\)/],
    ['0 0 * 13 *', /'13' is out of range for the month field \(1-12\)/],
    ['0 0 * * 7', /'7' is out of range for the day-of-week field \(0-6\)/],
    ['*/0 * * * *', /step '0' in the minute field must be a positive number/],
    ['1-2-3 * * * *', /'1-2-3' is not a minute range/],
    ['@fortnightly', /or be a macro such as '@daily'/],
    ['0 0 * * FOO', /'FOO' is out of range for the day-of-week field/],
  ] as const)('rejects %j and says why', (e, why) => {
    expect(checkCron(e)).toMatch(why);
  });
  it('spells names as numbers', () => {
    expect(numericCron('*/30 6-18 * * MON-FRI')).toBe('*/30 6-18 * * 1-5');
    expect(numericCron('0 0 1 jan,DEC sun')).toBe('0 0 1 1,12 0');
    expect(numericCron('@weekly')).toBe('@weekly');
  });
  it('time zones are IANA names', () => {
    expect(checkTimezone('Europe/Berlin')).toBeUndefined();
    expect(checkTimezone('UTC')).toBeUndefined();
    expect(checkTimezone('CEST+1')).toMatch(/time zone 'CEST\+1' is not an IANA name/);
  });

  // Every schedule dfp accepts must be one Argo's CronWorkflow schema accepts once rendered.
  const term = (min: number, max: number, names: readonly string[] = []) =>
    fc.oneof(
      fc.constant('*'),
      fc.integer({ min, max }).map(String),
      fc.constantFrom(...(names.length ? names : [String(min)])),
      fc
        .tuple(fc.integer({ min, max }), fc.integer({ min, max }))
        .map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
      fc.tuple(fc.constantFrom('*', String(min)), fc.integer({ min: 1, max: 10 })).map(([r, s]) => `${r}/${s}`),
    );
  const field = (min: number, max: number, names?: readonly string[]) =>
    fc.array(term(min, max, names), { minLength: 1, maxLength: 3 }).map((t) => t.join(','));
  const expression = fc
    .tuple(
      field(0, 59),
      field(0, 23),
      field(1, 31),
      field(1, 12, ['JAN', 'jun', 'DEC']),
      field(0, 6, ['SUN', 'mon', 'SAT']),
    )
    .map((f) => f.join(' '));

  it('every accepted expression, rendered, passes the Argo CronWorkflow schema', () => {
    fc.assert(
      fc.property(expression, (e) => {
        expect(checkCron(e)).toBeUndefined();
        const cw = new CronWorkflow({
          metadata: { name: 'x' },
          spec: { schedules: [numericCron(e)], workflowSpec: {} },
        });
        expect(() => cw.validate()).not.toThrow();
      }),
      { numRuns: RUNS },
    );
  });
});

describe('the model', () => {
  const model = buildModel(buildApp());

  it('holds the examples and the three environments', () => {
    expect(model.pipelines.map((p) => p.name)).toEqual(['iris', 'kronodroid-autoencoder', 'kronodroid-features']);
    expect(model.environments.map((e) => e.name)).toEqual(['dev', 'prod', 'staging']);
  });

  it('is plain JSON: a round trip through JSON changes nothing', () => {
    expect(JSON.parse(JSON.stringify(model))).toEqual(model);
  });

  it('is frozen all the way down', () => {
    const unfrozen: string[] = [];
    const walk = (v: unknown, path: string) => {
      if (v === null || typeof v !== 'object') return;
      if (!Object.isFrozen(v)) unfrozen.push(path);
      for (const [k, child] of Object.entries(v)) walk(child, `${path}.${k}`);
    };
    walk(model, 'model');
    expect(unfrozen).toEqual([]);
    expect(() => {
      (model.pipelines[0]!.steps as unknown as unknown[]).push({});
    }).toThrow(TypeError);
  });

  it('implied dependencies come from consumed outputs; explicit ones from after()', () => {
    const deps = (name: string) =>
      Object.fromEntries(model.pipelines.find((p) => p.name === name)!.steps.map((s) => [s.name, s.dependsOn]));
    expect(deps('kronodroid-features')).toEqual({
      'dlt-load': [],
      'spark-transform': ['dlt-load'],
      'dbt-build': ['spark-transform'],
      'lakefs-commit-merge': ['dbt-build'],
    });
    expect(deps('kronodroid-autoencoder')).toMatchObject({ train: [], 'export-executorch': ['train'] });
  });
});
