/**
 * The Android runtime benchmark as a Kubernetes Job, rendered into dist/<env>/android/
 * for every environment: it measures the models of one MLflow run and logs the numbers
 * on that run. To benchmark another run, change `runId`; the Job's name carries the
 * run id's first 8 digits, so a new run makes a new Job (a Job's pod template is immutable).
 */
import { Construct } from 'constructs';
import { Duration } from 'cdk8s';
import {
  ANDROID_BENCHMARK,
  type AndroidBenchmark,
  type AndroidBenchmarkSource,
  type FileSource,
} from '../constructs/model/android.ts';
import { podSettingsModel, securityModel } from '../constructs/model/build-step.ts';
import type { Arg as ModelArg, Step } from '../constructs/model/schema.ts';
import { Concat, type Arg } from '../constructs/refs.ts';
import type { ContainerStepProps } from '../constructs/step.ts';
import type { BenchmarkFile } from './files.ts';
import { benchmarkContainer, settingsModel, type BenchmarkSettingsProps } from './settings.ts';

/** Props of {@link EmulatorBenchmark}. */
export interface EmulatorBenchmarkProps extends BenchmarkSettingsProps {
  /** The MLflow run whose models are measured and on which the metrics are logged (32 hex digits). */
  readonly runId: string;
  /** The Job is stopped after this long, emulator boot included. @default 2 hours */
  readonly activeDeadline?: Duration;
  /** Retries of a failed pod. @default 1 */
  readonly backoffLimit?: number;
  /** How long a finished Job (and its logs) is kept. @default 1 day */
  readonly ttlAfterFinished?: Duration;
}

export const RESULTS_FILE = '/var/dfp/android/results.json';

/**
 * An emulator benchmark Job. Its construct id names the Job (a DNS-1123 label of at
 * most 54 characters, to leave room for the run id suffix).
 */
export class EmulatorBenchmark extends Construct implements AndroidBenchmarkSource {
  /** @param scope the app @param id the Job's name @param props the benchmark */
  constructor(
    scope: Construct,
    id: string,
    public readonly props: EmulatorBenchmarkProps,
  ) {
    super(scope, id);
  }

  /** The benchmark's model: its settings, and the Job with its one container. */
  public [ANDROID_BENCHMARK](): AndroidBenchmark {
    const p = this.props;
    const file = (f: BenchmarkFile): Arg => {
      const l = f.location;
      return l.kind === 'mlflowRun' ? `runs:/${p.runId}/${l.path}` : l.kind === 's3' ? l.uri : '';
    };
    const container = benchmarkContainer(p, { runId: p.runId, results: RESULTS_FILE, file });
    return {
      ...settingsModel(this.node.id, this.node.path, p, sourceOf),
      deployment: {
        kind: 'job',
        runId: p.runId,
        activeDeadlineSeconds: (p.activeDeadline ?? Duration.hours(2)).toSeconds(),
        backoffLimit: p.backoffLimit ?? 1,
        ttlSecondsAfterFinished: (p.ttlAfterFinished ?? Duration.days(1)).toSeconds(),
        container: jobContainer(this.node.id, this.node.path, container),
      },
    };
  }
}

/** A Job has no pipeline to pass files in: an artifact source is reported by the rules. */
function sourceOf(f: BenchmarkFile): FileSource {
  const l = f.location;
  return l.kind === 'artifact' ? { kind: 'stepArtifact', input: l.ref.name } : { ...l };
}

/** The Job's container as a model step: literal arguments only, no inputs, outputs or dependencies. */
function jobContainer(name: string, path: string, p: ContainerStepProps): Step {
  return {
    name,
    path,
    image: p.image,
    command: (p.command ?? []).map(literalArg),
    args: (p.args ?? []).map(literalArg),
    env: Object.entries(p.env ?? {}).map(([n, value]) => ({ name: n, value: literalArg(value) })),
    secretEnv: Object.entries(p.secretEnv ?? {}).map(([n, ref]) => ({ name: n, secret: ref.secret, key: ref.key })),
    inputs: { parameters: [], artifacts: [] },
    outputs: { parameters: [], artifacts: [] },
    ...podSettingsModel(p),
    caching: false,
    ...(p.serviceAccount ? { serviceAccount: p.serviceAccount } : {}),
    security: securityModel(p.security),
    dependsOn: [],
  };
}

function literalArg(a: Arg): ModelArg {
  const pieces = a instanceof Concat ? a.pieces : [a];
  const text = pieces
    .map((x) => (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean' ? String(x) : ''))
    .join('');
  return [{ kind: 'literal', value: text }];
}
