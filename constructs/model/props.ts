/**
 * The props of the pipeline constructs as zod schemas: the boundary where a prop of the
 * wrong shape (a JavaScript caller, a cast) is reported at its construct instead of being
 * dropped. The builders read only the fields they know, so an unknown field
 * (`resources: { cpu: '2x' }` instead of `resources: { requests: { cpu } }`), or an object
 * where a list belongs, would otherwise vanish without a word. Every object is strict;
 * conditions are checked here (a Comparison with a known operator and operands a
 * condition can compare); other values that hold construct references (arguments,
 * lineage, durations) are read, and reported, by the builders themselves. A props field
 * added to a construct must be added here too: the type checks at the end of this file
 * fail until it is.
 */
import type { IConstruct } from 'constructs';
import { z } from 'zod';
import { Environment, type EnvironmentProps } from '../environment.ts';
import { Condition, ParallelFor, type ConditionProps, type ParallelForProps } from '../groups.ts';
import { Pipeline, type PipelineProps } from '../pipeline.ts';
import { ContainerStep, type ContainerStepProps } from '../step.ts';
import {
  ArtifactRef,
  COMPARISON_OPS,
  Comparison,
  LoopItemRef,
  OutputRef,
  ParamRef,
  type RuntimeValue,
} from '../refs.ts';
import { Schedule } from '../values.ts';
import type { Problems } from './errors.ts';
import { ANALYTICS_PROPS } from './props-analytics.ts';
import { DATA_PROPS } from './props-data.ts';
import { PROPS, byBuilder, props, type PropsEntry, type Same } from './props-shape.ts';
import { reportPropIssues } from './structure.ts';
import { TAINT_EFFECTS, TOLERATION_OPERATORS } from './schema.ts';

const quantities = props({ cpu: z.string().optional(), memory: z.string().optional() });
const toleration = props({
  key: z.string().optional(),
  operator: z.enum(TOLERATION_OPERATORS).optional(),
  value: z.string().optional(),
  effect: z.enum(TAINT_EFFECTS).optional(),
});
const volume = z.discriminatedUnion('kind', [
  props({ kind: z.literal('hostDevice'), name: z.string(), path: z.string() }),
  props({
    kind: z.literal('pvc'),
    name: z.string(),
    claimName: z.string(),
    mountPath: z.string(),
    readOnly: z.boolean().optional(),
  }),
  props({
    kind: z.literal('emptyDir'),
    name: z.string(),
    mountPath: z.string(),
    sizeLimit: z.string().optional(),
    medium: z.literal('Memory').optional(),
  }),
  props({ kind: z.literal('configMap'), name: z.string(), configMap: z.string(), mountPath: z.string() }),
  props({ kind: z.literal('secret'), name: z.string(), secret: z.string(), mountPath: z.string() }),
]);
const security = z.discriminatedUnion('profile', [
  props({ profile: z.literal('restricted'), runAsUser: z.number().optional(), runAsGroup: z.number().optional() }),
  props({ profile: z.literal('privileged'), reason: z.string() }),
]);

// A reference of the wrong kind (an artifact in a condition) is reported by the builder, which says what to use.
const runtimeRef = z.custom<RuntimeValue>(
  (v) => v instanceof ParamRef || v instanceof OutputRef || v instanceof LoopItemRef || v instanceof ArtifactRef,
);
const operand = z.union([z.string(), z.number(), z.boolean(), runtimeRef], {
  error: () => 'expected a string, a finite number, a boolean, pipeline.param(), step.output() or loop.item()',
});
/** A Comparison made by eq(), ne(), lt(), le(), gt() or ge(), with operands a condition can compare. */
const comparison = z
  .custom<Comparison>((v) => v instanceof Comparison, {
    message: 'expected a comparison made by eq(), ne(), lt(), le(), gt() or ge()',
  })
  .pipe(props({ left: operand, op: z.enum(COMPARISON_OPS), right: operand }));

export const containerStepProps = props({
  image: z.string(),
  command: z.array(byBuilder).optional(),
  args: z.array(byBuilder).optional(),
  env: z.record(z.string(), byBuilder).optional(),
  lineage: byBuilder.optional(),
  // Values of the wrong shape are reported by the builder, which names a typed-in secret as such.
  secretEnv: z.record(z.string(), byBuilder).optional(),
  inputArtifacts: z.record(z.string(), byBuilder).optional(),
  outputs: z
    .record(
      z.string(),
      z.union([z.string(), props({ type: z.string().optional(), description: z.string().optional() })], {
        error: (issue) =>
          issue.code === 'invalid_union'
            ? "expected a type name ('string', 'int', ...) or { type?, description? }"
            : undefined,
      }),
    )
    .optional(),
  outputArtifacts: z.record(z.string(), z.string()).optional(),
  resources: props(
    {
      requests: quantities.optional(),
      limits: quantities.optional(),
      gpu: props({
        count: z.number(),
        resource: z.string().optional(),
        nodeSelector: z.record(z.string(), z.string()).optional(),
        tolerations: z.array(toleration).optional(),
        cpuOnly: props({ requests: quantities.optional(), limits: quantities.optional() }).optional(),
      }).optional(),
      devices: z.array(props({ resource: z.string(), count: z.number().optional() })).optional(),
    },
    " (cpu and memory go under requests and limits: Resources.fixed('2', '1Gi') sets both)",
  ).optional(),
  volumes: z.array(volume).optional(),
  nodeSelector: z.record(z.string(), z.string()).optional(),
  tolerations: z.array(toleration).optional(),
  retry: props({
    limit: z.number(),
    backoffSeconds: z.number().optional(),
    backoffFactor: z.number().optional(),
    maxBackoffSeconds: z.number().optional(),
  }).optional(),
  timeout: byBuilder.optional(),
  caching: z.boolean().optional(),
  serviceAccount: z.string().optional(),
  security: security.optional(),
  when: comparison.optional(),
  description: z.string().optional(),
});

export const pipelineProps = props({
  description: z.string().optional(),
  parameters: z
    .record(
      z.string(),
      props({ type: z.string(), default: z.unknown().optional(), description: z.string().optional() }),
    )
    .optional(),
  schedule: z
    .custom<Schedule>((v) => v instanceof Schedule, {
      message: 'expected a Schedule (Schedule.cron(...) or Schedule.daily(...))',
    })
    .optional(),
  tags: z.array(z.string()).optional(),
  timeout: byBuilder.optional(),
});

export const conditionProps = props({ when: comparison });
export const parallelForProps = props({ items: byBuilder, parallelism: z.number().optional() });

// Missing settings and values outside an enum are reported by the environment rules,
// which say what to set; here only the shape.
const text = z.string().optional();
export const environmentProps = props({
  namespace: text,
  orchestrator: text,
  engine: text,
  featureStore: text,
  endpoints: props({ lakefs: text, mlflow: text, s3: text, datahub: text }).optional(),
  artifactRepository: props({
    bucket: text,
    keyPrefix: text,
    endpoint: text,
    credentials: byBuilder,
    region: text,
  }).optional(),
  imageTagPolicy: text,
  serviceAccount: text,
  accelerators: text,
  gitops: props({ repoURL: text, targetRevision: text }).optional(),
  pipelines: z.array(z.string()).optional(),
  // A literal token is refused with its own remedy by the environment rules.
  datahubToken: z.unknown().optional(),
});

/** The props of a construct of each kind, and where it keeps them; the first kind that matches counts. */
const SCHEMAS: readonly PropsEntry[] = [
  ...DATA_PROPS,
  ...ANALYTICS_PROPS,
  [ContainerStep, containerStepProps, PROPS],
  [Pipeline, pipelineProps, PROPS],
  [Condition, conditionProps, PROPS],
  [ParallelFor, parallelForProps, PROPS],
  [Environment, environmentProps, PROPS],
];

/** Reports every prop of `c` of the wrong shape at its construct path; true when there were any. */
export function checkProps(c: IConstruct, problems: Problems, parseOptions?: { readonly jitless: boolean }): boolean {
  const found = SCHEMAS.find(([kind]) => c instanceof kind);
  if (!found) return false;
  const parsed = found[1].safeParse(found[2](c), parseOptions);
  if (parsed.success) return false;
  reportPropIssues(c.node.path, parsed.error.issues, problems);
  return true;
}

// Each schema names exactly the fields of its props interface: adding a field to one
// without the other fails `tsc` here.
const sameFields: [
  Same<keyof ContainerStepProps, keyof z.infer<typeof containerStepProps>>,
  Same<keyof PipelineProps, keyof z.infer<typeof pipelineProps>>,
  Same<keyof ConditionProps, keyof z.infer<typeof conditionProps>>,
  Same<keyof ParallelForProps, keyof z.infer<typeof parallelForProps>>,
  Same<keyof EnvironmentProps, keyof z.infer<typeof environmentProps>>,
] = [true, true, true, true, true];
void sameFields;
