/**
 * Rules for Android benchmarks: a device the emulator can actually boot on a KVM node,
 * runtimes with matching model files, and a Job Kubernetes accepts. Each problem names
 * the construct path and what to change.
 */
import {
  ANDROID_ABIS,
  BENCHMARK_RUNTIMES,
  RUNTIME_FILE_EXTENSIONS,
  type AndroidBenchmark,
  type BenchmarkRuntime,
  type DeviceProfileModel,
  type FileSource,
} from './android.ts';
import type { Problems } from './errors.ts';
import { checkDnsLabel, checkDnsSubdomain, checkImage, checkSecretKey } from './names.ts';
import { parseQuantity } from './quantity.ts';
import { checkStep } from './rules-pipeline.ts';
import type { Model } from './schema.ts';

/** API levels with emulator system images that dfp's RAM table covers. */
export const MIN_API_LEVEL = 24;
export const MAX_API_LEVEL = 35;
/** Google ships no 32-bit x86 system image after Android 11 (API 30). */
const LAST_X86_API_LEVEL = 30;
/** The emulator accelerates only x86 guests on x86-64 KVM nodes. */
const KVM_ABIS = ['x86', 'x86_64'];
const SIXTY_FOUR_BIT = ['x86_64', 'arm64-v8a'];
/** The densities the emulator's hardware profiles accept (hw.lcd.density). */
const DENSITIES = [
  120, 140, 160, 180, 200, 213, 220, 240, 260, 280, 300, 320, 340, 360, 400, 420, 440, 450, 480, 560, 600, 640,
];
const MLFLOW_RUN_ID = /^[0-9a-f]{32}$/;
const S3_URI = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/[A-Za-z0-9._\-/]+$/;
const RELATIVE_PATH = /^[A-Za-z0-9_][A-Za-z0-9._\-/]*$/;
const INSTRUMENTATION = /^[a-zA-Z][\w]*(\.[a-zA-Z][\w]*)+\/[a-zA-Z_.$][\w.$]*$/;

/**
 * The least RAM (MiB) a handheld device may have: the Android CDD §7.6.1 minimum for its
 * bitness and screen density (small/normal screens), raised to 2 GiB from API 33, where
 * devices with less must ship the low-RAM Go edition, which the emulator images are not.
 */
export function minimumRamMb(device: Pick<DeviceProfileModel, 'apiLevel' | 'abi' | 'screen'>): number {
  const dpi = device.screen.densityDpi;
  const bucket = dpi >= 560 ? 3 : dpi >= 400 ? 2 : dpi > 280 ? 1 : 0;
  const cdd = SIXTY_FOUR_BIT.includes(device.abi) ? [816, 944, 1280, 1824][bucket]! : [512, 608, 896, 1344][bucket]!;
  return device.apiLevel >= 33 ? Math.max(cdd, 2048) : cdd;
}

export function checkAndroidBenchmarks(model: Model, problems: Problems): void {
  const seenJobs = new Map<string, string>();
  for (const b of model.androidBenchmarks) {
    checkBenchmark(b, model, problems);
    if (b.deployment.kind === 'job') {
      const first = seenJobs.get(b.name);
      if (first)
        problems.add(
          b.path,
          `duplicate benchmark Job name '${b.name}' (also '${first}'); each renders to dist/<env>/android/` +
            `${b.name}.yaml`,
        );
      seenJobs.set(b.name, b.path);
    }
  }
}

function checkBenchmark(b: AndroidBenchmark, model: Model, problems: Problems): void {
  const add = (message: string | undefined) => message && problems.add(b.path, message);
  add(checkDnsLabel('benchmark name', b.name));
  add(checkImage(b.emulatorImage));
  checkDevice(b.device, add);

  if (b.kvm.kind === 'hostDevice' && b.kvm.path !== '/dev/kvm')
    add(`kvm: host device '${b.kvm.path}' is not /dev/kvm; the emulator opens /dev/kvm`);
  if (b.kvm.kind === 'devicePlugin' && !/^[a-z0-9.-]+\/[A-Za-z0-9._-]+$/.test(b.kvm.resource)) {
    add(
      `kvm: '${b.kvm.resource}' is not a device-plugin resource name; write it as '<domain>/<name>' (e.g. ` +
        `'devices.kubevirt.io/kvm')`,
    );
  }

  const isStep = b.deployment.kind === 'pipelineStep';
  checkSource('apk', b.apk, '.apk', isStep, add);
  checkSource('testApk', b.testApk, '.apk', isStep, add);
  if (!INSTRUMENTATION.test(b.instrumentation)) {
    add(
      `instrumentation '${b.instrumentation}' must be '<test package>/<runner class>' (e.g. ` +
        `'com.dfp.runtimecomparison.test/androidx.test.runner.AndroidJUnitRunner')`,
    );
  }

  if (b.models.length === 0) add(`models: name at least one runtime to compare (${BENCHMARK_RUNTIMES.join(', ')})`);
  const runtimes = new Set<string>();
  for (const m of b.models) {
    if (!(BENCHMARK_RUNTIMES as readonly string[]).includes(m.runtime)) {
      add(`models: unknown runtime '${m.runtime}'; use one of ${BENCHMARK_RUNTIMES.join(', ')}`);
      continue;
    }
    if (runtimes.has(m.runtime))
      add(`models: runtime '${m.runtime}' is listed twice; give each runtime one model file`);
    runtimes.add(m.runtime);
    checkSource(`models.${m.runtime}`, m.source, RUNTIME_FILE_EXTENSIONS[m.runtime as BenchmarkRuntime], isStep, add);
  }

  if (!Number.isInteger(b.iterations) || b.iterations < 1 || b.iterations > 100_000)
    add(`iterations must be a whole number from 1 to 100000, not ${b.iterations}`);
  if (!Number.isInteger(b.warmup) || b.warmup < 0 || b.warmup > 10_000)
    add(`warmup must be a whole number from 0 to 10000, not ${b.warmup}`);
  if (!/^[a-z][a-z0-9_.]*$/.test(b.metricPrefix))
    add(
      `metricPrefix '${b.metricPrefix}' must be lower-case letters, digits, '_' and '.', as MLflow metric ` +
        `names (e.g. 'android')`,
    );

  const usesS3 = [b.apk, b.testApk, ...b.models.map((m) => m.source)].some((s) => s.kind === 's3');
  if (usesS3 && !b.s3Credentials)
    add(
      's3Credentials: files come from S3 but no credentials Secret is named; set s3Credentials: { secret, ' +
        'accessKeyKey, secretKeyKey }',
    );
  if (b.s3Credentials) {
    add(checkDnsSubdomain('s3Credentials.secret', b.s3Credentials.secret));
    add(checkSecretKey(b.s3Credentials.secret, b.s3Credentials.accessKeyKey));
    add(checkSecretKey(b.s3Credentials.secret, b.s3Credentials.secretKeyKey));
  }

  const d = b.deployment;
  if (d.kind === 'job') {
    if (b.name.length > 54)
      add(
        `benchmark name '${b.name}' is longer than 54 characters; the Job's name adds '-' and 8 digits of the ` +
          'run id, and must stay within 63',
      );
    if (!MLFLOW_RUN_ID.test(d.runId))
      add(`runId '${d.runId}' is not an MLflow run id (32 lower-case hex digits); copy it from the run's page`);
    if (!Number.isInteger(d.activeDeadlineSeconds) || d.activeDeadlineSeconds < 60)
      add(
        'activeDeadline must be at least 60 seconds (the emulator alone takes a minute to boot), not ' +
          `${d.activeDeadlineSeconds}s`,
      );
    if (!Number.isInteger(d.backoffLimit) || d.backoffLimit < 0 || d.backoffLimit > 10)
      add(`backoffLimit must be a whole number from 0 to 10, not ${d.backoffLimit}`);
    if (!Number.isInteger(d.ttlSecondsAfterFinished) || d.ttlSecondsAfterFinished < 0)
      add(`ttlAfterFinished must be zero or more whole seconds, not ${d.ttlSecondsAfterFinished}`);
    checkStep(d.container, () => 'unknown', problems);
    checkMemory(b, d.container.resources.limits.memory, add);
  } else {
    const step = model.pipelines.find((p) => p.name === d.pipeline)?.steps.find((s) => s.name === d.step);
    if (step) checkMemory(b, step.resources.limits.memory, add);
  }
}

function checkDevice(device: DeviceProfileModel, add: (m: string) => void): void {
  const at = `device '${device.name}'`;
  const problem = checkDnsLabel(`${at}: name`, device.name);
  if (problem) add(problem);
  const knownAbi = (ANDROID_ABIS as readonly string[]).includes(device.abi);
  if (!knownAbi)
    add(`${at}: unknown ABI '${device.abi}'; use one of ${ANDROID_ABIS.join(', ')} ('x86_64' on KVM nodes)`);
  else if (!KVM_ABIS.includes(device.abi))
    add(
      `${at}: ABI '${device.abi}' cannot be accelerated by KVM on x86-64 nodes and would run emulated, skewing ` +
        `every timing; use 'x86_64'`,
    );
  const apiOk =
    Number.isInteger(device.apiLevel) && device.apiLevel >= MIN_API_LEVEL && device.apiLevel <= MAX_API_LEVEL;
  if (!apiOk)
    add(
      `${at}: apiLevel ${device.apiLevel} is not a supported Android API level; use a whole number from ` +
        `${MIN_API_LEVEL} to ${MAX_API_LEVEL}`,
    );
  if (apiOk && device.abi === 'x86' && device.apiLevel > LAST_X86_API_LEVEL)
    add(
      `${at}: there is no 32-bit x86 system image for API level ${device.apiLevel} (the last is ` +
        `${LAST_X86_API_LEVEL}); use 'x86_64'`,
    );
  if (!Number.isInteger(device.cores) || device.cores < 1 || device.cores > 16)
    add(`${at}: cores must be a whole number from 1 to 16, not ${device.cores}`);
  const { widthPx, heightPx, densityDpi } = device.screen;
  for (const [field, v] of [
    ['widthPx', widthPx],
    ['heightPx', heightPx],
  ] as const) {
    if (!Number.isInteger(v) || v < 240 || v > 4096)
      add(`${at}: screen.${field} must be a whole number of pixels from 240 to 4096, not ${v}`);
  }
  if (!DENSITIES.includes(densityDpi))
    add(
      `${at}: screen.densityDpi ${densityDpi} is not a density the emulator offers; use one of ${DENSITIES.join(', ')}`,
    );
  if (!Number.isInteger(device.ramMb) || device.ramMb > 16_384)
    add(`${at}: ramMb must be a whole number of MiB up to 16384, not ${device.ramMb}`);
  else if (apiOk && knownAbi && DENSITIES.includes(densityDpi)) {
    const min = minimumRamMb(device);
    if (device.ramMb < min) {
      add(
        `${at}: ramMb ${device.ramMb} is below the ${min} MiB that API level ${device.apiLevel} requires of a ` +
          `${SIXTY_FOUR_BIT.includes(device.abi) ? '64' : '32'}-bit device at ${densityDpi} dpi; give it at ` +
          `least ${min}`,
      );
    }
  }
}

function checkSource(field: string, s: FileSource, extension: string, isStep: boolean, add: (m: string) => void): void {
  switch (s.kind) {
    case 'mlflowRun':
      if (!RELATIVE_PATH.test(s.path) || s.path.split('/').includes('..'))
        add(
          `${field}: MLflow artifact path '${s.path}' must be relative to the run, without '..' or spaces ` +
            `(e.g. 'executorch/model${extension}')`,
        );
      else if (!s.path.endsWith(extension)) add(`${field}: '${s.path}' should be a ${extension} file`);
      break;
    case 's3':
      if (!S3_URI.test(s.uri) || s.uri.split('/').includes('..'))
        add(`${field}: '${s.uri}' is not an s3://bucket/key URI (letters, digits, '.', '_', '-' and '/' in the key)`);
      else if (!s.uri.endsWith(extension)) add(`${field}: '${s.uri}' should be a ${extension} file`);
      break;
    case 'stepArtifact':
      if (!isStep)
        add(
          `${field}: a step artifact is only available to a benchmark that is a pipeline step; use an MLflow ` +
            'run artifact or an s3:// URI',
        );
      break;
  }
}

/** The emulator reserves the device's RAM up front; a lower memory limit gets it OOM-killed. */
function checkMemory(b: AndroidBenchmark, limit: string | undefined, add: (m: string) => void): void {
  const bytes = limit === undefined ? undefined : parseQuantity(limit);
  if (bytes !== undefined && bytes < b.device.ramMb * 2 ** 20) {
    add(
      `resources.limits.memory '${limit}' is less than the device's ${b.device.ramMb} MiB of RAM, which the ` +
        `emulator reserves; raise it to at least ${b.device.ramMb + 2048}Mi`,
    );
  }
}
