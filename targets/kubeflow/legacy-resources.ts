/**
 * The resource fields KFP backends before 2.4 read (`cpuLimit`, `memoryLimit`, … as
 * numbers, and `accelerator.type`/`count`), written beside the string fields newer ones
 * read, as kfp's own compiler does (kfp 2.17, pipeline_spec_builder.py), so that a GPU
 * request or a limit does not vanish on an older backend. The numbers are computed as
 * kfp computes them (compiler_utils._cpu_to_float and _memory_to_float: cores, and
 * memory in decimal gigabytes), so both compilers write the same values.
 */
const GB = 1e9;
const MEMORY: readonly (readonly [string, number])[] = [
  ['Ei', 2 ** 60],
  ['E', 1e18],
  ['Pi', 2 ** 50],
  ['P', 1e15],
  ['Ti', 2 ** 40],
  ['T', 1e12],
  ['Gi', 2 ** 30],
  ['G', GB],
  ['Mi', 2 ** 20],
  ['M', 1e6],
  ['Ki', 2 ** 10],
  ['K', 1e3],
];

/** Cores, as kfp's _cpu_to_float. */
export function cpuToFloat(cpu: string): number {
  return cpu.endsWith('m') ? Number(cpu.slice(0, -1)) / 1000 : Number(cpu);
}

/** Decimal gigabytes, as kfp's _memory_to_float (a plain number is bytes). */
export function memoryToFloat(memory: string): number {
  for (const [suffix, factor] of MEMORY) {
    if (memory.endsWith(suffix))
      return suffix === 'G' ? Number(memory.slice(0, -1)) : (Number(memory.slice(0, -suffix.length)) * factor) / GB;
  }
  return Number(memory) / GB;
}

/** The older fields for one task's resources; a field whose value is no finite number is left out. */
export function legacyResourceFields(r: {
  requests: { cpu?: string; memory?: string };
  limits: { cpu?: string; memory?: string };
}): Record<string, number | undefined> {
  const finite = (n: number | undefined) => (n !== undefined && Number.isFinite(n) ? n : undefined);
  return {
    cpuRequest: finite(r.requests.cpu === undefined ? undefined : cpuToFloat(r.requests.cpu)),
    cpuLimit: finite(r.limits.cpu === undefined ? undefined : cpuToFloat(r.limits.cpu)),
    memoryRequest: finite(r.requests.memory === undefined ? undefined : memoryToFloat(r.requests.memory)),
    memoryLimit: finite(r.limits.memory === undefined ? undefined : memoryToFloat(r.limits.memory)),
  };
}
