/** The dfp authoring library: everything a pipeline or environment definition imports. */
export {
  Environment,
  type EnvironmentProps,
  type EndpointsSpec,
  type ArtifactRepositorySpec,
  type DatahubTokenRef,
} from './environment.ts';
export { Pipeline, type PipelineProps, type ParameterSpec } from './pipeline.ts';
export { ContainerStep, type ContainerStepProps, type OutputSpec } from './step.ts';
export { Condition, ParallelFor, type ConditionProps, type ParallelForProps } from './groups.ts';
export {
  fmt,
  eq,
  ne,
  lt,
  le,
  gt,
  ge,
  outputPath,
  outputArtifactPath,
  inputArtifactPath,
  type Arg,
  type ArtifactType,
  type JsonValue,
  type ParamType,
} from './refs.ts';
export {
  Schedule,
  Resources,
  Security,
  Volume,
  type DeviceSpec,
  type SecurityProfile,
  type ResourcesSpec,
  type RetryPolicy,
  type SecretKeyRef,
  type Toleration,
  type VolumeMount,
} from './values.ts';
export { DfpError, type Problem } from './model/errors.ts';
export { Duration } from 'cdk8s';
export { LINEAGE_ENV, datasetId, type FeatureLineage, type LineageProps } from './lineage.ts';
export {
  Entity,
  FeatureService,
  FeatureView,
  IcebergTable,
  PinnedCommit,
  type EntityProps,
  type FeatureServiceProps,
  type FeatureViewProps,
  type IcebergTableProps,
  type LakeFsRef,
  namedRef,
} from './data.ts';
export {
  Transform,
  TransformCode,
  type TransformCodeSpec,
  type TransformProcess,
  type TransformProps,
  type TransformResources,
} from './transform.ts';
export { TransformStep, TRANSFORM_LAUNCHER_IMAGE, type TransformStepProps } from './transform-step.ts';
export {
  DbtProject,
  DbtStep,
  DBT_PROJECT_DIR,
  DBT_PROFILES_DIR,
  DBT_REF_ENV,
  type DbtCommand,
  type DbtProjectProps,
  type DbtStepProps,
} from './dbt.ts';
export { DltLoad, DltSource, DLT_IMAGE, type DltFileFormat, type DltLoadProps, type DltSourceSpec } from './dlt.ts';
