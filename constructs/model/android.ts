/**
 * The Android runtime benchmark in the model: the emulated device, the runtimes compared
 * and where their files come from, and how the benchmark is deployed (a Kubernetes Job,
 * or a step of a pipeline). Every benchmark's settings are here and checked by
 * rules-android.ts, whichever way it runs.
 */
import { z } from 'zod';
import { step } from './schema.ts';

/** The ABIs Android system images are built for. */
export const ANDROID_ABIS = ['x86', 'x86_64', 'armeabi-v7a', 'arm64-v8a'] as const;
/** The on-device runtimes the comparison app can drive. */
export const BENCHMARK_RUNTIMES = ['executorch', 'tflite', 'onnxruntime'] as const;
export type BenchmarkRuntime = (typeof BENCHMARK_RUNTIMES)[number];
/** The model file each runtime loads. */
export const RUNTIME_FILE_EXTENSIONS: Readonly<Record<BenchmarkRuntime, string>> = {
  executorch: '.pte',
  tflite: '.tflite',
  onnxruntime: '.onnx',
};

export const deviceProfile = z.object({
  /** The profile's name (`pixel-6-api-34`), a DNS-1123 label. */
  name: z.string(),
  /** Android API level of the system image. */
  apiLevel: z.number(),
  /** The system image's ABI; checked against ANDROID_ABIS by the rules, to name the mistake. */
  abi: z.string(),
  /** RAM of the emulated device, MiB. */
  ramMb: z.number(),
  /** Virtual CPU cores. */
  cores: z.number(),
  screen: z.object({ widthPx: z.number(), heightPx: z.number(), densityDpi: z.number() }),
});
export type DeviceProfileModel = z.infer<typeof deviceProfile>;

/** Where a file the benchmark needs (APK, model) comes from. */
export const fileSource = z.discriminatedUnion('kind', [
  /** An artifact of the MLflow run being measured, by its path inside the run. */
  z.object({ kind: z.literal('mlflowRun'), path: z.string() }),
  /** An object in S3 (MinIO), `s3://bucket/key`, read with the benchmark's S3 credentials. */
  z.object({ kind: z.literal('s3'), uri: z.string() }),
  /** An input artifact of the pipeline step (only for benchmarks that are pipeline steps). */
  z.object({ kind: z.literal('stepArtifact'), input: z.string() }),
]);
export type FileSource = z.infer<typeof fileSource>;

export const androidBenchmark = z.object({
  name: z.string(),
  path: z.string(),
  emulatorImage: z.string(),
  device: deviceProfile,
  kvm: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('hostDevice'), path: z.string() }),
    z.object({ kind: z.literal('devicePlugin'), resource: z.string() }),
  ]),
  apk: fileSource,
  testApk: fileSource,
  /** The instrumentation to run: `<test package>/<runner class>`. */
  instrumentation: z.string(),
  /** One model file per runtime compared, in the author's order. */
  models: z.array(z.object({ runtime: z.string(), source: fileSource })),
  iterations: z.number(),
  warmup: z.number(),
  /** Prefix of every metric logged to MLflow (`android.executorch.latency_ms_p50`). */
  metricPrefix: z.string(),
  s3Credentials: z.object({ secret: z.string(), accessKeyKey: z.string(), secretKeyKey: z.string() }).optional(),
  deployment: z.discriminatedUnion('kind', [
    z.object({
      kind: z.literal('job'),
      /** The MLflow run the models belong to and the metrics are logged on. */
      runId: z.string(),
      activeDeadlineSeconds: z.number(),
      backoffLimit: z.number(),
      ttlSecondsAfterFinished: z.number(),
      /** The Job's container, as a step with no inputs, outputs or dependencies. */
      // Lazy: schema.ts and this file import each other.
      container: z.lazy(() => step),
    }),
    z.object({ kind: z.literal('pipelineStep'), pipeline: z.string(), step: z.string() }),
  ]),
});
export type AndroidBenchmark = z.infer<typeof androidBenchmark>;

/**
 * A construct that contributes a benchmark to the model. The model builder finds such
 * constructs by this key, so constructs/ need not import android/.
 */
export const ANDROID_BENCHMARK = Symbol.for('dfp.androidBenchmark');

export interface AndroidBenchmarkSource {
  [ANDROID_BENCHMARK](): AndroidBenchmark;
}

export function isAndroidBenchmarkSource(x: unknown): x is AndroidBenchmarkSource {
  return typeof x === 'object' && x !== null && typeof (x as Record<symbol, unknown>)[ANDROID_BENCHMARK] === 'function';
}
