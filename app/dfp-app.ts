import { App } from 'cdk8s';
import { LOCK_FILE, emptyLock, readLock } from '../constructs/model/lock-file.ts';
import { synthesize, type SynthResult } from '../synth/synth.ts';
import { LOCK_CONTEXT, type LockContext } from '../constructs/lock.ts';

/** Props of {@link DfpApp}. */
export interface DfpAppProps {
  /** The committed output tree. @default 'dist' (resolved from the working directory) */
  readonly distDir?: string;
  /** Compare with `distDir` instead of writing it. @default false */
  readonly check?: boolean;
  /** Render only this pipeline's files; every other file of `distDir` stays as it is. @default every pipeline */
  readonly pipeline?: string;
  /**
   * The lock file that pins each lakeFS branch the definitions read to a commit
   * (`dfp lock` writes it). `false` reads none: what `dfp lock` itself does, since it
   * is about to write the file. @default 'dfp.lock.json' (resolved from the working directory)
   */
  readonly lockFile?: string | false;
}

let latest: DfpApp | undefined;

/**
 * The app constructed last in this process: when the definition code throws half-way
 * (a duplicate id), the CLI looks in it for the construct paths to name.
 */
export function lastApp(): DfpApp | undefined {
  return latest;
}

/**
 * The cdk8s app that holds every environment and pipeline. `synth()` writes dist/
 * itself, atomically; the cdk8s CLI's output folder gets only a copy of the
 * Kubernetes objects, because the CLI empties that folder before each run.
 */
export class DfpApp extends App {
  /** The outcome of the last synth. */
  public result?: SynthResult;
  private readonly distDir: string;
  private readonly check: boolean;
  private readonly pipeline?: string;

  /** @param props where to write and whether to only check */
  constructor(props: DfpAppProps = {}) {
    super({ outdir: process.env.CDK8S_OUTDIR ?? '.cdk8s.out' });
    this.distDir = props.distDir ?? 'dist';
    this.check = props.check ?? false;
    this.pipeline = props.pipeline;
    const file = props.lockFile ?? LOCK_FILE;
    const lock: LockContext = file === false ? { file: LOCK_FILE, lock: emptyLock() } : { file, lock: readLock(file) };
    // Context must be set before any child is added; every construct then sees the lock.
    this.node.setContext(LOCK_CONTEXT, lock);
    // The CLI finds the app the user's file made through this module-level slot.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    latest = this;
  }

  /** Renders every environment into dist/ (or compares, in check mode). */
  public override synth(): void {
    this.result = synthesize(this, {
      distDir: this.distDir,
      check: this.check,
      ...(this.pipeline !== undefined ? { pipeline: this.pipeline } : {}),
      ...(process.env.CDK8S_OUTDIR ? { manifestDir: process.env.CDK8S_OUTDIR } : {}),
    });
  }
}
