/**
 * The standalone runtime benchmark of the Kronodroid model in production: a Job in every
 * environment that measures the registered run's ExecuTorch, TFLite and ONNX files on an
 * emulated Pixel 6 and logs the numbers on that run. Point `runId` at another run to
 * measure it; the pipeline measures every new run by itself.
 */
import type { Construct } from 'constructs';
import { BenchmarkFile, EmulatorBenchmark, PIXEL_6_API_34, PTE_RUN_PATH } from '../android/index.ts';
import { Duration } from '../constructs/index.ts';
import { RUNTIME_COMPARISON_APP } from './kronodroid-autoencoder.ts';

/** The MLflow run of the Kronodroid autoencoder currently registered for production. */
export const KRONODROID_PRODUCTION_RUN = '3f2c9a4e8b7d41c6a0e5f9b2d1c8e7a6';

export function kronodroidBenchmark(scope: Construct): EmulatorBenchmark {
  return new EmulatorBenchmark(scope, 'kronodroid-runtime-benchmark', {
    runId: KRONODROID_PRODUCTION_RUN,
    emulatorImage: 'registry.dfp.internal/dfp/android-emulator:34-x86_64-1.2.0',
    device: PIXEL_6_API_34,
    apk: BenchmarkFile.s3(RUNTIME_COMPARISON_APP.apk),
    testApk: BenchmarkFile.s3(RUNTIME_COMPARISON_APP.testApk),
    models: {
      executorch: BenchmarkFile.mlflowRun(PTE_RUN_PATH),
      tflite: BenchmarkFile.mlflowRun('tflite/model.tflite'),
      onnxruntime: BenchmarkFile.mlflowRun('onnx/model.onnx'),
    },
    iterations: 200,
    warmup: 20,
    activeDeadline: Duration.hours(2),
    backoffLimit: 1,
    ttlAfterFinished: Duration.days(3),
  });
}
