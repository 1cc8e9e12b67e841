import { Construct } from 'constructs';
import type { ACCELERATORS, ENGINES, FEATURE_STORES, IMAGE_TAG_POLICIES, ORCHESTRATORS } from './model/schema.ts';

/** The choices of an environment, as the model's schema lists them. */
export type Orchestrator = (typeof ORCHESTRATORS)[number];
export type Engine = (typeof ENGINES)[number];
export type FeatureStore = (typeof FEATURE_STORES)[number];
export type ImageTagPolicy = (typeof IMAGE_TAG_POLICIES)[number];
export type Accelerators = (typeof ACCELERATORS)[number];

/** The services an environment's pipelines talk to. */
export interface EndpointsSpec {
  /** The lakeFS API (`http://lakefs.lakefs:8000`). */
  readonly lakefs: string;
  /** The MLflow tracking server (`http://mlflow.mlflow:5000`). */
  readonly mlflow: string;
  /** The S3-compatible object store, MinIO here (`http://minio.minio:9000`). */
  readonly s3: string;
  /**
   * DataHub's metadata service, GMS (`http://datahub-datahub-gms.datahub:8080`), that the
   * environment's catalogue (`dist/<env>/datahub/`) is ingested into by an Argo CD
   * Sync-hook Job. Without it the metadata files are still rendered, for review, but
   * nothing ingests them: no recipe and no Job.
   * @default none: metadata files only
   */
  readonly datahub?: string;
}

/** The Secret key holding DataHub's token; the value is read by reference only, never written into dist/. */
export interface DatahubTokenRef {
  /** The Secret's name. */
  readonly secret: string;
  /** The key in the Secret. @default 'token' */
  readonly key?: string;
}

/** Where the orchestrator keeps artifacts passed between steps. */
export interface ArtifactRepositorySpec {
  /** The bucket. */
  readonly bucket: string;
  /** Prefix of every key. @default 'dfp' */
  readonly keyPrefix?: string;
  /** The S3 endpoint, host and port. @default the environment's `endpoints.s3` */
  readonly endpoint?: string;
  /** The Secret holding the access key pair; values are read by reference only. */
  readonly credentials: {
    /** The Secret's name. */
    readonly secret: string;
    /** Key of the access key id. @default 'accesskey' */
    readonly accessKeyKey?: string;
    /** Key of the secret access key. @default 'secretkey' */
    readonly secretKeyKey?: string;
  };
  /** The bucket's region. @default 'us-east-1' */
  readonly region?: string;
}

/** Props of {@link Environment}. */
export interface EnvironmentProps {
  /** The Kubernetes namespace pipelines run in. */
  readonly namespace: string;
  /** Which orchestrator renders the pipelines. @default 'argo' */
  readonly orchestrator?: Orchestrator;
  /** Which engine runs data transforms. @default 'spark' */
  readonly engine?: Engine;
  /** Which feature store serves features: Feast or Chronon (docs/feature-stores.md). @default 'feast' */
  readonly featureStore?: FeatureStore;
  /** The platform services. */
  readonly endpoints: EndpointsSpec;
  /**
   * The Secret key holding DataHub's access token, which the ingest Job passes to the
   * `datahub` CLI as `DATAHUB_GMS_TOKEN`. A token value itself is refused.
   * @default { secret: 'datahub-token', key: 'token' }
   */
  readonly datahubToken?: DatahubTokenRef;
  /** The S3 (MinIO) bucket for artifacts passed between steps. */
  readonly artifactRepository: ArtifactRepositorySpec;
  /**
   * Which image references are accepted: `any`; `no-latest` (an explicit tag that is not
   * `latest`, or a digest); `digest` (`@sha256:` only).
   * @default 'no-latest'
   */
  readonly imageTagPolicy?: ImageTagPolicy;
  /** The service account pods run as unless a step names another. @default 'dfp-runner' */
  readonly serviceAccount?: string;
  /**
   * Whether the environment's nodes have accelerators. `none` (a CPU-only cluster, such as
   * a staging cluster that runs the small smoke run): a step that asks for a GPU
   * (`Resources.gpu(…)`) asks there for its CPU-only shape instead (`cpuOnly`), without the
   * GPU, and without the node selector and tolerations of the GPU's nodes, on every
   * orchestrator; a step without a CPU-only shape is refused at synth, since no node could
   * ever run it.
   * @default 'available'
   */
  readonly accelerators?: Accelerators;
  /**
   * The pipelines this environment renders, by name (the `Pipeline` construct ids); each
   * must be a pipeline of the app. Data-plane files (feature store, transforms, schemas)
   * do not depend on it. An empty list renders no pipeline.
   * @default every pipeline of the app
   */
  readonly pipelines?: readonly string[];
  /** The git repository and revision Argo CD syncs this environment's `dist/` from. */
  readonly gitops: {
    /** The repository URL. */
    readonly repoURL: string;
    /** Branch, tag or commit. @default 'main' */
    readonly targetRevision?: string;
  };
}

/**
 * A deployment target (`dev`, `prod`): where pipelines run and which orchestrator,
 * engine and feature store render them. Its construct id is its name and the folder
 * under `dist/`.
 */
export class Environment extends Construct {
  /** @param scope the app @param id the environment's name @param props its settings */
  constructor(
    scope: Construct,
    id: string,
    public readonly props: EnvironmentProps,
  ) {
    super(scope, id);
  }
}
