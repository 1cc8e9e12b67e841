/**
 * A deterministic generator of synthetic pipelines of realistic shape: 10–30 steps,
 * typed parameters, artifacts passed between steps, one condition on a step's output,
 * one loop over literal items and a secret read by reference. The same seed and index
 * always give the same pipeline, on any machine.
 */
import type {
  ArgPiece,
  BenchArtifactInput,
  BenchArtifactType,
  BenchGroup,
  BenchParameter,
  BenchPipeline,
  BenchStep,
} from './spec.ts';

/** mulberry32: a tiny seeded PRNG; Math.random is neither seedable nor stable across runs. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The parameters a generated pipeline draws from; `threshold` is always present. */
const PARAMETER_POOL: readonly BenchParameter[] = [
  { name: 'learning_rate', type: 'float', default: 0.001 },
  { name: 'epochs', type: 'int', default: 10 },
  { name: 'batch_size', type: 'int', default: 64 },
  { name: 'dataset', type: 'string', default: 'events-2026' },
  { name: 'mode', type: 'string', default: 'full' },
  { name: 'region', type: 'string', default: 'eu-west' },
  { name: 'sample_rate', type: 'float', default: 0.25 },
];
const ARTIFACT_TYPES: readonly BenchArtifactType[] = ['Dataset', 'Model', 'Metrics', 'Artifact'];
const CPUS = ['250m', '500m', '1', '2'];
const MEMORIES = ['512Mi', '1Gi', '2Gi', '4Gi'];
const LOOP_ITEMS = ['eu', 'us', 'apac', 'latam', 'mena', 'nordics'];

export const DEFAULT_SEED = 20261202;

export function generatePipelines(n: number, seed = DEFAULT_SEED): BenchPipeline[] {
  return Array.from({ length: n }, (_, i) => generatePipeline(i, seed));
}

/** Pipeline `index` of the series `seed`; independent of how many others are generated. */
export function generatePipeline(index: number, seed = DEFAULT_SEED): BenchPipeline {
  const rand = prng((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const sample = <T>(xs: readonly T[], k: number): T[] => {
    const pool = [...xs];
    const out: T[] = [];
    while (out.length < k && pool.length) out.push(pool.splice(Math.floor(rand() * pool.length), 1)[0] as T);
    return out;
  };

  const name = `bench-${String(index).padStart(4, '0')}`;
  const parameters: BenchParameter[] = [
    { name: 'threshold', type: 'float', default: 0.5 },
    ...sample(PARAMETER_POOL, int(2, 5)),
  ];
  const total = int(10, 30);
  const inCondition = int(2, 4);
  const inLoop = int(2, 4);
  const atRoot = total - inCondition - inLoop;
  const groups: BenchGroup[] = [
    ...Array<BenchGroup>(atRoot).fill('root'),
    ...Array<BenchGroup>(inCondition).fill('condition'),
    ...Array<BenchGroup>(inLoop).fill('loop'),
  ];
  // The score comes from a root step after the first, so the condition has real data upstream.
  const scorer = int(1, atRoot - 1);
  const secretSteps = new Set(
    sample(
      groups.map((_, i) => i),
      int(1, 3),
    ),
  );

  const steps: BenchStep[] = [];
  groups.forEach((group, i) => {
    const stepName = `step-${String(i).padStart(2, '0')}`;
    // A step reads artifacts of earlier root steps, or of earlier steps of its own group:
    // values made inside a group never leave it (dfp and kfp both refuse that).
    const producers = steps.filter((s) => s.group === 'root' || s.group === group);
    const inputs: BenchArtifactInput[] = sample(producers, i === 0 ? 0 : int(1, 2)).map((p, k) => {
      const out = pick(p.outputs);
      return { name: `in_${k}`, step: p.name, output: out.name, type: out.type };
    });
    const step: Omit<BenchStep, 'args'> = {
      name: stepName,
      group,
      params: sample(
        parameters.map((p) => p.name),
        int(0, 2),
      ),
      inputs,
      outputs: Array.from({ length: int(1, 2) }, (_, k) => ({ name: `out_${k}`, type: pick(ARTIFACT_TYPES) })),
      score: i === scorer,
      loopItem: group === 'loop',
      secret: secretSteps.has(i),
      cpu: pick(CPUS),
      memory: pick(MEMORIES),
    };
    steps.push({ ...step, args: stepArgs(step) });
  });

  return {
    name,
    description: `Synthetic pipeline ${index} (${total} steps) for the dfp benchmark.`,
    image: `registry.dfp.internal/bench/worker:1.${index % 10}.0`,
    parameters,
    secret: { env: 'DB_PASSWORD', secret: 'bench-db', key: 'password' },
    condition: { name: 'if-good', step: steps[scorer]!.name, param: 'threshold' },
    loop: { name: 'per-item', items: sample(LOOP_ITEMS, int(2, 4)) },
    steps,
  };
}

/** `run --step <name> --<param> <value>… --in_0 <path>… --out_0 <path>… [--score <path>] [--item <item>]` */
function stepArgs(s: Omit<BenchStep, 'args'>): ArgPiece[] {
  const text = (value: string): ArgPiece => ({ kind: 'text', value });
  return [
    text('run'),
    text('--step'),
    text(s.name),
    ...s.params.flatMap((p): ArgPiece[] => [text(`--${p}`), { kind: 'param', name: p }]),
    ...s.inputs.flatMap((a): ArgPiece[] => [text(`--${a.name}`), { kind: 'inputPath', name: a.name }]),
    ...s.outputs.flatMap((a): ArgPiece[] => [text(`--${a.name}`), { kind: 'outputPath', name: a.name }]),
    ...(s.score ? [text('--score'), { kind: 'scorePath' } as const] : []),
    ...(s.loopItem ? [text('--item'), { kind: 'item' } as const] : []),
  ];
}
