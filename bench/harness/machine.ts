/** What the numbers were measured on, for RESULTS.md. */
import { execFileSync } from 'node:child_process';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { readdirSync, readFileSync } from 'node:fs';

const sh = (cmd: string, args: string[]): string => {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
};

export interface Machine {
  readonly cpuModel: string;
  readonly nproc: string;
  readonly memory: string;
  readonly node: string;
  readonly python: string;
  readonly tools: string;
  readonly commit: string;
}

export function describeMachine(root: string, python: string): Machine {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown';
  const pkg = (name: string) =>
    JSON.parse(readFileSync(`${root}/node_modules/${name}/package.json`, 'utf8')).version as string;
  const peers = sh(python, [
    '-c',
    'import importlib.metadata as m; print(" ".join(f"{p} {m.version(p)}" for p in ("kfp", "kfp-kubernetes", ' +
      '"hera", "PyYAML")))',
  ]);
  return {
    cpuModel: model,
    nproc: sh('nproc', []),
    memory:
      sh('free', ['-h']).split('\n')[1]?.replace(/\s+/g, ' ') ??
      `${(totalmem() / 2 ** 30).toFixed(1)} GiB, ${(freemem() / 2 ** 30).toFixed(1)} GiB free`,
    node: process.version,
    python: sh(python, ['--version']),
    tools:
      `cdk8s ${pkg('cdk8s')}, cdk8s-cli ${pkg('cdk8s-cli')}, constructs ${pkg('constructs')}, yaml ${pkg('yaml')}` +
      `, zod ${pkg('zod')}, tsx ${pkg('tsx')}; ${peers}`,
    commit: sh('git', ['-C', root, 'rev-parse', '--short', 'HEAD']),
  };
}

export const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

/** The machine's CPU counters and every process's CPU time, at one moment (Linux /proc). */
export interface CpuSnapshot {
  /** Jiffies busy and in total, all cores, from /proc/stat. */
  readonly busy: number;
  readonly total: number;
  /** pid -> [command, user + system jiffies]. */
  readonly processes: ReadonlyMap<number, readonly [string, number]>;
}

export function cpuSnapshot(): CpuSnapshot {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0); // idle + iowait
  const processes = new Map<number, readonly [string, number]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command is in parentheses and may hold spaces; the counters follow it.
      const close = stat.lastIndexOf(')');
      const rest = stat.slice(close + 2).split(' ');
      processes.set(Number(entry), [stat.slice(stat.indexOf('(') + 1, close), Number(rest[11]) + Number(rest[12])]);
    } catch {
      // gone between readdir and read
    }
  }
  return { busy: total - idle, total, processes };
}

/** What ran beside the benchmark between two snapshots: measured, not assumed. */
export interface Contention {
  /** Share of all cores' time that was busy, in %. */
  readonly busyPercent: number;
  /** CPU seconds the machine was busy with, less the benchmark's own processes' (timed by GNU time). */
  readonly othersCpuS: number;
  /** The run's wall seconds, to set othersCpuS against. */
  readonly wallS: number;
  /** CPU seconds of processes that were already running when the run started, by command, largest first. */
  readonly top: readonly { command: string; cpuS: number }[];
}

export function contention(
  before: CpuSnapshot,
  after: CpuSnapshot,
  self: number,
  benchCpuS: number,
  wallS: number,
): Contention {
  const hz = 100; // USER_HZ, 100 on Linux
  const byCommand = new Map<string, number>();
  for (const [pid, [command, jiffies]] of after.processes) {
    const earlier = before.processes.get(pid);
    if (!earlier || pid === self || earlier[0] !== command) continue;
    const used = (jiffies - earlier[1]) / hz;
    if (used >= 0.01) byCommand.set(command, (byCommand.get(command) ?? 0) + used);
  }
  const top = [...byCommand].map(([command, cpuS]) => ({ command, cpuS })).sort((a, b) => b.cpuS - a.cpuS);
  return {
    busyPercent: (100 * (after.busy - before.busy)) / Math.max(1, after.total - before.total),
    othersCpuS: Math.max(0, (after.busy - before.busy) / hz - benchCpuS),
    wallS,
    top: top.filter((t) => t.cpuS >= 1).slice(0, 5),
  };
}
