/**
 * Kronodroid autoencoder: training reads the Iceberg training table at the lakeFS commit
 * dfp.lock.json pins (kronodroid-features refreshes the data; a pull request running
 * `dfp lock --update kronodroid@main` moves the pin), never a moving branch, so the MLflow
 * run points at exact data and the rendered files say which. The trained model is
 * exported to ExecuTorch and compared on an emulated Android device against TFLite and
 * ONNX Runtime; the numbers land on the same MLflow run. `run_android_benchmark=false`
 * skips the emulator step (it schedules nothing); aggregate-metrics then reads a results
 * file that says so and reports the skip (android/README.md, "Skipping the benchmark").
 */
import type { Construct } from 'constructs';
import {
  ContainerStep,
  Duration,
  Pipeline,
  Resources,
  inputArtifactPath,
  outputArtifactPath,
  outputPath,
  type FeatureView,
  type IcebergTable,
} from '../constructs/index.ts';
import { KRONODROID } from '../features/kronodroid.ts';
import { IMAGES, S3_CREDENTIALS, LAKEFS_CREDENTIALS } from './kronodroid-shared.ts';
import {
  BenchmarkFile,
  EmulatorBenchmarkStep,
  ExecuTorchExport,
  KvmAccess,
  PIXEL_6_API_34,
  PTE_ARTIFACT,
  RESULTS_ARTIFACT,
} from '../android/index.ts';

/** The runtime comparison app (ExecuTorch, TFLite, ONNX Runtime) and its instrumentation APK. */
export const RUNTIME_COMPARISON_APP = {
  apk: 's3://dfp-android/runtime-comparison/1.0.0/app-release.apk',
  testApk: 's3://dfp-android/runtime-comparison/1.0.0/app-release-androidTest.apk',
} as const;

/** What training reads: the table (pinned by dfp.lock.json) and the feature view over it. */
export interface KronodroidTrainingData {
  readonly table: IcebergTable;
  readonly view: FeatureView;
}

export function kronodroidAutoencoder(scope: Construct, data: KronodroidTrainingData): Pipeline {
  const pipeline = new Pipeline(scope, 'kronodroid-autoencoder', {
    description:
      'Kronodroid: Lightning autoencoder training on the locked lakeFS commit with MLflow lineage, ExecuTorch ' +
      'export, on-device runtime benchmark in an Android emulator.',
    tags: ['kronodroid', 'autoencoder', 'team:ml-platform'],
    parameters: {
      max_epochs: { type: 'int', default: 10 },
      latent_dim: { type: 'int', default: 16 },
      batch_size: { type: 'int', default: 512 },
      max_rows_per_split: {
        type: 'int',
        default: 0,
        description: '0 means unlimited; a small value makes a smoke test.',
      },
      mlflow_tracking_uri: { type: 'string', default: 'http://mlflow.mlflow.svc.cluster.local:5000' },
      run_android_benchmark: {
        type: 'bool',
        default: true,
        description:
          'false: the emulator step is skipped (it schedules nothing), aggregate-metrics reads a results file ' +
          'saying so and reports the skip.',
      },
    },
    timeout: Duration.hours(12),
  });
  const p = (name: string) => pipeline.param(name);

  const train = new ContainerStep(pipeline, 'train', {
    description:
      'Trains the Lightning autoencoder on the pinned Feast/Iceberg data, logs to MLflow (with ONNX and TFLite ' +
      'exports for the runtime comparison) and registers the model with its lineage tags.',
    image: IMAGES.train,
    command: ['python', '-m', 'dfp_core.ml.train_kronodroid_autoencoder'],
    args: [
      '--max-epochs',
      p('max_epochs'),
      '--latent-dim',
      p('latent_dim'),
      '--batch-size',
      p('batch_size'),
      '--max-rows-per-split',
      p('max_rows_per_split'),
      '--model-dir',
      outputArtifactPath('model'),
      '--metrics-file',
      outputArtifactPath('metrics'),
      '--run-id-file',
      outputPath('mlflow_run_id'),
    ],
    env: { MLFLOW_TRACKING_URI: p('mlflow_tracking_uri') },
    // The pins the run records as MLflow tags: the commit dfp.lock.json pins the table's
    // branch to (a literal in every rendered file), never the branch, and the digest of
    // the feature definitions the feature-store target (Feast or Chronon) writes.
    lineage: {
      lakefsRepository: KRONODROID.lakefsRepository,
      lakefsRef: data.table.pinnedCommit,
      sourceTable: data.table,
      features: { featureView: data.view },
      datasetSpec: KRONODROID.datasetSpec,
    },
    secretEnv: { ...LAKEFS_CREDENTIALS, ...S3_CREDENTIALS },
    outputs: { mlflow_run_id: 'string' },
    outputArtifacts: { model: 'Model', metrics: 'Metrics' },
    // One GPU on a GPU node; where an environment has none (staging's CPU-only cluster runs
    // the small smoke run, max_rows_per_split > 0), one core and 4 GiB on any node.
    resources: Resources.gpu(1, '4', '16Gi', {
      nodeSelector: { 'dfp.dev/accelerator': 'nvidia-gpu' },
      tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
      cpuOnly: Resources.fixed('1', '4Gi'),
    }),
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
    // The step's run condition: when false each orchestrator skips it, and aggregate-metrics,
    // which reads its results, gets the skipped-results file in their place (model `skip`).
    run: p('run_android_benchmark'),
  });

  new ContainerStep(pipeline, 'aggregate-metrics', {
    description: 'Joins the training metrics and the on-device results into one summary and logs it on the MLflow run.',
    image: IMAGES.train,
    command: ['python', '-m', 'dfp_core.ml.aggregate_metrics'],
    args: [
      '--training-metrics',
      inputArtifactPath('training_metrics'),
      '--benchmark-results',
      inputArtifactPath('benchmark_results'),
      '--mlflow-run-id',
      train.output('mlflow_run_id'),
      '--summary',
      outputArtifactPath('summary'),
    ],
    env: { MLFLOW_TRACKING_URI: p('mlflow_tracking_uri') },
    secretEnv: S3_CREDENTIALS,
    inputArtifacts: {
      training_metrics: train.artifact('metrics'),
      benchmark_results: benchmark.artifact(RESULTS_ARTIFACT),
    },
    outputArtifacts: { summary: 'Metrics' },
    resources: Resources.fixed('500m', '1Gi'),
  });

  return pipeline;
}
