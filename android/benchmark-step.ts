/**
 * The Android runtime benchmark as a pipeline step. It is an ordinary ContainerStep
 * (image, arguments, privileges, node scheduling), so every orchestrator target renders
 * it without knowing about Android; its benchmark settings also enter the model, where
 * the same rules as for the Job check them.
 */
import type { Construct } from 'constructs';
import { Duration } from 'cdk8s';
import {
  ANDROID_BENCHMARK,
  type AndroidBenchmark,
  type AndroidBenchmarkSource,
  type FileSource,
} from '../constructs/model/android.ts';
import { Pipeline } from '../constructs/pipeline.ts';
import { eq, inputArtifactPath, outputArtifactPath, type Arg, type ArtifactRef } from '../constructs/refs.ts';
import { ContainerStep } from '../constructs/step.ts';
import type { RetryPolicy } from '../constructs/values.ts';
import type { BenchmarkFile } from './files.ts';
import { benchmarkContainer, concat, settingsModel, type BenchmarkSettingsProps } from './settings.ts';

/** Props of {@link EmulatorBenchmarkStep}. */
export interface EmulatorBenchmarkStepProps extends BenchmarkSettingsProps {
  /** The MLflow run measured and logged to, usually the training step's output (`train.output('mlflow_run_id')`). */
  readonly runId: Arg;
  /** The MLflow tracking server. @default the image's MLFLOW_TRACKING_URI */
  readonly trackingUri?: Arg;
  /** The step is stopped after this long. @default 2 hours */
  readonly timeout?: Duration;
  /** Retries after a failure. @default none */
  readonly retry?: RetryPolicy;
  /** What the step does. @default a sentence naming the device and runtimes */
  readonly description?: string;
  /**
   * A bool (usually a pipeline parameter): when false at run time, the step writes a
   * results file saying the benchmark was skipped and exits 0 without fetching anything
   * or booting the emulator (`--run-benchmark false`), so the steps reading `results`
   * still run. The orchestrators skip the task instead, scheduling nothing for it (Argo: its
   * `when`; Airflow: a gate and a small stand-in pod, targets/airflow/skip.ts; Kubeflow: a
   * `dsl.If` / `dsl.Else` pair with a stand-in task, targets/kubeflow/skip.ts), and hand the
   * readers of `results` the same skipped-results file ({@link SKIPPED_RESULTS}).
   * @default always runs (no `--run-benchmark` argument)
   */
  readonly run?: Arg;
}

/** The step's output artifact: the results as JSON (`Metrics`). */
export const RESULTS_ARTIFACT = 'results';

/** The results file of a skipped benchmark, as `dfp-android-benchmark --run-benchmark false` writes it. */
export const SKIPPED_RESULTS = '{"skipped": true, "reason": "--run-benchmark false"}\n';

/** An emulator benchmark run as a step of a pipeline; writes the `results` artifact. */
export class EmulatorBenchmarkStep extends ContainerStep implements AndroidBenchmarkSource {
  /** @param scope a pipeline or group @param id the step's name @param settings the benchmark */
  constructor(
    scope: Construct,
    id: string,
    public readonly settings: EmulatorBenchmarkStepProps,
  ) {
    const artifacts = new Map<string, ArtifactRef>();
    const file = (f: BenchmarkFile, field: string): Arg => {
      const l = f.location;
      if (l.kind === 'mlflowRun') return concat('runs:/', settings.runId, `/${l.path}`);
      if (l.kind === 's3') return l.uri;
      artifacts.set(artifactInputName(field), l.ref);
      return inputArtifactPath(artifactInputName(field));
    };
    const container = benchmarkContainer(settings, {
      runId: settings.runId,
      results: outputArtifactPath(RESULTS_ARTIFACT),
      file,
      ...(settings.trackingUri !== undefined ? { trackingUri: settings.trackingUri } : {}),
    });
    super(scope, id, {
      ...container,
      ...(settings.run !== undefined ? { args: [...(container.args ?? []), '--run-benchmark', settings.run] } : {}),
      description:
        settings.description ??
        `Benchmarks ${Object.keys(settings.models).join(', ')} on an emulated ${settings.device.name} and logs ` +
          'the results to the MLflow run.',
      inputArtifacts: Object.fromEntries(artifacts),
      outputArtifacts: { [RESULTS_ARTIFACT]: 'Metrics' },
      timeout: settings.timeout ?? Duration.hours(2),
      ...(settings.retry ? { retry: settings.retry } : {}),
    });
    if (settings.run !== undefined) {
      this.skippable = {
        when: eq(settings.run as Parameters<typeof eq>[0], true),
        artifacts: { [RESULTS_ARTIFACT]: SKIPPED_RESULTS },
      };
    }
  }

  /** The benchmark's settings, deployed as this step. */
  public [ANDROID_BENCHMARK](): AndroidBenchmark {
    const source = (f: BenchmarkFile, field: string): FileSource => {
      const l = f.location;
      return l.kind === 'artifact' ? { kind: 'stepArtifact', input: artifactInputName(field) } : { ...l };
    };
    return {
      ...settingsModel(this.node.id, this.node.path, this.settings, source),
      deployment: { kind: 'pipelineStep', pipeline: Pipeline.of(this)?.node.id ?? '', step: this.node.id },
    };
  }
}

/** `models.executorch` -> `executorch_model`, `testApk` -> `test_apk`. */
function artifactInputName(field: string): string {
  return field.startsWith('models.')
    ? `${field.slice('models.'.length)}_model`
    : field.replace(/([A-Z])/g, '_$1').toLowerCase();
}
