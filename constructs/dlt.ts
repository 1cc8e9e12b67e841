/**
 * dlt (dlthub): a {@link DltLoad} is a pipeline step that ingests a source into an
 * IcebergTable of the app with dlt's filesystem destination and its Iceberg table format,
 * on lakeFS's S3 gateway. The dlt target renders each load's `config.toml` per
 * environment (endpoint, bucket, dataset, table, columns from the table definition; no
 * secret: credentials come from Secret references in the pod's environment) as a
 * ConfigMap the step mounts; the image runs dfp's load runner (images/dlt-runner/run_load.py).
 */
import type { Construct } from 'constructs';
import type { Duration } from 'cdk8s';
import { IcebergTable } from './data.ts';
import { WAREHOUSE_FOLDER } from './model/warehouse.ts';
import type { WRITE_DISPOSITIONS } from './model/schema.ts';
import { Pipeline } from './pipeline.ts';
import { Concat, type Arg, type Comparison } from './refs.ts';
import { ContainerStep } from './step.ts';
import type { RetryPolicy, SecretKeyRef } from './values.ts';
import { Resources, Volume } from './values.ts';

/** dlt at the version the conformance harness runs the runner with, and the runner. */
export const DLT_IMAGE = 'registry.dfp.internal/dfp/dlt-runner:1.31.0-1';
/** The folder the step mounts `.dlt/config.toml` under (dlt's DLT_PROJECT_DIR). */
export const DLT_PROJECT_DIR = '/etc/dfp/dlt';
/** The runner in the image: the very file images/dlt-runner/run_load.py. */
export const DLT_RUNNER = '/opt/dfp/dlt/run_load.py';

/** The file formats dlt's filesystem source reads. */
export type DltFileFormat = 'csv' | 'jsonl' | 'parquet';

/** What a load reads. Build it with {@link DltSource.files}. */
export type DltSourceSpec = {
  readonly kind: 'files';
  readonly bucketUrl: string;
  readonly fileGlob: string;
  readonly format: DltFileFormat;
};

/** Factories for a load's source. */
export class DltSource {
  /**
   * Files read with dlt's `filesystem` source: an `s3://` folder on lakeFS's S3 gateway
   * (`s3://<repository>/<branch>/<folder>`, read with the load's credentials) or any
   * fsspec URL without credentials in it.
   * @param options the glob below the folder and the files' format @default `*.csv`, csv
   */
  public static files(
    bucketUrl: string,
    options: { readonly fileGlob?: string; readonly format?: DltFileFormat } = {},
  ): DltSourceSpec {
    return { kind: 'files', bucketUrl, fileGlob: options.fileGlob ?? '*.csv', format: options.format ?? 'csv' };
  }
}

/** Props of {@link DltLoad}. */
export interface DltLoadProps {
  /** What to read: {@link DltSource.files}. */
  readonly source: DltSourceSpec;
  /** The dlt resource name, for lineage (`<load>.<resource>`). @default the destination table's name */
  readonly resource?: string;
  /** The table the rows land in: an IcebergTable of this app (its namespace is dlt's dataset). */
  readonly destination: IcebergTable;
  /** dlt's write disposition. @default 'replace' */
  readonly writeDisposition?: (typeof WRITE_DISPOSITIONS)[number];
  /** The lakeFS branch to write to; a runtime value is allowed. @default the destination table's ref */
  readonly branch?: Arg;
  /** The lakeFS S3 gateway key pair, for the source and the destination; only the references are rendered. */
  readonly credentials: {
    /** The access key id. */
    readonly accessKeyId: SecretKeyRef;
    /** The secret access key. */
    readonly secretAccessKey: SecretKeyRef;
  };
  /** The image with dlt and the runner. @default {@link DLT_IMAGE} */
  readonly image?: string;
  /** Runs the load again after a failure. @default no retries */
  readonly retry?: RetryPolicy;
  /** The step is stopped after this long. @default no limit */
  readonly timeout?: Duration;
  /** The step runs only when this holds at run time. @default always */
  readonly when?: Comparison;
  /** What the load ingests. @default none */
  readonly description?: string;
}

/** The dlt pipeline name of a load: its step name in snake_case. */
export const dltPipelineName = (step: string) => step.replace(/-/g, '_');
/** The ConfigMap holding a load's config.toml (per pipeline and step: names are unique only within a pipeline). */
export const dltConfigMap = (pipeline: string, step: string) => `dlt-${pipeline}-${step}`;

/** A dlt load as a pipeline step. Its construct id is the step's name (and, in snake_case, the dlt pipeline's). */
export class DltLoad extends ContainerStep {
  /** The load's props, as given. */
  public readonly load: DltLoadProps;

  /** @param scope a pipeline or group @param id the step's name @param props the source, destination and credentials */
  constructor(scope: Construct, id: string, props: DltLoadProps) {
    const pipeline = Pipeline.of(scope)?.node.id ?? scope.node.id;
    const dest = props.destination;
    // A runtime branch overrides config.toml's bucket (the table's declared ref) through dlt's env provider.
    const branch =
      props.branch instanceof Concat ? props.branch.pieces : props.branch !== undefined ? [props.branch] : undefined;
    const bucket: Record<string, Arg> =
      branch && dest instanceof IcebergTable
        ? {
            DESTINATION__FILESYSTEM__BUCKET_URL: new Concat([
              `s3://${dest.props.lakefsRepository}/`,
              ...branch,
              `/${WAREHOUSE_FOLDER}`,
            ]),
          }
        : {};
    super(scope, id, {
      image: props.image ?? DLT_IMAGE,
      command: ['python', DLT_RUNNER],
      env: {
        DLT_PROJECT_DIR,
        // dlt keeps pipeline state under its data dir; the home folder is not writable.
        DLT_DATA_DIR: '/tmp/dlt',
        RUNTIME__DLTHUB_TELEMETRY: 'false',
        ...bucket,
      },
      // The runner gives the source the same key pair (both are on the lakeFS gateway).
      secretEnv: props.credentials
        ? {
            DESTINATION__FILESYSTEM__CREDENTIALS__AWS_ACCESS_KEY_ID: props.credentials.accessKeyId,
            DESTINATION__FILESYSTEM__CREDENTIALS__AWS_SECRET_ACCESS_KEY: props.credentials.secretAccessKey,
          }
        : {},
      volumes: [
        Volume.configMap('dlt-config', dltConfigMap(pipeline, id), `${DLT_PROJECT_DIR}/.dlt`),
        Volume.emptyDir('tmp', '/tmp'),
      ],
      resources: Resources.fixed('1', '2Gi'),
      ...(props.retry ? { retry: props.retry } : {}),
      ...(props.timeout ? { timeout: props.timeout } : {}),
      ...(props.when ? { when: props.when } : {}),
      ...(props.description ? { description: props.description } : {}),
    });
    this.load = props;
  }
}
