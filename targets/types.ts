import { toYaml } from '../emit/yaml.ts';
import type { Problem } from '../constructs/model/errors.ts';
import type { Environment, Model } from '../constructs/model/schema.ts';

/** One rendered file, relative to `dist/<env>/<target>/`: Kubernetes objects or another file. */
export type RenderedFile = KubernetesFile | OtherFile;

interface FileBase {
  /** Forward-slash relative path (`workflow-templates/iris.yaml`). */
  readonly path: string;
  /** The exact bytes to write, as UTF-8 text with LF line ends. */
  readonly content: string;
  /**
   * The pipeline the file belongs to: `synth --pipeline NAME` renders exactly the files
   * of NAME, whatever they are called. @default none: the file belongs to the environment
   */
  readonly pipeline?: string;
}

/** Kubernetes objects (applied by Argo CD, checked by kubectl); made by {@link kubernetesFile}. */
export interface KubernetesFile extends FileBase {
  readonly kubernetes: true;
  /** The objects `content` holds, in order: what a target that renders `last` reads of them. */
  readonly objects: readonly object[];
}

/** A file that is not applied to a cluster (DAG files, IR, configuration read by a tool). */
export interface OtherFile extends FileBase {
  readonly kubernetes: false;
}

/** A file of Kubernetes objects: their YAML (emit/yaml.ts) and the objects themselves. */
export function kubernetesFile(path: string, objects: readonly object[], pipeline?: string): KubernetesFile {
  return {
    path,
    content: toYaml(...objects),
    kubernetes: true,
    objects,
    ...(pipeline !== undefined ? { pipeline } : {}),
  };
}

/**
 * Argo CD sync waves of the child Applications, in the root's sync (docs/gitops.md). Two
 * waves, because there is one order to keep: the definitions other Applications' objects
 * read at run time (the dbt and dlt ConfigMaps an Argo WorkflowTemplate mounts, the Feast and
 * Chronon registries a pipeline reads, each with its apply hook) come before everything else.
 * A wave orders Applications only where the environment's Argo CD has a health check for
 * Applications: with it the root creates wave 1 once every wave-0 Application has finished
 * its sync, hooks included, and is Healthy. Engines, orchestrators, the catalog and the
 * benchmarks are all wave 1: nothing waits for them, so a long run (a SparkApplication, a
 * benchmark Job) or a catalog that cannot be reached holds back nothing.
 * Before them, wave -1: the ServiceAccounts pods of every wave run as (targets/accounts/).
 * tests/argocd.test.ts fails when an object reads a ConfigMap, or runs as a ServiceAccount,
 * that another Application of the same or a later wave syncs.
 */
export const SYNC_WAVE = { accounts: -1, definitions: 0, engines: 1, orchestrators: 1, standalone: 1 } as const;

/** What one target rendered for an environment; given to targets that render `last`. */
export interface TargetOutput {
  readonly target: string;
  /** The target's Argo CD sync wave. */
  readonly syncWave: number;
  readonly files: readonly RenderedFile[];
}

/**
 * An output format. `render` is pure: it reads only the model and the environment and
 * returns files; it never touches constructs, the file system or the network.
 */
export interface Target {
  /** The folder name under `dist/<env>/`. */
  readonly name: string;
  /** Whether this environment uses the target (an orchestrator target renders only where chosen). */
  appliesTo(env: Environment): boolean;
  /**
   * Render after every other target and receive their files (the Argo CD app of apps
   * points at what the others wrote, without knowing them). @default false
   */
  readonly last?: boolean;
  /** The Argo CD sync wave of the target's Kubernetes objects. @default SYNC_WAVE.orchestrators */
  readonly syncWave?: number;
  /**
   * Every problem the format cannot express for this environment's model, each at its
   * construct path. Run for every environment and target before any file is rendered;
   * `render` may assume it found nothing. @default no problems
   */
  check?(model: Model, env: Environment): Problem[];
  /**
   * What the format will not do of what the model asks, though it renders (a schedule it cannot
   * run from files, a cache it does not have): one line per pipeline, printed by synth as
   * `dfp: note: <line> (environment …)`. @default no notes
   */
  notes?(model: Model, env: Environment): string[];
  /** The files for one environment. Throw {@link RenderError} for input the format cannot express. */
  render(model: Model, env: Environment, others?: readonly TargetOutput[]): RenderedFile[];
}

/** Input the target's format cannot express; `path` is the construct path to blame. */
export class RenderError extends Error {
  constructor(
    public readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = 'RenderError';
  }
}
