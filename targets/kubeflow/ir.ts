/**
 * The slice of the KFP PipelineSpec (schemaVersion 2.1.0) that dfp writes, as plain
 * types. Field names are the protobuf JSON names, because the files are read by kfp's
 * `json_format.ParseDict`.
 */
import type { ArtifactType, JsonValue, ParamType } from '../../constructs/model/schema.ts';

export type ParameterType = 'STRING' | 'NUMBER_INTEGER' | 'NUMBER_DOUBLE' | 'BOOLEAN' | 'LIST' | 'STRUCT';

export const PARAMETER_TYPE: Record<ParamType, ParameterType> = {
  string: 'STRING',
  int: 'NUMBER_INTEGER',
  float: 'NUMBER_DOUBLE',
  bool: 'BOOLEAN',
  list: 'LIST',
  struct: 'STRUCT',
};

export interface ArtifactTypeSchema {
  schemaTitle: string;
  schemaVersion: string;
}

export const artifactTypeSchema = (t: ArtifactType): ArtifactTypeSchema => ({
  schemaTitle: `system.${t}`,
  schemaVersion: '0.0.1',
});

export interface ParameterSpec {
  parameterType: ParameterType;
  defaultValue?: JsonValue;
  isOptional?: boolean;
  description?: string;
}

export interface InputDefinitions {
  parameters?: Record<string, ParameterSpec>;
  artifacts?: Record<string, { artifactType: ArtifactTypeSchema }>;
}

export interface OutputDefinitions {
  parameters?: Record<string, { parameterType: ParameterType; description?: string }>;
  artifacts?: Record<string, { artifactType: ArtifactTypeSchema }>;
}

/** How a task input gets its value. */
export type ParameterArgument =
  | { runtimeValue: { constant: JsonValue } }
  | { componentInputParameter: string; parameterExpressionSelector?: string }
  | { taskOutputParameter: { producerTask: string; outputParameterKey: string } };

export type ArtifactArgument =
  { componentInputArtifact: string } | { taskOutputArtifact: { producerTask: string; outputArtifactKey: string } };

export interface TaskInputs {
  parameters?: Record<string, ParameterArgument>;
  artifacts?: Record<string, ArtifactArgument>;
}

export interface PipelineTask {
  taskInfo: { name: string };
  componentRef: { name: string };
  inputs?: TaskInputs;
  dependentTasks?: string[];
  cachingOptions?: { enableCache?: boolean };
  triggerPolicy?: { condition?: string; strategy?: 'ALL_UPSTREAM_TASKS_COMPLETED' };
  parameterIterator?: { itemInput: string; items: { raw: string } | { inputParameter: string } };
  iteratorPolicy?: { parallelismLimit: number };
  retryPolicy?: { maxRetryCount: number; backoffDuration: string; backoffFactor: number; backoffMaxDuration: string };
}

/** Where a DAG's output artifact comes from: one task's output, or the first of several that ran (a OneOf). */
export interface ArtifactSelector {
  producerSubtask: string;
  outputArtifactKey: string;
}

export interface DagOutputs {
  artifacts: Record<string, { artifactSelectors: ArtifactSelector[] }>;
}

export interface ComponentSpec {
  inputDefinitions?: InputDefinitions;
  outputDefinitions?: OutputDefinitions;
  dag?: { outputs?: DagOutputs; tasks: Record<string, PipelineTask> };
  executorLabel?: string;
}

export interface ContainerSpec {
  image: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value: string }[];
  resources?: Record<string, unknown>;
}

export interface PipelineSpec {
  pipelineInfo: { name: string; description?: string; displayName?: string };
  root: ComponentSpec;
  components: Record<string, ComponentSpec>;
  deploymentSpec: { executors: Record<string, { container: ContainerSpec }> };
  schemaVersion: '2.1.0';
  sdkVersion: string;
}

/** `platforms.kubernetes`: per executor, what the Kubernetes platform adds to its pod. */
export interface PlatformSpec {
  platforms: { kubernetes: { deploymentSpec: { executors: Record<string, Record<string, unknown>> } } };
}
