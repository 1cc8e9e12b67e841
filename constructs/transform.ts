/**
 * Transforms: engine-neutral data jobs that read Iceberg tables and write Iceberg tables
 * (Avro data files) on lakeFS. The environment's `engine` decides what runs them: a Spark
 * Operator SparkApplication, or a Kubernetes Job running DataFusion. A pipeline runs one
 * with a {@link TransformStep}.
 */
import { Construct } from 'constructs';
import type { IcebergTable } from './data.ts';
import type { SecretKeyRef } from './values.ts';

/** What a transform executes. Build it with {@link TransformCode.sql} or {@link TransformCode.entrypoint}. */
export type TransformCodeSpec =
  | { readonly kind: 'sql'; readonly queries: Readonly<Record<string, string>> }
  | { readonly kind: 'entrypoint'; readonly file: string; readonly args: readonly string[] };

/** Factories for a transform's code. */
export class TransformCode {
  /**
   * One query per output table, keyed by its `namespace.table`: the engine's dfp SQL
   * runner materialises each SELECT into its table (created or replaced in the
   * transform's catalog, so with Avro data files), in the order of `outputs`. Queries
   * name tables as `namespace.table`. The same text runs on Spark and DataFusion, so
   * keep to the SQL both accept (tests/spark-run.test.ts runs one on both).
   */
  public static sql(queries: Readonly<Record<string, string>>): TransformCodeSpec {
    return { kind: 'sql', queries };
  }

  /**
   * A program in the engine's image: an absolute path (`/opt/dfp/job.py`) or a URI
   * (`local://`, `s3a://`). Each engine's image holds its own version of the program.
   * @param args fixed arguments, before the ones a {@link TransformStep} adds @default none
   */
  public static entrypoint(file: string, args: readonly string[] = []): TransformCodeSpec {
    return { kind: 'entrypoint', file, args };
  }
}

/** CPU (a Kubernetes quantity, `'1'`, `'500m'`) and memory (`'2Gi'`) of one process. */
export interface TransformProcess {
  /** CPU cores. @default '1' */
  readonly cpu?: string;
  /** Memory. @default '2Gi' */
  readonly memory?: string;
}

/** How big a transform runs. DataFusion runs in one process, sized as the driver. */
export interface TransformResources {
  /** The driver (Spark) or the only process (DataFusion). @default 1 CPU, 2Gi */
  readonly driver?: TransformProcess;
  /** Spark executors: how many, and each one's size. @default 2 of 1 CPU, 2Gi */
  readonly executors?: TransformProcess & {
    /** How many executors. @default 2 */
    readonly instances?: number;
  };
}

/** Props of {@link Transform}. */
export interface TransformProps {
  /** Tables the transform reads. @default none (it reads files, e.g. raw data in lakeFS) */
  readonly inputs?: readonly IcebergTable[];
  /** Tables the transform writes; at least one. */
  readonly outputs: readonly IcebergTable[];
  /** What it runs: {@link TransformCode.sql} or {@link TransformCode.entrypoint}. */
  readonly code: TransformCodeSpec;
  /**
   * The image per engine the transform can run on (pinned: environments enforce their
   * imageTagPolicy). An environment whose engine has no image here is an error.
   */
  readonly images: {
    /** A Spark image with Python (for SQL and `.py` entrypoints). @default not runnable on Spark */
    readonly spark?: string;
    /** An image with datafusion-python and dfp's runner. @default not runnable on DataFusion */
    readonly datafusion?: string;
  };
  /**
   * The Secret with the lakeFS S3 gateway key pair the engine reads and writes the
   * tables with; only the reference is rendered.
   */
  readonly credentials: {
    /** The access key id. */
    readonly accessKeyId: SecretKeyRef;
    /** The secret access key. */
    readonly secretAccessKey: SecretKeyRef;
  };
  /** Driver and executor sizes. @default see {@link TransformResources} */
  readonly resources?: TransformResources;
  /** Runs again after a failure, up to this many times. @default 0 */
  readonly retries?: number;
  /** Extra Spark properties (an escape hatch); dfp's own keys cannot be overridden. @default none */
  readonly sparkConf?: Readonly<Record<string, string>>;
  /** What the transform builds. @default none */
  readonly description?: string;
}

/**
 * A data transform. Its construct id is its name: the name of the SparkApplication or
 * Job that runs it, a DNS-1123 label of at most 50 characters (runs add a suffix).
 */
export class Transform extends Construct {
  /** @param scope any construct; usually the app or a data-plane module @param id the transform's name */
  constructor(
    scope: Construct,
    id: string,
    public readonly props: TransformProps,
  ) {
    super(scope, id);
  }
}
