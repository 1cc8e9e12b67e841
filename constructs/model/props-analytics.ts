/**
 * The props of the analytics constructs (DbtProject, DbtStep, DltLoad) as strict zod
 * schemas (see props.ts). Construct references (tables, the project), runtime values,
 * Durations, Comparisons and Secret references are read and reported by the builders.
 */
import { z } from 'zod';
import { DbtProject, DbtStep, type DbtProjectProps, type DbtStepProps } from '../dbt.ts';
import { DltLoad, type DltLoadProps } from '../dlt.ts';
import { PROPS, byBuilder, props, type PropsEntry, type Same } from './props-shape.ts';
import { WRITE_DISPOSITIONS } from './schema.ts';

const text = z.string().optional();
const keyPair = props({ accessKeyId: byBuilder, secretAccessKey: byBuilder });
const retry = props({
  limit: z.number(),
  backoffSeconds: z.number().optional(),
  backoffFactor: z.number().optional(),
  maxBackoffSeconds: z.number().optional(),
}).optional();

export const dbtProjectProps = props({
  dir: z.string(),
  sources: z.array(byBuilder),
  image: z.string(),
  schema: text,
  credentials: keyPair,
  sessionConf: z.record(z.string(), z.string()).optional(),
  description: text,
});

export const dbtStepProps = props({
  project: byBuilder,
  command: z.enum(['build', 'run', 'test']).optional(),
  select: z.array(z.string()).optional(),
  branch: byBuilder.optional(),
  retry,
  timeout: byBuilder.optional(),
  when: byBuilder.optional(),
  description: text,
});

export const dltLoadProps = props({
  source: props(
    {
      kind: z.literal('files'),
      bucketUrl: z.string(),
      fileGlob: z.string(),
      format: z.enum(['csv', 'jsonl', 'parquet']),
    },
    ' (build it with DltSource.files(...))',
  ),
  resource: text,
  destination: byBuilder,
  writeDisposition: z.enum(WRITE_DISPOSITIONS).optional(),
  branch: byBuilder.optional(),
  credentials: keyPair,
  image: text,
  retry,
  timeout: byBuilder.optional(),
  when: byBuilder.optional(),
  description: text,
});

/** Before ContainerStep in props.ts: a dbt step's and a dlt load's own props are what their user wrote. */
export const ANALYTICS_PROPS: readonly PropsEntry[] = [
  [DbtStep, dbtStepProps, (c) => (c as DbtStep).dbtStepProps],
  [DltLoad, dltLoadProps, (c) => (c as DltLoad).load],
  [DbtProject, dbtProjectProps, PROPS],
];

// Each schema names exactly the fields of its props interface: adding a field to one
// without the other fails `tsc` here.
const sameFields: [
  Same<keyof DbtProjectProps, keyof z.infer<typeof dbtProjectProps>>,
  Same<keyof DbtStepProps, keyof z.infer<typeof dbtStepProps>>,
  Same<keyof DltLoadProps, keyof z.infer<typeof dltLoadProps>>,
] = [true, true, true];
void sameFields;
