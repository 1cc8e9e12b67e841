/**
 * The props of the data-plane constructs and of TransformStep as strict zod schemas (see
 * props.ts). Construct references (tables, entities, views), Durations, the transform's
 * code and Secret references are read and reported by the builders.
 */
import { z } from 'zod';
import {
  Entity,
  FeatureService,
  FeatureView,
  IcebergTable,
  type EntityProps,
  type FeatureServiceProps,
  type FeatureViewProps,
  type IcebergTableProps,
} from '../data.ts';
import { TransformStep, type TransformStepProps } from '../transform-step.ts';
import { Transform, type TransformProps } from '../transform.ts';
import { PROPS, byBuilder, props, type PropsEntry, type Same } from './props-shape.ts';

const text = z.string().optional();
const labels = z.record(z.string(), z.string()).optional();

export const icebergTableProps = props({
  catalog: text,
  namespace: z.string(),
  lakefsRepository: z.string(),
  ref: z.union([props({ branch: z.string() }), props({ tag: z.string() }), props({ commit: z.string() })], {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? "expected one of { branch: '<name>' }, { tag: '<name>' } or { commit: '<64-hex id>' }"
        : undefined,
  }),
  fields: z.record(z.string(), z.string()),
  timestampField: z.string(),
  partitionBy: z.array(z.string()).optional(),
  description: text,
});

export const entityProps = props({ joinKey: text, type: text, description: text });

export const featureViewProps = props({
  source: byBuilder,
  entities: z.array(byBuilder),
  features: z.array(z.string()),
  ttl: byBuilder.optional(),
  online: z.boolean().optional(),
  tags: labels,
  owner: text,
  description: text,
});

export const featureServiceProps = props({
  features: z.array(byBuilder),
  tags: labels,
  owner: text,
  description: text,
});

const size = { cpu: text, memory: text };
export const transformProps = props({
  inputs: z.array(byBuilder).optional(),
  outputs: z.array(byBuilder),
  code: byBuilder,
  // Engines dfp does not know are named by the transform builder.
  images: z.record(z.string(), z.string()),
  credentials: byBuilder,
  resources: props({
    driver: props(size).optional(),
    executors: props({ ...size, instances: z.number().optional() }).optional(),
  }).optional(),
  retries: z.number().optional(),
  sparkConf: labels,
  description: text,
});

export const transformStepProps = props({
  transform: byBuilder,
  args: z.array(byBuilder).optional(),
  launcherImage: text,
  retry: byBuilder.optional(),
  timeout: byBuilder.optional(),
  when: byBuilder.optional(),
  description: text,
});

/** Before ContainerStep in props.ts: a TransformStep's own props are what its user wrote. */
export const DATA_PROPS: readonly PropsEntry[] = [
  [TransformStep, transformStepProps, (c) => (c as TransformStep).transformStepProps],
  [IcebergTable, icebergTableProps, PROPS],
  [Entity, entityProps, PROPS],
  [FeatureView, featureViewProps, PROPS],
  [FeatureService, featureServiceProps, PROPS],
  [Transform, transformProps, PROPS],
];

// Each schema names exactly the fields of its props interface: adding a field to one
// without the other fails `tsc` here.
const sameFields: [
  Same<keyof IcebergTableProps, keyof z.infer<typeof icebergTableProps>>,
  Same<keyof EntityProps, keyof z.infer<typeof entityProps>>,
  Same<keyof FeatureViewProps, keyof z.infer<typeof featureViewProps>>,
  Same<keyof FeatureServiceProps, keyof z.infer<typeof featureServiceProps>>,
  Same<keyof TransformProps, keyof z.infer<typeof transformProps>>,
  Same<keyof TransformStepProps, keyof z.infer<typeof transformStepProps>>,
] = [true, true, true, true, true, true];
void sameFields;
