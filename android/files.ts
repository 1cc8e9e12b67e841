/** Where a benchmark finds its APKs and model files, and how KVM reaches the emulator. */
import type { ArtifactRef } from '../constructs/refs.ts';

/** A file the benchmark fetches before it starts the emulator. */
export class BenchmarkFile {
  /**
   * An artifact of the MLflow run being measured, by its path inside the run
   * (`executorch/model.pte`); fetched as `runs:/<run id>/<path>`.
   */
  public static mlflowRun(path: string): BenchmarkFile {
    return new BenchmarkFile({ kind: 'mlflowRun', path });
  }

  /** An object in S3 (MinIO): `s3://bucket/key`, read with the benchmark's S3 credentials Secret. */
  public static s3(uri: string): BenchmarkFile {
    return new BenchmarkFile({ kind: 's3', uri });
  }

  /**
   * An output artifact of an earlier step (`exportStep.artifact('pte')`). Only for a
   * benchmark that is a pipeline step; the orchestrator passes the file in.
   */
  public static artifact(ref: ArtifactRef): BenchmarkFile {
    return new BenchmarkFile({ kind: 'artifact', ref });
  }

  private constructor(
    /** Where the file is. */
    public readonly location:
      | { readonly kind: 'mlflowRun'; readonly path: string }
      | { readonly kind: 's3'; readonly uri: string }
      | { readonly kind: 'artifact'; readonly ref: ArtifactRef },
  ) {}
}

/** How the emulator reaches the node's /dev/kvm. */
export class KvmAccess {
  /**
   * Mount the node's /dev/kvm into a privileged container: works on any KVM node with no
   * add-on, and is the one declared exception to the restricted Pod Security profile.
   */
  public static hostDevice(): KvmAccess {
    return new KvmAccess({ kind: 'hostDevice', path: '/dev/kvm' });
  }

  /**
   * Request /dev/kvm from a device plugin (KubeVirt's, or a generic one): no privilege,
   * so the pod stays within the restricted profile; the plugin must run on the nodes.
   * @param resource the plugin's resource name @default 'devices.kubevirt.io/kvm'
   */
  public static devicePlugin(resource = 'devices.kubevirt.io/kvm'): KvmAccess {
    return new KvmAccess({ kind: 'devicePlugin', resource });
  }

  private constructor(
    /** The access mode. */
    public readonly mode:
      | { readonly kind: 'hostDevice'; readonly path: string }
      | { readonly kind: 'devicePlugin'; readonly resource: string },
  ) {}
}
