/**
 * Export a trained PyTorch model to ExecuTorch (`.pte`) as a pipeline step: input a
 * `Model` artifact, output the `.pte` as the `pte` artifact (also logged to the MLflow
 * run, when one is given). An ordinary ContainerStep, so every orchestrator renders it.
 */
import type { Construct } from 'constructs';
import { z } from 'zod';
import { inputArtifactPath, outputArtifactPath, type Arg, type ArtifactRef } from '../constructs/refs.ts';
import { ContainerStep } from '../constructs/step.ts';
import { Resources, type ResourcesSpec, type SecretKeyRef } from '../constructs/values.ts';

/** ExecuTorch backends (delegates) with Android runtimes. */
export const EXECUTORCH_BACKENDS = ['xnnpack', 'vulkan', 'qnn', 'portable'] as const;
export const EXECUTORCH_QUANTIZATIONS = ['none', 'int8-dynamic', 'int8-static', '8da4w'] as const;
export type ExecuTorchBackend = (typeof EXECUTORCH_BACKENDS)[number];
export type ExecuTorchQuantization = (typeof EXECUTORCH_QUANTIZATIONS)[number];

/**
 * Which quantization schemes each backend lowers: XNNPACK takes all of them; the
 * Qualcomm (QNN) HTP runs static int8; Vulkan and the portable kernels run float.
 */
const SUPPORTED: Readonly<Record<ExecuTorchBackend, readonly ExecuTorchQuantization[]>> = {
  xnnpack: ['none', 'int8-dynamic', 'int8-static', '8da4w'],
  qnn: ['int8-static'],
  vulkan: ['none'],
  portable: ['none'],
};

/** Props of {@link ExecuTorchExport}. */
export interface ExecuTorchExportProps {
  /** The image with PyTorch, ExecuTorch and the dfp export module. */
  readonly image: string;
  /** The trained model: a `Model` artifact of an earlier step (`train.artifact('model')`). */
  readonly model: ArtifactRef;
  /** The backend (delegate) the graph is lowered to. @default 'xnnpack' */
  readonly backend?: ExecuTorchBackend;
  /** The quantization applied before lowering. @default 'none' */
  readonly quantization?: ExecuTorchQuantization;
  /** The MLflow run to log the `.pte` to, at `executorch/model.pte`. @default not logged */
  readonly runId?: Arg;
  /** The MLflow tracking server. @default the image's MLFLOW_TRACKING_URI */
  readonly trackingUri?: Arg;
  /** Credentials for the MLflow artifact store, by Secret reference. @default none */
  readonly secretEnv?: Readonly<Record<string, SecretKeyRef>>;
  /** CPU and memory. @default 2 CPUs and 8 GiB */
  readonly resources?: ResourcesSpec;
  /** What the step does. @default a sentence naming backend and quantization */
  readonly description?: string;
}

/** The output artifact holding the `.pte` file. */
export const PTE_ARTIFACT = 'pte';
/** Where the export logs the `.pte` inside the MLflow run; benchmarks fetch it from there. */
export const PTE_RUN_PATH = 'executorch/model.pte';

const options = z.object({
  backend: z.enum(EXECUTORCH_BACKENDS, {
    error: (i) =>
      `backend '${String(i.input)}' is not an ExecuTorch backend; use one of ${EXECUTORCH_BACKENDS.join(', ')}`,
  }),
  quantization: z.enum(EXECUTORCH_QUANTIZATIONS, {
    error: (i) =>
      `quantization '${String(i.input)}' is not supported; use one of ${EXECUTORCH_QUANTIZATIONS.join(', ')}`,
  }),
});

/** An ExecuTorch export step; its output artifact `pte` is the `.pte` file. */
export class ExecuTorchExport extends ContainerStep {
  /** @param scope a pipeline or group @param id the step's name @param exportProps what to export and how */
  constructor(
    scope: Construct,
    id: string,
    public readonly exportProps: ExecuTorchExportProps,
  ) {
    const backend = exportProps.backend ?? 'xnnpack';
    const quantization = exportProps.quantization ?? 'none';
    super(scope, id, {
      image: exportProps.image,
      description:
        exportProps.description ??
        `Exports the trained model to ExecuTorch (.pte) for the ${backend} backend, quantization ${quantization}.`,
      command: ['python', '-m', 'dfp_core.export.executorch'],
      args: [
        '--model-dir',
        inputArtifactPath('model'),
        '--backend',
        backend,
        '--quantization',
        quantization,
        '--output',
        outputArtifactPath(PTE_ARTIFACT),
        ...(exportProps.runId !== undefined
          ? ['--mlflow-run-id', exportProps.runId, '--mlflow-artifact-path', PTE_RUN_PATH]
          : []),
      ],
      env: exportProps.trackingUri !== undefined ? { MLFLOW_TRACKING_URI: exportProps.trackingUri } : {},
      secretEnv: exportProps.secretEnv ?? {},
      inputArtifacts: { model: exportProps.model },
      outputArtifacts: { [PTE_ARTIFACT]: 'Model' },
      resources: exportProps.resources ?? Resources.fixed('2', '8Gi'),
    });
    // Checked with every other rule when the model is built, and reported at this path.
    this.node.addValidation({ validate: () => checkOptions(backend, quantization) });
  }
}

function checkOptions(backend: unknown, quantization: unknown): string[] {
  const parsed = options.safeParse({ backend, quantization });
  if (!parsed.success) return parsed.error.issues.map((i) => i.message);
  const ok = SUPPORTED[parsed.data.backend];
  return ok.includes(parsed.data.quantization)
    ? []
    : [
        `backend '${parsed.data.backend}' cannot run quantization '${parsed.data.quantization}'; use ` +
          `${ok.map((q) => `'${q}'`).join(' or ')}, or the xnnpack backend`,
      ];
}
