/**
 * The shape of one synthetic pipeline, as plain JSON. The TypeScript generator writes
 * it; dfp (bench/dfp/), kfp and Hera (bench/python/) each build the same logical
 * pipeline from it, so the three tools compile identical graphs.
 */

export type BenchParamType = 'string' | 'int' | 'float';
export type BenchArtifactType = 'Dataset' | 'Model' | 'Metrics' | 'Artifact';

export interface BenchParameter {
  readonly name: string;
  readonly type: BenchParamType;
  readonly default: string | number;
}

/** Where a step sits: at the root, inside the condition, or inside the loop. */
export type BenchGroup = 'root' | 'condition' | 'loop';

export interface BenchArtifactInput {
  /** The consumer's local name for the artifact. */
  readonly name: string;
  readonly step: string;
  readonly output: string;
  readonly type: BenchArtifactType;
}

export interface BenchStep {
  /** DNS label, unique in the pipeline (`step-03`). */
  readonly name: string;
  readonly group: BenchGroup;
  /** Pipeline parameters passed as `--<name> <value>`. */
  readonly params: readonly string[];
  readonly inputs: readonly BenchArtifactInput[];
  readonly outputs: readonly { readonly name: string; readonly type: BenchArtifactType }[];
  /** Writes the float output parameter `score` that the condition compares. */
  readonly score: boolean;
  /** Reads the loop's current item (`--item <item>`); only in the loop. */
  readonly loopItem: boolean;
  /** Reads the pipeline's secret as an environment variable, by reference. */
  readonly secret: boolean;
  readonly cpu: string;
  readonly memory: string;
  /** The container's arguments, as pieces each tool renders in its own syntax. */
  readonly args: readonly ArgPiece[];
}

/** One command-line argument: literal text, or a value only known at run time. */
export type ArgPiece =
  | { readonly kind: 'text'; readonly value: string }
  | { readonly kind: 'param'; readonly name: string }
  | { readonly kind: 'inputPath'; readonly name: string }
  | { readonly kind: 'outputPath'; readonly name: string }
  | { readonly kind: 'scorePath' }
  | { readonly kind: 'item' };

export interface BenchPipeline {
  /** DNS label (`bench-0007`). */
  readonly name: string;
  readonly description: string;
  readonly image: string;
  readonly parameters: readonly BenchParameter[];
  /** The Kubernetes Secret read by the steps with `secret: true`. */
  readonly secret: { readonly env: string; readonly secret: string; readonly key: string };
  /** The condition group: runs when `<step>.score >= <param>`. */
  readonly condition: { readonly name: string; readonly step: string; readonly param: string };
  /** The loop group: one iteration per literal item. */
  readonly loop: { readonly name: string; readonly items: readonly string[] };
  /** Root steps first, then the condition's, then the loop's; producers before consumers. */
  readonly steps: readonly BenchStep[];
}
