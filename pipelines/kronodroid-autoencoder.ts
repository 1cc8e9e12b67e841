/**
 * Kronodroid autoencoder: Spark builds the Iceberg training table (Avro data files) on a
 * lakeFS branch, the branch is committed and merged, and training reads the merge
 * commit, never a moving branch, so the MLflow run points at exact data. The trained
 * model is exported to ExecuTorch and compared on an emulated Android device against
 * TFLite and ONNX Runtime; the numbers land on the same MLflow run.
 */
import type { Construct } from 'constructs';
import {
  ContainerStep, Duration, Pipeline, Resources, TransformStep, fmt, inputArtifactPath, outputArtifactPath, outputPath,
} from '../constructs/index.ts';
import { KRONODROID, kronodroidData } from '../features/kronodroid.ts';
import { BenchmarkFile, EmulatorBenchmarkStep, ExecuTorchExport, KvmAccess, PIXEL_6_API_34, PTE_ARTIFACT, RESULTS_ARTIFACT } from '../android/index.ts';

const IMAGES = {
  lakefs: 'registry.dfp.internal/dfp/lakefs-tools:1.2.0',
  train: 'registry.dfp.internal/dfp/kronodroid-train:0.3.1',
  export: 'registry.dfp.internal/dfp/executorch-export:0.5.0',
  emulator: 'registry.dfp.internal/dfp/android-emulator:34-x86_64-1.2.0',
};

/** The runtime comparison app (ExecuTorch, TFLite, ONNX Runtime) and its instrumentation APK. */
export const RUNTIME_COMPARISON_APP = {
  apk: 's3://dfp-android/runtime-comparison/1.0.0/app-release.apk',
  testApk: 's3://dfp-android/runtime-comparison/1.0.0/app-release-androidTest.apk',
} as const;

const LAKEFS_CREDENTIALS = {
  LAKEFS_ACCESS_KEY_ID: { secret: 'lakefs-credentials', key: 'access_key_id' },
  LAKEFS_SECRET_ACCESS_KEY: { secret: 'lakefs-credentials', key: 'secret_access_key' },
};

const S3_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: { secret: 'minio-credentials', key: 'accesskey' },
  AWS_SECRET_ACCESS_KEY: { secret: 'minio-credentials', key: 'secretkey' },
};

export function kronodroidAutoencoder(scope: Construct): Pipeline {
  const pipeline = new Pipeline(scope, 'kronodroid-autoencoder', {
    description: 'Kronodroid: Spark/Iceberg transform on lakeFS, commit and merge, Lightning autoencoder training with MLflow lineage, ExecuTorch export, on-device runtime benchmark in an Android emulator.',
    tags: ['kronodroid', 'autoencoder', 'team:ml-platform'],
    parameters: {
      run_transform: { type: 'bool', default: true, description: 'Rebuild the Iceberg tables and commit them to lakeFS; false trains on the head of target_branch.' },
      target_branch: { type: 'string', default: 'main', description: 'The lakeFS branch the transform writes to and training reads from.' },
      max_epochs: { type: 'int', default: 10 },
      latent_dim: { type: 'int', default: 16 },
      batch_size: { type: 'int', default: 512 },
      max_rows_per_split: { type: 'int', default: 0, description: '0 means unlimited; a small value makes a smoke test.' },
      mlflow_tracking_uri: { type: 'string', default: 'http://mlflow.mlflow.svc.cluster.local:5000' },
    },
    timeout: Duration.hours(12),
  });
  const p = (name: string) => pipeline.param(name);

  // The engine (Spark here, DataFusion where an environment says so) comes from the
  // environment; the step starts the transform's run template and waits for it.
  const transform = new TransformStep(pipeline, 'spark-transform', {
    transform: kronodroidData(scope).transform,
    args: [
      '--branch', p('target_branch'),
      // The job decides, not a `when`: the commit-merge step must wait for the transform
      // whenever it runs, and Kubeflow cannot order a task after one that may be skipped.
      '--enabled', p('run_transform'),
    ],
    retry: { limit: 2, backoffSeconds: 60 },
    timeout: Duration.hours(2),
  });

  const merge = new ContainerStep(pipeline, 'lakefs-commit-merge', {
    description: 'Commits the transform output and merges it; without a transform, resolves the branch head. Either way the output is an immutable commit id.',
    image: IMAGES.lakefs,
    command: ['python', '-m', 'dfp_tools.lakefs_commit_merge'],
    args: [
      '--repository', KRONODROID.lakefsRepository,
      '--branch', p('target_branch'),
      '--into', KRONODROID.mainBranch,
      fmt`--commit=${p('run_transform')}`,
      '--commit-id-file', outputPath('commit_id'),
    ],
    outputs: { commit_id: { type: 'string', description: 'The lakeFS commit training reads.' } },
    secretEnv: LAKEFS_CREDENTIALS,
    resources: Resources.fixed('250m', '256Mi'),
    retry: { limit: 3, backoffSeconds: 10 },
  }).after(transform);

  const train = new ContainerStep(pipeline, 'train', {
    description: 'Trains the Lightning autoencoder on the pinned Feast/Iceberg data, logs to MLflow (with ONNX and TFLite exports for the runtime comparison) and registers the model with its lineage tags.',
    image: IMAGES.train,
    command: ['python', '-m', 'dfp_core.ml.train_kronodroid_autoencoder'],
    args: [
      '--max-epochs', p('max_epochs'),
      '--latent-dim', p('latent_dim'),
      '--batch-size', p('batch_size'),
      '--max-rows-per-split', p('max_rows_per_split'),
      '--model-dir', outputArtifactPath('model'),
      '--metrics-file', outputArtifactPath('metrics'),
      '--run-id-file', outputPath('mlflow_run_id'),
    ],
    env: { MLFLOW_TRACKING_URI: p('mlflow_tracking_uri') },
    // The pins the run records as MLflow tags: the merge commit, never the branch.
    lineage: {
      lakefsRepository: KRONODROID.lakefsRepository,
      lakefsRef: merge.output('commit_id'),
      sourceTable: KRONODROID.sourceTable,
      feast: { featureView: KRONODROID.featureView },
      datasetSpec: KRONODROID.datasetSpec,
    },
    secretEnv: { ...LAKEFS_CREDENTIALS, ...S3_CREDENTIALS },
    outputs: { mlflow_run_id: 'string' },
    outputArtifacts: { model: 'Model', metrics: 'Metrics' },
    resources: Resources.gpu(1, '4', '16Gi'),
    nodeSelector: { 'dfp.dev/accelerator': 'nvidia-gpu' },
    tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
    timeout: Duration.hours(6),
  });

  const exportStep = new ExecuTorchExport(pipeline, 'export-executorch', {
    image: IMAGES.export,
    model: train.artifact('model'),
    backend: 'xnnpack',
    quantization: 'none',
    runId: train.output('mlflow_run_id'),
    trackingUri: p('mlflow_tracking_uri'),
    secretEnv: S3_CREDENTIALS,
  });

  const benchmark = new EmulatorBenchmarkStep(pipeline, 'benchmark-android', {
    emulatorImage: IMAGES.emulator,
    // A device plugin, not the node's /dev/kvm: Kubeflow can neither mount a host device
    // nor run a privileged container, and this keeps the step in the restricted profile.
    kvm: KvmAccess.devicePlugin(),
    device: PIXEL_6_API_34,
    apk: BenchmarkFile.s3(RUNTIME_COMPARISON_APP.apk),
    testApk: BenchmarkFile.s3(RUNTIME_COMPARISON_APP.testApk),
    models: {
      executorch: BenchmarkFile.artifact(exportStep.artifact(PTE_ARTIFACT)),
      tflite: BenchmarkFile.mlflowRun('tflite/model.tflite'),
      onnxruntime: BenchmarkFile.mlflowRun('onnx/model.onnx'),
    },
    iterations: 200,
    warmup: 20,
    runId: train.output('mlflow_run_id'),
    trackingUri: p('mlflow_tracking_uri'),
  });

  new ContainerStep(pipeline, 'aggregate-metrics', {
    description: 'Joins the training metrics and the on-device results into one summary and logs it on the MLflow run.',
    image: IMAGES.train,
    command: ['python', '-m', 'dfp_core.ml.aggregate_metrics'],
    args: [
      '--training-metrics', inputArtifactPath('training_metrics'),
      '--benchmark-results', inputArtifactPath('benchmark_results'),
      '--mlflow-run-id', train.output('mlflow_run_id'),
      '--summary', outputArtifactPath('summary'),
    ],
    env: { MLFLOW_TRACKING_URI: p('mlflow_tracking_uri') },
    secretEnv: S3_CREDENTIALS,
    inputArtifacts: { training_metrics: train.artifact('metrics'), benchmark_results: benchmark.artifact(RESULTS_ARTIFACT) },
    outputArtifacts: { summary: 'Metrics' },
    resources: Resources.fixed('500m', '1Gi'),
  });

  return pipeline;
}
