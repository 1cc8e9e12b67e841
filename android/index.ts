/** The Android runtime benchmark: the emulator Job, the pipeline steps, device profiles. */
export { EmulatorBenchmark, type EmulatorBenchmarkProps } from './emulator-benchmark.ts';
export { EmulatorBenchmarkStep, RESULTS_ARTIFACT, type EmulatorBenchmarkStepProps } from './benchmark-step.ts';
export {
  ExecuTorchExport,
  PTE_ARTIFACT,
  PTE_RUN_PATH,
  type ExecuTorchExportProps,
  type ExecuTorchBackend,
  type ExecuTorchQuantization,
} from './executorch-export.ts';
export { BenchmarkFile, KvmAccess } from './files.ts';
export { type BenchmarkSettingsProps } from './settings.ts';
export * from './devices/index.ts';
