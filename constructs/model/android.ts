/**
 * The Android runtime benchmark in the model: the emulated device, the runtimes compared
 * and where their files come from, and how the benchmark is deployed (a Kubernetes Job,
 * or a step of a pipeline). Every benchmark's settings are here and checked by
 * rules-android.ts, whichever way it runs.
 */

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

// The schemas are part of the model's one description (schema.ts), which imports nothing of this file.
export {
  androidBenchmark,
  deviceProfile,
  fileSource,
  type AndroidBenchmark,
  type DeviceProfileModel,
  type FileSource,
} from './schema.ts';
import type { AndroidBenchmark } from './schema.ts';

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
