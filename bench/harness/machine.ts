/** What the numbers were measured on, for RESULTS.md. */
import { execFileSync } from 'node:child_process';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';

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
  const pkg = (name: string) => JSON.parse(readFileSync(`${root}/node_modules/${name}/package.json`, 'utf8')).version as string;
  const peers = sh(python, ['-c', 'import importlib.metadata as m; print(" ".join(f"{p} {m.version(p)}" for p in ("kfp", "kfp-kubernetes", "hera", "PyYAML")))']);
  return {
    cpuModel: model,
    nproc: sh('nproc', []),
    memory: sh('free', ['-h']).split('\n')[1]?.replace(/\s+/g, ' ') ?? `${(totalmem() / 2 ** 30).toFixed(1)} GiB, ${(freemem() / 2 ** 30).toFixed(1)} GiB free`,
    node: process.version,
    python: sh(python, ['--version']),
    tools: `cdk8s ${pkg('cdk8s')}, cdk8s-cli ${pkg('cdk8s-cli')}, constructs ${pkg('constructs')}, yaml ${pkg('yaml')}, zod ${pkg('zod')}, tsx ${pkg('tsx')}; ${peers}`,
    commit: sh('git', ['-C', root, 'rev-parse', '--short', 'HEAD']),
  };
}

export const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');
