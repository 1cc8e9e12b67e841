/**
 * The Android benchmark: impossible devices and settings are reported at the construct
 * path with what to change, for the Job and for the pipeline step alike; the Kronodroid
 * pipeline holds the export and benchmark steps in every orchestrator's output; the
 * benchmark step is an ordinary model step that carries its image, privileges and
 * scheduling, so orchestrator targets need no Android knowledge.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  BenchmarkFile,
  EmulatorBenchmark,
  KvmAccess,
  PIXEL_4A_API_30,
  PIXEL_6_API_34,
  type DeviceProfile,
} from '../android/index.ts';
import { minimumRamMb } from '../constructs/model/rules-android.ts';
import { ContainerStep, Pipeline, Resources, Security, Volume } from '../constructs/index.ts';
import { type DfpApp } from '../app/dfp-app.ts';
import { DfpError } from '../constructs/model/errors.ts';
import { buildModel } from '../constructs/model/build.ts';
import type { BenchmarkRuntime } from '../constructs/model/android.ts';
import { buildApp } from '../main.ts';
import { renderAll } from '../synth/render.ts';
import { argoTarget } from '../targets/argo/index.ts';
import { TARGETS } from '../targets/index.ts';
import { benchmarkJob, benchmarkPipeline, RUN_ID, SETTINGS } from './fixtures/android.ts';
import { IMAGE, modelOrError, testApp } from './support/fixtures.ts';

interface Case {
  readonly rule: string;
  readonly setup: (app: DfpApp) => void;
  readonly path: string;
  readonly says: RegExp;
}

const device = (overrides: Partial<DeviceProfile> & { screen?: DeviceProfile['screen'] }): DeviceProfile => ({
  ...PIXEL_6_API_34,
  ...overrides,
});

const CASES: Case[] = [
  // The device profile: one case per impossible setting, on the Job.
  {
    rule: 'unknown ABI',
    setup: (a) => benchmarkJob(a, { device: device({ abi: 'mips' as never }) }),
    path: 'bench',
    says: /device 'pixel-6-api-34': unknown ABI 'mips'; use one of x86, x86_64, armeabi-v7a, arm64-v8a/,
  },
  {
    rule: 'RAM below the API level minimum',
    setup: (a) => benchmarkJob(a, { device: device({ ramMb: 1536 }) }),
    path: 'bench',
    says: new RegExp(
      /ramMb 1536 is below the 2048 MiB that API /.source +
        /level 34 requires of a 64-bit device at /.source +
        /420 dpi; give it at least 2048/.source,
    ),
  },
  {
    rule: 'RAM below the CDD minimum for bitness and density',
    setup: (a) => benchmarkJob(a, { device: { ...PIXEL_4A_API_30, ramMb: 1024 } }),
    path: 'bench',
    says: /ramMb 1024 is below the 1280 MiB that API level 30 requires of a 64-bit device at 440 dpi/,
  },
  {
    rule: 'ABI that KVM cannot accelerate',
    setup: (a) => benchmarkJob(a, { device: device({ abi: 'arm64-v8a' }) }),
    path: 'bench',
    says: /ABI 'arm64-v8a' cannot be accelerated by KVM.*use 'x86_64'/,
  },
  {
    rule: '32-bit x86 image after API 30',
    setup: (a) => benchmarkJob(a, { device: device({ abi: 'x86' }) }),
    path: 'bench',
    says: /no 32-bit x86 system image for API level 34 \(the last is 30\); use 'x86_64'/,
  },
  {
    rule: 'API level out of range',
    setup: (a) => benchmarkJob(a, { device: device({ apiLevel: 19 }) }),
    path: 'bench',
    says: /apiLevel 19 is not a supported Android API level; use a whole number from 24 to 35/,
  },
  {
    rule: 'density the emulator lacks',
    setup: (a) => benchmarkJob(a, { device: device({ screen: { widthPx: 1080, heightPx: 2400, densityDpi: 421 } }) }),
    path: 'bench',
    says: /screen.densityDpi 421 is not a density the emulator offers/,
  },
  {
    rule: 'zero cores',
    setup: (a) => benchmarkJob(a, { device: device({ cores: 0 }) }),
    path: 'bench',
    says: /cores must be a whole number from 1 to 16, not 0/,
  },
  {
    rule: 'device name not DNS-1123',
    setup: (a) => benchmarkJob(a, { device: device({ name: 'Pixel 6' }) }),
    path: 'bench',
    says: /name 'Pixel 6' must be a DNS-1123 label/,
  },
  // The same device rules for the pipeline step, at the step's path.
  {
    rule: 'unknown ABI in a pipeline step',
    setup: (a) => benchmarkPipeline(a, { step: { device: device({ abi: 'riscv64' as never }) } }),
    path: 'p/bench',
    says: /unknown ABI 'riscv64'/,
  },
  {
    rule: 'RAM below minimum in a pipeline step',
    setup: (a) => benchmarkPipeline(a, { step: { device: device({ ramMb: 512 }) } }),
    path: 'p/bench',
    says: /ramMb 512 is below the 2048 MiB/,
  },
  // Runtimes and files.
  {
    rule: 'unknown runtime',
    setup: (a) => benchmarkJob(a, { models: { coreml: BenchmarkFile.mlflowRun('m.mlmodel') } as never }),
    path: 'bench',
    says: /unknown runtime 'coreml'; use one of executorch, tflite, onnxruntime/,
  },
  {
    rule: 'no runtime at all',
    setup: (a) => benchmarkJob(a, { models: {} }),
    path: 'bench',
    says: /models: name at least one runtime to compare/,
  },
  {
    rule: 'model file of the wrong kind',
    setup: (a) => benchmarkJob(a, { models: { tflite: BenchmarkFile.mlflowRun('onnx/model.onnx') } }),
    path: 'bench',
    says: /models.tflite: 'onnx\/model.onnx' should be a .tflite file/,
  },
  {
    rule: 'MLflow path escaping the run',
    setup: (a) => benchmarkJob(a, { models: { executorch: BenchmarkFile.mlflowRun('../other/model.pte') } }),
    path: 'bench',
    says: /MLflow artifact path '..\/other\/model.pte' must be relative to the run, without '..'/,
  },
  {
    rule: 'not an s3 URI',
    setup: (a) => benchmarkJob(a, { apk: BenchmarkFile.s3('https://minio/app.apk') }),
    path: 'bench',
    says: /apk: 'https:\/\/minio\/app.apk' is not an s3:\/\/bucket\/key URI/,
  },
  {
    rule: 'step artifact in a Job',
    setup: (a) => {
      const { exportStep } = benchmarkPipeline(a);
      benchmarkJob(a, { models: { executorch: BenchmarkFile.artifact(exportStep.artifact('pte')) } });
    },
    path: 'bench',
    says: /a step artifact is only available to a benchmark that is a pipeline step/,
  },
  {
    rule: 'bad instrumentation',
    setup: (a) => benchmarkJob(a, { instrumentation: 'run tests' }),
    path: 'bench',
    says: /instrumentation 'run tests' must be '<test package>\/<runner class>'/,
  },
  {
    rule: 'zero iterations',
    setup: (a) => benchmarkJob(a, { iterations: 0 }),
    path: 'bench',
    says: /iterations must be a whole number from 1 to 100000, not 0/,
  },
  {
    rule: 'negative warm-up',
    setup: (a) => benchmarkJob(a, { warmup: -1 }),
    path: 'bench',
    says: /warmup must be a whole number from 0 to 10000, not -1/,
  },
  {
    rule: 'bad credentials Secret',
    setup: (a) => benchmarkJob(a, { s3Credentials: { secret: 'MinIO' } }),
    path: 'bench',
    says: /s3Credentials.secret 'MinIO' must be a DNS-1123 subdomain/,
  },
  // The Job.
  {
    rule: 'not an MLflow run id',
    setup: (a) => benchmarkJob(a, { runId: 'latest' }),
    path: 'bench',
    says: /runId 'latest' is not an MLflow run id \(32 lower-case hex digits\)/,
  },
  {
    rule: 'deadline too short to boot',
    setup: (a) => benchmarkJob(a, { activeDeadline: { toSeconds: () => 30 } as never }),
    path: 'bench',
    says: /activeDeadline must be at least 60 seconds/,
  },
  {
    rule: 'negative backoffLimit',
    setup: (a) => benchmarkJob(a, { backoffLimit: -1 }),
    path: 'bench',
    says: /backoffLimit must be a whole number from 0 to 10, not -1/,
  },
  {
    rule: 'memory limit below the device RAM',
    setup: (a) => benchmarkJob(a, { resources: Resources.fixed('4', '2Gi') }),
    path: 'bench',
    says: /resources.limits.memory '2Gi' is less than the device's 4096 MiB of RAM.*at least 6144Mi/,
  },
  {
    rule: 'bad quantity in the Job container',
    setup: (a) => benchmarkJob(a, { resources: Resources.fixed('4 cores', '8Gi') }),
    path: 'bench',
    says: /resources.requests.cpu '4 cores' is not a Kubernetes quantity/,
  },
  {
    rule: 'unpinned emulator image',
    setup: (a) => benchmarkJob(a, { emulatorImage: 'registry.dfp.internal/test/android-emulator' }),
    path: 'bench',
    says: /image 'registry.dfp.internal\/test\/android-emulator' is not pinned/,
  },
  {
    rule: 'Job name too long for the run id suffix',
    setup: (a) => new EmulatorBenchmark(a, 'b'.repeat(55), { ...SETTINGS, runId: RUN_ID }),
    path: 'b'.repeat(55),
    says: /longer than 54 characters/,
  },
  {
    rule: 'bad device-plugin resource',
    setup: (a) => benchmarkJob(a, { kvm: KvmAccess.devicePlugin('kvm') }),
    path: 'bench',
    says: /kvm: 'kvm' is not a device-plugin resource name/,
  },
  // Pod security of ordinary steps.
  {
    rule: 'host device without a declared exception',
    setup: (a) =>
      new ContainerStep(new Pipeline(a, 'p'), 's', { image: IMAGE, volumes: [Volume.hostDevice('kvm', '/dev/kvm')] }),
    path: 'p/s',
    says: new RegExp(
      /host device '\/dev\/kvm' breaks the restricted Pod /.source +
        /Security profile; declare security: Security.privileged\(reason\), /.source +
        /or use a device-plugin resource/.source,
    ),
  },
  {
    rule: 'privileged without a reason',
    setup: (a) =>
      new ContainerStep(new Pipeline(a, 'p'), 's', { image: IMAGE, security: Security.privileged('because') }),
    path: 'p/s',
    says: /a privileged exception needs a reason a reviewer can judge/,
  },
  {
    rule: 'restricted as root',
    setup: (a) => new ContainerStep(new Pipeline(a, 'p'), 's', { image: IMAGE, security: Security.restricted(0) }),
    path: 'p/s',
    says: /security.runAsUser 0 must be a non-root id/,
  },
  {
    rule: 'host device outside /dev',
    setup: (a) =>
      new ContainerStep(new Pipeline(a, 'p'), 's', {
        image: IMAGE,
        security: Security.privileged('needs the host device for tests'),
        volumes: [Volume.hostDevice('etc', '/etc/passwd')],
      }),
    path: 'p/s',
    says: /host device '\/etc\/passwd' must be a path under \/dev\//,
  },
  {
    rule: 'bad extended resource name',
    setup: (a) =>
      new ContainerStep(new Pipeline(a, 'p'), 's', { image: IMAGE, resources: { devices: [{ resource: 'kvm' }] } }),
    path: 'p/s',
    says: /resources.devices: 'kvm' is not an extended resource name/,
  },
  // The ExecuTorch export.
  {
    rule: 'unknown ExecuTorch backend',
    setup: (a) => benchmarkPipeline(a, { export: { backend: 'coreml' as never } }),
    path: 'p/export-executorch',
    says: /backend 'coreml' is not an ExecuTorch backend; use one of xnnpack, vulkan, qnn, portable/,
  },
  {
    rule: 'unknown quantization',
    setup: (a) => benchmarkPipeline(a, { export: { quantization: 'int4' as never } }),
    path: 'p/export-executorch',
    says: /quantization 'int4' is not supported/,
  },
  {
    rule: 'backend that cannot run the quantization',
    setup: (a) => benchmarkPipeline(a, { export: { backend: 'vulkan', quantization: '8da4w' } }),
    path: 'p/export-executorch',
    says: /backend 'vulkan' cannot run quantization '8da4w'; use 'none', or the xnnpack backend/,
  },
];

describe('Android benchmark validation: construct path and remedy', () => {
  for (const c of CASES) {
    it(c.rule, () => {
      const app = testApp();
      c.setup(app);
      const result = modelOrError(app);
      expect(result).toBeInstanceOf(DfpError);
      const problems = (result as DfpError).problems;
      const match = problems.find((p) => p.path === c.path && c.says.test(p.message));
      expect(
        match,
        `expected a problem at '${c.path}' matching ${c.says}; got:\n` +
          `${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`,
      ).toBeDefined();
    });
  }

  it('reports every problem of a benchmark at once, and the fixtures alone are valid', () => {
    const valid = testApp();
    benchmarkJob(valid);
    benchmarkPipeline(valid);
    expect(modelOrError(valid)).not.toBeInstanceOf(DfpError);

    const app = testApp();
    benchmarkJob(app, { device: device({ abi: 'mips' as never, cores: 0 }), iterations: 0, runId: 'x' });
    const result = modelOrError(app) as DfpError;
    expect(result.problems.map((p) => p.path)).toEqual(['bench', 'bench', 'bench', 'bench']);
    expect(result.message).toMatch(
      /^dfp: the definitions are invalid \(4 problems\):\n  bench: device 'pixel-6-api-34': unknown ABI 'mips'/,
    );
  });

  it('RAM minimums follow bitness, density and API level', () => {
    const at = (apiLevel: number, abi: string, densityDpi: number) =>
      minimumRamMb({ apiLevel, abi, screen: { widthPx: 1080, heightPx: 1920, densityDpi } });
    expect([at(28, 'x86', 240), at(28, 'x86', 320), at(28, 'x86', 420), at(28, 'x86', 560)]).toEqual([
      512, 608, 896, 1344,
    ]);
    expect([at(30, 'x86_64', 240), at(30, 'x86_64', 320), at(30, 'x86_64', 420), at(30, 'x86_64', 640)]).toEqual([
      816, 944, 1280, 1824,
    ]);
    expect(at(33, 'x86_64', 240)).toBe(2048);
    for (const profile of [PIXEL_6_API_34, PIXEL_4A_API_30])
      expect(profile.ramMb).toBeGreaterThanOrEqual(minimumRamMb(profile));
  });
});

describe('the benchmark step is an ordinary model step', () => {
  const app = testApp();
  benchmarkPipeline(app);
  const model = buildModel(app);
  const step = model.pipelines[0]!.steps.find((s) => s.name === 'bench')!;
  const lit = (a: readonly { kind: string; value?: string; name?: string }[]) =>
    a.map((p) => (p.kind === 'literal' ? p.value : `<${p.kind}:${p.name}>`)).join('');

  it('carries the emulator image, the device, the runtimes and the run id as a step input', () => {
    expect(step.image).toBe(SETTINGS.emulatorImage);
    const args = step.args.map(lit);
    expect(args.slice(0, 14)).toEqual([
      '--device-name',
      'pixel-6-api-34',
      '--api-level',
      '34',
      '--abi',
      'x86_64',
      '--ram-mb',
      '4096',
      '--cores',
      '4',
      '--screen',
      '1080x2400',
      '--density',
      '420',
    ]);
    expect(args).toContain('executorch=<inputArtifactPath:executorch_model>');
    expect(args).toContain('tflite=runs:/<input:train_run_id>/tflite/model.tflite');
    expect(args).toContain('onnxruntime=s3://models/kronodroid/model.onnx');
    expect(args[args.indexOf('--mlflow-run-id') + 1]).toBe('<input:train_run_id>');
    expect(step.inputs.artifacts).toEqual([
      { name: 'executorch_model', type: 'Model', source: { step: 'export-executorch', output: 'pte' } },
    ]);
    expect(step.outputs.artifacts).toEqual([{ name: 'results', type: 'Metrics' }]);
    expect(step.dependsOn).toEqual(['export-executorch', 'train']);
  });

  it('declares its privilege, the KVM device, resources from the device and KVM node scheduling', () => {
    expect(step.security.profile).toBe('privileged');
    expect(step.volumes.map((v) => v.source.kind)).toEqual(['emptyDir', 'hostDevice']);
    expect(step.resources.limits).toEqual({ cpu: '5', memory: '6144Mi' });
    expect(step.nodeSelector).toEqual({ 'dfp.dev/kvm': 'true' });
    expect(step.tolerations).toEqual([{ key: 'dfp.dev/kvm', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(step.secretEnv.map((e) => [e.name, e.secret, e.key])).toEqual([
      ['AWS_ACCESS_KEY_ID', 'minio-credentials', 'accesskey'],
      ['AWS_SECRET_ACCESS_KEY', 'minio-credentials', 'secretkey'],
    ]);
    expect(step.timeoutSeconds).toBe(7200);
  });

  it('with a device plugin: restricted, no host device, the plugin resource requested', () => {
    const a = testApp();
    benchmarkPipeline(a, { step: { kvm: KvmAccess.devicePlugin() } });
    const s = buildModel(a).pipelines[0]!.steps.find((x) => x.name === 'bench')!;
    expect(s.security).toEqual({ profile: 'restricted', runAsUser: 1000, runAsGroup: 1000 });
    expect(s.volumes.map((v) => v.source.kind)).toEqual(['emptyDir']);
    expect(s.resources.devices).toEqual([{ resource: 'devices.kubevirt.io/kvm', count: 1 }]);
  });

  it('its settings are in the model, deployed as the step', () => {
    const b = model.androidBenchmarks.find((x) => x.path === 'p/bench')!;
    expect(b.deployment).toEqual({ kind: 'pipelineStep', pipeline: 'p', step: 'bench' });
    expect(b.models.map((m) => m.runtime)).toEqual([
      'executorch',
      'tflite',
      'onnxruntime',
    ] satisfies BenchmarkRuntime[]);
    expect(b.models[0]!.source).toEqual({ kind: 'stepArtifact', input: 'executorch_model' });
  });

  it('the ExecuTorch export reads the Model artifact and writes the .pte artifact', () => {
    const exp = model.pipelines[0]!.steps.find((s) => s.name === 'export-executorch')!;
    expect(exp.inputs.artifacts).toEqual([
      { name: 'model', type: 'Model', source: { step: 'train', output: 'model' } },
    ]);
    expect(exp.outputs.artifacts).toEqual([{ name: 'pte', type: 'Model' }]);
    expect(exp.args.map(lit)).toEqual([
      '--model-dir',
      '<inputArtifactPath:model>',
      '--backend',
      'xnnpack',
      '--quantization',
      'none',
      '--output',
      '<outputArtifactPath:pte>',
    ]);
  });
});

describe('Kronodroid: train -> export -> benchmark -> aggregate, in every orchestrator', () => {
  const model = buildModel(buildApp());
  const files = renderAll(model, TARGETS);
  const kronodroid = model.pipelines.find((p) => p.name === 'kronodroid-autoencoder')!;

  it('the model has the chain', () => {
    const deps = Object.fromEntries(kronodroid.steps.map((s) => [s.name, s.dependsOn]));
    expect(deps['export-executorch']).toEqual(['train']);
    expect(deps['benchmark-android']).toEqual(['export-executorch', 'train']);
    expect(deps['aggregate-metrics']).toEqual(['benchmark-android', 'train']);
  });

  for (const env of model.environments) {
    it(
      `${env.name} (${env.orchestrator}): the pipeline's output names the export and benchmark steps and the ` +
        'emulator image',
      () => {
        const own = files.filter(
          (f) => f.path.startsWith(`${env.name}/${env.orchestrator}/`) && f.content.includes('kronodroid-autoencoder'),
        );
        expect(own.length).toBeGreaterThan(0);
        const text = own.map((f) => f.content).join('\n');
        for (const needle of [
          'export-executorch',
          'benchmark-android',
          'aggregate-metrics',
          'registry.dfp.internal/dfp/android-emulator:34-x86_64-1.2.0',
          'devices.kubevirt.io/kvm',
        ]) {
          expect(text).toContain(needle);
        }
      },
    );

    it(`${env.name}: the standalone benchmark Job is in dist/${env.name}/android/`, () => {
      const job = files.find((f) => f.path === `${env.name}/android/kronodroid-runtime-benchmark.yaml`);
      expect(job).toBeDefined();
      const o = parse(job!.content);
      expect(o.kind).toBe('Job');
      expect(o.metadata.name).toBe('kronodroid-runtime-benchmark-3f2c9a4e');
      expect(o.metadata.namespace).toBe(env.namespace);
      const c = o.spec.template.spec.containers[0];
      expect(c.env.find((e: { name: string }) => e.name === 'MLFLOW_TRACKING_URI').value).toBe(env.endpoints.mlflow);
      expect(o.spec).toMatchObject({ activeDeadlineSeconds: 7200, backoffLimit: 1, ttlSecondsAfterFinished: 259200 });
    });
  }

  it(
    'run_android_benchmark: a bool parameter, default true, documented, handed to the benchmark as ' +
      '--run-benchmark',
    () => {
      const param = kronodroid.parameters.find((x) => x.name === 'run_android_benchmark');
      expect(param).toMatchObject({ type: 'bool', default: true });
      expect(param!.description).toMatch(/skipped/);
      const bench = kronodroid.steps.find((s) => s.name === 'benchmark-android')!;
      const i = bench.args.findIndex(
        (a) => a.length === 1 && a[0]!.kind === 'literal' && a[0]!.value === '--run-benchmark',
      );
      expect(i).toBeGreaterThan(-1);
      const input = bench.inputs.parameters.find(
        (x) => x.source.kind === 'pipelineParam' && x.source.name === 'run_android_benchmark',
      );
      expect(input).toBeDefined();
      // The argument after the flag is that input: the parameter's value, not a literal.
      expect(bench.args[i + 1]).toEqual([{ kind: 'input', name: input!.name }]);
      // aggregate-metrics still reads the results artifact, so it runs whether or not the benchmark did.
      const agg = kronodroid.steps.find((s) => s.name === 'aggregate-metrics')!;
      expect(agg.when).toBeUndefined();
      expect(agg.inputs.artifacts.map((a) => a.source)).toContainEqual({
        step: 'benchmark-android',
        output: 'results',
      });
    },
  );

  it(
    'argo: the benchmark template takes KVM from the device plugin, runs on KVM nodes and is restricted like the ' +
      'others',
    () => {
      // Rendered directly, so the check holds whichever orchestrator 'dev' uses. The step
      // uses KvmAccess.devicePlugin() because Kubeflow cannot mount a host device.
      const argo = argoTarget.render(
        model,
        model.environments.find((e) => e.name === 'dev')!,
      );
      const wt = parse(argo.find((f) => f.path === 'workflow-templates/kronodroid-autoencoder.yaml')!.content);
      const t = wt.spec.templates.find((x: { name: string }) => x.name === 'benchmark-android');
      expect(t.container.resources.limits['devices.kubevirt.io/kvm']).toBe('1');
      expect(t.container.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      });
      expect(JSON.stringify(t)).not.toContain('/dev/kvm');
      expect(t.nodeSelector).toEqual({ 'dfp.dev/kvm': 'true' });
      const exp = wt.spec.templates.find((x: { name: string }) => x.name === 'export-executorch');
      expect(exp.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    },
  );
});
