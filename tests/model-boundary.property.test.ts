/**
 * The pipeline boundary without the model schema: buildModel checks pipeline constructs
 * with their strict props schemas (constructs/model/props.ts), the builders and the
 * rules, and does not parse the built pipelines with the model's zod schema again
 * (bench/optimisations.md: that parse was a fifth of the model phase at N=100). This
 * test holds that to being no weaker: a valid pipeline using every props field gets one
 * to three fields replaced by values of the wrong type or out of range (JavaScript
 * callers, casts), and then buildModel either refuses with a DfpError or returns a model
 * the full schema accepts. A stack trace or a model of the wrong shape fails the case.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Condition,
  ContainerStep,
  Duration,
  ParallelFor,
  Pipeline,
  Resources,
  Schedule,
  Security,
  Volume,
  eq,
  fmt,
  inputArtifactPath,
  outputPath,
} from '../constructs/index.ts';
import { buildModel, parseModelShape } from '../constructs/model/build.ts';
import type { ArtifactRef, OutputRef, ParamRef } from '../constructs/refs.ts';
import { DfpError } from '../constructs/model/errors.ts';
import { IMAGE, testApp } from './support/fixtures.ts';

const RUNS = Number(process.env.DFP_BOUNDARY_RUNS ?? 1500);

type Props = Record<string, unknown>;
type Kind = 'pipeline' | 'step' | 'condition' | 'loop';

/** Fresh props of every kind for one valid pipeline; `refs` are made by constructs built earlier. */
function validProps(refs: { param: ParamRef; output: OutputRef; artifact: ArtifactRef }): Record<Kind, Props> {
  return {
    pipeline: {
      description: 'd',
      // Scheduled: every parameter needs a default (a scheduled run has nobody to supply one).
      parameters: { n: { type: 'int', default: 3, description: 'count' }, s: { type: 'string', default: 'x' } },
      schedule: Schedule.daily(6),
      tags: ['t'],
      timeout: Duration.hours(1),
    },
    step: {
      image: IMAGE,
      command: ['python', '-m', 'train'],
      args: ['--n', refs.param, fmt`--x=${refs.output}`, outputPath('score'), inputArtifactPath('data')],
      env: { MODE: 'fast', COUNT: 2 },
      secretEnv: { TOKEN: { secret: 'slack', key: 'token' } },
      inputArtifacts: { data: refs.artifact },
      outputs: { score: 'float', note: { type: 'string', description: 'n' } },
      outputArtifacts: { model: 'Model' },
      resources: {
        ...Resources.fixed('1', '1Gi'),
        gpu: { count: 1 },
        devices: [{ resource: 'devices.kubevirt.io/kvm', count: 1 }],
      },
      volumes: [Volume.emptyDir('tmp', '/tmp/w'), Volume.pvc('data', 'claim', '/data', true)],
      nodeSelector: { pool: 'gpu' },
      tolerations: [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }],
      retry: { limit: 2, backoffSeconds: 10, backoffFactor: 2, maxBackoffSeconds: 60 },
      timeout: Duration.minutes(30),
      caching: true,
      serviceAccount: 'trainer',
      security: Security.restricted(),
      when: eq(refs.param, 3),
      description: 'trains',
    },
    condition: { when: eq(refs.output, 'yes') },
    loop: { items: [1, 2, 3], parallelism: 2 },
  };
}

/** Where a mutation may land, per kind: fields and fields inside them. */
const FIELDS: Record<Kind, string[]> = {
  pipeline: [
    'description',
    'parameters',
    'parameters.n',
    'parameters.n.type',
    'parameters.n.default',
    'parameters.n.description',
    'parameters.s.type',
    'schedule',
    'tags',
    'tags.0',
    'timeout',
  ],
  step: [
    'image',
    'command',
    'command.0',
    'args',
    'args.1',
    'args.2',
    'env',
    'env.MODE',
    'secretEnv',
    'secretEnv.TOKEN',
    'secretEnv.TOKEN.secret',
    'secretEnv.TOKEN.key',
    'inputArtifacts',
    'inputArtifacts.data',
    'outputs',
    'outputs.score',
    'outputs.note.type',
    'outputs.note.description',
    'outputArtifacts',
    'outputArtifacts.model',
    'resources',
    'resources.requests',
    'resources.requests.cpu',
    'resources.limits.memory',
    'resources.gpu',
    'resources.gpu.count',
    'resources.gpu.resource',
    'resources.devices',
    'resources.devices.0',
    'resources.devices.0.count',
    'resources.devices.0.resource',
    'volumes',
    'volumes.0',
    'volumes.0.kind',
    'volumes.0.name',
    'volumes.0.mountPath',
    'volumes.1.readOnly',
    'volumes.1.claimName',
    'nodeSelector',
    'nodeSelector.pool',
    'tolerations',
    'tolerations.0',
    'tolerations.0.operator',
    'tolerations.0.effect',
    'tolerations.0.key',
    'tolerations.0.value',
    'retry',
    'retry.limit',
    'retry.backoffSeconds',
    'retry.backoffFactor',
    'retry.maxBackoffSeconds',
    'timeout',
    'caching',
    'serviceAccount',
    'security',
    'security.profile',
    'security.runAsUser',
    'security.runAsGroup',
    'security.reason',
    'when',
    'when.op',
    'when.left',
    'when.right',
    'description',
  ],
  condition: ['when', 'when.op', 'when.left', 'when.right'],
  loop: ['items', 'items.0', 'parallelism'],
};

/** Values a typed caller cannot pass, or passes out of range: wrong types, fractions, negatives, odd objects. */
const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    undefined,
    null,
    true,
    false,
    0,
    -1,
    1.5,
    2 ** 40,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    '',
    'x',
    '=~',
    'Exists',
    'restricted',
    'privileged',
    'pvc',
  ),
  fc.constantFrom<unknown>(
    [],
    [1],
    ['a'],
    [null],
    {},
    { a: 1 },
    { secret: 1 },
    { type: 1 },
    { requests: { cpu: 2 } },
    { kind: 'secret' },
    JSON.parse('{"__proto__": {"a": 1}}'),
  ),
  fc
    .constantFrom<() => unknown>(
      () => Duration.seconds(1.5),
      () => Duration.millis(1),
      () => Schedule.daily(1),
      () => () => 1,
    )
    .map((f) => f()),
  fc.string({ maxLength: 6 }),
  fc.double(),
  fc.integer({ min: -5, max: 5 }),
);

const mutation = fc
  .constantFrom<Kind>('pipeline', 'step', 'step', 'step', 'condition', 'loop')
  .chain((kind) => fc.record({ kind: fc.constant(kind), field: fc.constantFrom(...FIELDS[kind]), value: junk }));

/** Sets `path` (dot-separated) in `props`, copying each object on the way so no shared value is changed. */
function setPath(props: Props, path: string, value: unknown): void {
  const keys = path.split('.');
  let node: Record<string, unknown> = props;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    const copy = Array.isArray(next) ? [...next] : next !== null && typeof next === 'object' ? { ...next } : {};
    // Class instances (Duration, Comparison, Schedule) lose their prototype when copied: keep them whole.
    node[key] =
      next !== null &&
      typeof next === 'object' &&
      !Array.isArray(next) &&
      Object.getPrototypeOf(next) !== Object.prototype
        ? next
        : copy;
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
}

type Outcome = { built: true; error?: string } | { built: false };

/** One pipeline with the mutations applied; built, then its model checked against the full schema. */
function attempt(mutations: { kind: Kind; field: string; value: unknown }[]): Outcome {
  const mutate = (kind: Kind, props: Props) => {
    for (const m of mutations.filter((x) => x.kind === kind)) setPath(props, m.field, m.value);
    return props as never;
  };
  const app = testApp();
  try {
    // The pipeline's own props hold no references; the step's are made once the pipeline exists.
    const p = new Pipeline(app, 'p', mutate('pipeline', validProps({} as never).pipeline));
    const producer = new ContainerStep(p, 'producer', {
      image: IMAGE,
      outputs: { flag: 'string' },
      outputArtifacts: { data: 'Dataset' },
    });
    const refs = { param: p.param('n'), output: producer.output('flag'), artifact: producer.artifact('data') };
    const all = validProps(refs);
    new ContainerStep(p, 'train', mutate('step', all.step));
    const g = new Condition(p, 'gate', mutate('condition', all.condition));
    new ContainerStep(g, 'report', { image: IMAGE });
    const loop = new ParallelFor(p, 'each', mutate('loop', all.loop));
    new ContainerStep(loop, 'item', { image: IMAGE, args: [loop.item()] });
  } catch (e) {
    // No constructor checks these props: a throw here would reach the user as a stack trace.
    return { built: true, error: `a constructor threw ${e instanceof Error ? e.stack : String(e)}` };
  }
  let model;
  try {
    model = buildModel(app);
  } catch (e) {
    if (e instanceof DfpError) return { built: false };
    return { built: true, error: `buildModel threw ${e instanceof Error ? e.stack : String(e)}` };
  }
  try {
    parseModelShape(model);
    return { built: true };
  } catch (e) {
    return { built: true, error: `accepted a model the schema refuses: ${e instanceof Error ? e.message : String(e)}` };
  }
}

describe('pipeline boundary: props schemas, builders and rules refuse whatever the model schema would', () => {
  it('the valid pipeline builds, and its model parses', () => {
    expect(attempt([])).toEqual({ built: true });
  });

  it(
    "copies the user's JSON values (loop items, parameter defaults) whole, an own `__proto__` key included, and " +
      'leaves them unfrozen',
    () => {
      const item = JSON.parse('{"__proto__": {"a": 1}, "b": [2]}') as Record<string, unknown>;
      const fallback = JSON.parse('{"__proto__": "x"}') as Record<string, unknown>;
      const app = testApp();
      const p = new Pipeline(app, 'p', { parameters: { s: { type: 'struct', default: fallback as never } } });
      const loop = new ParallelFor(p, 'each', { items: [item as never] });
      new ContainerStep(loop, 'item', { image: IMAGE, args: [loop.item()] });
      const model = buildModel(app);
      const group = model.pipelines[0]!.groups[0]!;
      const items =
        group.kind === 'loop' && group.items.kind === 'literal' ? (group.items.value as Record<string, unknown>[]) : [];
      expect(Object.keys(items[0]!)).toEqual(['__proto__', 'b']);
      expect(items[0]).toStrictEqual(item);
      expect(items[0]).not.toBe(item);
      expect(Object.keys(model.pipelines[0]!.parameters[0]!.default as object)).toEqual(['__proto__']);
      expect(Object.isFrozen(item) || Object.isFrozen(item.b) || Object.isFrozen(fallback)).toBe(false);
    },
  );

  it(`${RUNS} pipelines with 1-3 fields of the wrong type: a DfpError, or a model the schema accepts`, () => {
    let refused = 0;
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (mutations) => {
        const outcome = attempt(mutations);
        if (!outcome.built) refused++;
        else
          expect(
            outcome.error,
            JSON.stringify(mutations.map((m) => ({ ...m, value: String(m.value) }))),
          ).toBeUndefined();
      }),
      { numRuns: RUNS, seed: 20261203 },
    );
    // The mutations must mostly be refusals, or the generator is not reaching the boundary.
    expect(refused).toBeGreaterThan(RUNS / 2);
  }, 120_000);
});
