/**
 * What every emulator benchmark is configured with, whether it runs as a Job or as a
 * pipeline step; the defaults, applied in one place; and the one container both run.
 */
import { Concat, type Arg } from '../constructs/refs.ts';
import type { ContainerStepProps } from '../constructs/step.ts';
import { Security, Volume, type ResourcesSpec, type Toleration, type VolumeMount } from '../constructs/values.ts';
import type { AndroidBenchmark, BenchmarkRuntime } from '../constructs/model/android.ts';
import type { DeviceProfile } from './devices/device-profile.ts';
import { KvmAccess, type BenchmarkFile } from './files.ts';

/** Settings shared by {@link EmulatorBenchmark} (a Job) and {@link EmulatorBenchmarkStep}. */
export interface BenchmarkSettingsProps {
  /** The emulator image: Android SDK, emulator, system image and the benchmark runner. */
  readonly emulatorImage: string;
  /** The emulated device (see android/devices/). */
  readonly device: DeviceProfile;
  /** How the emulator reaches /dev/kvm. @default KvmAccess.hostDevice() (privileged; a declared exception) */
  readonly kvm?: KvmAccess;
  /** The runtime comparison app. */
  readonly apk: BenchmarkFile;
  /** Its instrumentation (androidTest) APK, which runs the measurements. */
  readonly testApk: BenchmarkFile;
  /**
   * `<test package>/<runner class>`. @default 'com.dfp.runtimecomparison.test/androidx.test.runner.AndroidJUnitRunner'
   */
  readonly instrumentation?: string;
  /** The model file for each runtime to compare, in the order they run. */
  readonly models: Readonly<Partial<Record<BenchmarkRuntime, BenchmarkFile>>>;
  /** Timed inferences per runtime. @default 100 */
  readonly iterations?: number;
  /** Untimed inferences before timing starts, per runtime. @default 10 */
  readonly warmup?: number;
  /** Prefix of the MLflow metric names (`android.executorch.latency_ms_p50`). @default 'android' */
  readonly metricPrefix?: string;
  /**
   * The Secret with the S3 (MinIO) key pair used to fetch files, from S3 or from the
   * MLflow artifact store. @default { secret: 'minio-credentials', accessKeyKey: 'accesskey', secretKeyKey: 'secretkey'
   * }
   */
  readonly s3Credentials?: { readonly secret: string; readonly accessKeyKey?: string; readonly secretKeyKey?: string };
  /** CPU and memory. @default the device's cores + 1 CPUs and its RAM + 2 GiB, requests = limits */
  readonly resources?: ResourcesSpec;
  /** Labels of the KVM-capable nodes. @default { 'dfp.dev/kvm': 'true' } */
  readonly nodeSelector?: Readonly<Record<string, string>>;
  /** Taints of those nodes. @default tolerates 'dfp.dev/kvm' (NoSchedule) */
  readonly tolerations?: readonly Toleration[];
  /** The service account. @default the environment's */
  readonly serviceAccount?: string;
}

export const DEFAULT_INSTRUMENTATION = 'com.dfp.runtimecomparison.test/androidx.test.runner.AndroidJUnitRunner';
export const KVM_NODE_LABEL = 'dfp.dev/kvm';
/** The emulator's working area: AVD, fetched files, results. */
const WORK_DIR = '/var/dfp/android';
const KVM_REASON =
  'the Android emulator needs the node /dev/kvm for hardware virtualisation; mounting a host device requires a ' +
  'privileged container';

/** How one benchmark's files become arguments: a path in the container, or a URI to fetch. */
export type FileArg = (file: BenchmarkFile, field: string) => Arg;

/** The benchmark's settings as the model holds them, minus its deployment. */
export function settingsModel(
  name: string,
  path: string,
  p: BenchmarkSettingsProps,
  source: (file: BenchmarkFile, field: string) => AndroidBenchmark['apk'],
): Omit<AndroidBenchmark, 'deployment'> {
  const kvm = (p.kvm ?? KvmAccess.hostDevice()).mode;
  const creds = p.s3Credentials ?? { secret: 'minio-credentials' };
  return {
    name,
    path,
    emulatorImage: p.emulatorImage,
    device: { ...p.device, screen: { ...p.device.screen } },
    kvm: { ...kvm },
    apk: source(p.apk, 'apk'),
    testApk: source(p.testApk, 'testApk'),
    instrumentation: p.instrumentation ?? DEFAULT_INSTRUMENTATION,
    models: Object.entries(p.models).map(([runtime, file]) => ({ runtime, source: source(file, `models.${runtime}`) })),
    iterations: p.iterations ?? 100,
    warmup: p.warmup ?? 10,
    metricPrefix: p.metricPrefix ?? 'android',
    s3Credentials: {
      secret: creds.secret,
      accessKeyKey: creds.accessKeyKey ?? 'accesskey',
      secretKeyKey: creds.secretKeyKey ?? 'secretkey',
    },
  };
}

/**
 * The benchmark container: fetch the APKs and models, create the AVD from the device
 * profile, boot the emulator, run the instrumentation per runtime, write the results as
 * JSON and log them as metrics on the MLflow run. Every value is its own argument (no
 * shell), so no setting can inject a command.
 */
export function benchmarkContainer(
  p: BenchmarkSettingsProps,
  run: { readonly runId: Arg; readonly results: Arg; readonly trackingUri?: Arg; readonly file: FileArg },
): ContainerStepProps {
  const kvm = (p.kvm ?? KvmAccess.hostDevice()).mode;
  const creds = p.s3Credentials ?? { secret: 'minio-credentials' };
  const d = p.device;
  const models = Object.entries(p.models).flatMap(([runtime, file]) => [
    '--model',
    concat(`${runtime}=`, run.file(file, `models.${runtime}`)),
  ]);
  const volumes: VolumeMount[] = [Volume.emptyDir('android-work', WORK_DIR, { sizeLimit: '16Gi' })];
  if (kvm.kind === 'hostDevice') volumes.push(Volume.hostDevice('kvm', kvm.path));
  const resources = p.resources ?? {
    requests: { cpu: String(d.cores + 1), memory: `${d.ramMb + 2048}Mi` },
    limits: { cpu: String(d.cores + 1), memory: `${d.ramMb + 2048}Mi` },
  };
  return {
    image: p.emulatorImage,
    command: ['dfp-android-benchmark'],
    args: [
      '--device-name',
      d.name,
      '--api-level',
      d.apiLevel,
      '--abi',
      d.abi,
      '--ram-mb',
      d.ramMb,
      '--cores',
      d.cores,
      '--screen',
      `${d.screen.widthPx}x${d.screen.heightPx}`,
      '--density',
      d.screen.densityDpi,
      '--apk',
      run.file(p.apk, 'apk'),
      '--test-apk',
      run.file(p.testApk, 'testApk'),
      '--instrumentation',
      p.instrumentation ?? DEFAULT_INSTRUMENTATION,
      ...models,
      '--iterations',
      p.iterations ?? 100,
      '--warmup',
      p.warmup ?? 10,
      '--mlflow-run-id',
      run.runId,
      '--metric-prefix',
      p.metricPrefix ?? 'android',
      '--results',
      run.results,
      '--work-dir',
      WORK_DIR,
    ],
    env: {
      ANDROID_AVD_HOME: `${WORK_DIR}/avd`,
      ...(run.trackingUri !== undefined ? { MLFLOW_TRACKING_URI: run.trackingUri } : {}),
    },
    secretEnv: {
      AWS_ACCESS_KEY_ID: { secret: creds.secret, key: creds.accessKeyKey ?? 'accesskey' },
      AWS_SECRET_ACCESS_KEY: { secret: creds.secret, key: creds.secretKeyKey ?? 'secretkey' },
    },
    resources: {
      ...resources,
      ...(kvm.kind === 'devicePlugin'
        ? { devices: [...(resources.devices ?? []), { resource: kvm.resource, count: 1 }] }
        : {}),
    },
    volumes,
    nodeSelector: p.nodeSelector ?? { [KVM_NODE_LABEL]: 'true' },
    tolerations: p.tolerations ?? [{ key: KVM_NODE_LABEL, operator: 'Exists', effect: 'NoSchedule' }],
    security: kvm.kind === 'hostDevice' ? Security.privileged(KVM_REASON) : Security.restricted(),
    ...(p.serviceAccount ? { serviceAccount: p.serviceAccount } : {}),
  };
}

/** Arguments joined into one, flattening any that are already joined. */
export function concat(...args: Arg[]): Concat {
  return new Concat(args.flatMap((a) => (a instanceof Concat ? a.pieces : [a])));
}
