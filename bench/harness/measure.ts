/**
 * Runs one benchmark process under GNU time, which reports what the process cannot
 * about itself: wall time from exec to exit, and the peak RSS of the largest process
 * in its tree (npx -> cdk8s -> tsx -> node counts as its largest member).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ProcessRun {
  readonly wallMs: number;
  /** User + system CPU time of the process and its children. */
  readonly cpuMs: number;
  readonly maxRssKb: number;
  readonly stdout: string;
}

/** CPU milliseconds of every process timedRun has run so far (the benchmark's own). */
export let childCpuMs = 0;

export function timedRun(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string> },
): ProcessRun {
  const report = join(mkdtempSync(join(tmpdir(), 'dfp-bench-time-')), 'time.txt');
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', '-o', report, command, ...args], {
    cwd: options.cwd,
    env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false', ...options.env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) {
    throw new Error(`'${command} ${args.join(' ')}' exited with ${r.status}:\n${r.stderr.slice(-4000)}`);
  }
  // GNU time prints its line last; earlier lines would be the child's own complaints.
  const [wall, user, sys, rss] = readFileSync(report, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  childCpuMs += (user! + sys!) * 1000;
  return { wallMs: wall! * 1000, cpuMs: (user! + sys!) * 1000, maxRssKb: rss!, stdout: r.stdout };
}

/** The last line of a run's stdout, parsed: the benchmark scripts print one JSON object. */
export function lastJson<T>(run: ProcessRun): T {
  const lines = run.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as T;
}
