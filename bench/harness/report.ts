/** RESULTS.md and the console summary, from the measured rows. */
import type { Machine } from './machine.ts';
import type { DfpInProcess, Row } from './results.ts';

const ms = (x: number) => (Number.isNaN(x) ? '—' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const s = (x: number) => (x / 1000).toFixed(2);
const mb = (kb: number) => (kb / 1024).toFixed(0);
const ratio = (a: number, b: number) => (a / b).toFixed(3);
const times = (a: number, b: number) => `${(b / a).toFixed(1)}×`;
// Runs without a floor (N above 1000) show a dash, not NaN.
const x = (v: number, digits: number) => (Number.isNaN(v) ? '—' : `${v.toFixed(digits)}×`);
const pc = (v: number) => (Number.isNaN(v) ? '—' : `${(100 * v).toFixed(0)}%`);

export interface Comparison {
  readonly title: string;
  readonly dfpLabel: string;
  readonly peerLabel: string;
  /** Rows by size: dfp in-process, dfp whole process, the peer. */
  readonly rows: readonly { n: number; dfp: Row; dfpProcess: Row; peer: Row; phases: DfpInProcess }[];
}

export function comparisonTable(c: Comparison): string {
  const head = [
    `### ${c.title}`,
    '',
    `| N | dfp ms/pipeline (CPU) | ${c.peerLabel} ms/pipeline (CPU) | dfp / ${c.peerLabel} wall (CPU) | dfp ` +
      `faster by | dfp in-process total s | dfp process s | ${c.peerLabel} process s | dfp startup s | ` +
      `${c.peerLabel} startup s | peak RSS MB dfp / dfp process / ${c.peerLabel} |`,
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const rows = c.rows.map(({ n, dfp, dfpProcess, peer }) => {
    const extrapolated = peer.rendered < n ? ` (extrapolated from ${peer.rendered})` : '';
    return (
      `| ${n} | ${ms(dfp.perPipelineMs)} (${ms(dfp.perPipelineCpuMs)}) | ${ms(peer.perPipelineMs)} (` +
      `${ms(peer.perPipelineCpuMs)})${peer.rendered < n ? ` ‡${peer.rendered}` : ''} | ` +
      `${ratio(dfp.perPipelineMs, peer.perPipelineMs)} (${ratio(dfp.perPipelineCpuMs, peer.perPipelineCpuMs)}) | ` +
      `${times(dfp.perPipelineMs, peer.perPipelineMs)} (CPU ${times(dfp.perPipelineCpuMs, peer.perPipelineCpuMs)}` +
      `) | ${s(dfp.perPipelineMs * n)} | ${s(dfpProcess.processWallMs)} | ${s(peer.processWallMs)}${extrapolated}` +
      ` | ${s(dfp.startupMs)} | ${s(peer.startupMs)} | ${mb(dfp.maxRssKb)} / ${mb(dfpProcess.maxRssKb)} / ` +
      `${mb(peer.maxRssKb)} |`
    );
  });
  return [...head, ...rows].join('\n');
}

export function phaseTable(title: string, rows: readonly { n: number; phases: DfpInProcess }[]): string {
  const head = [
    `### ${title}`,
    '',
    '| N | files | MB written | construct ms | model ms | render ms | write ms | total ms (CPU) | YAML floor ' +
      'ms (CPU) | total / floor (CPU) | floor share of total (CPU) | yaml package alone ms (CPU) | total / ' +
      'package printing (CPU) |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const rows2 = rows.map(
    ({ n, phases: p }) =>
      `| ${n} | ${p.files} | ${(p.bytes / 2 ** 20).toFixed(1)} | ${ms(p.constructMs)} | ${ms(p.modelMs)} | ` +
      `${ms(p.renderMs)} | ${ms(p.writeMs)} | ${ms(p.totalMs)} (${ms(p.totalCpuMs)}) | ${ms(p.floorMs)} (` +
      `${ms(p.floorCpuMs)}) | ${x(p.totalMs / p.floorMs, 1)} (${x(p.totalCpuMs / p.floorCpuMs, 1)}) | ` +
      `${pc(p.floorMs / p.totalMs)} (${pc(p.floorCpuMs / p.totalCpuMs)}) | ${ms(p.packageFloorMs)} (` +
      `${ms(p.packageFloorCpuMs)}) | ${x(p.totalMs / p.packageFloorMs, 2)} (` +
      `${x(p.totalCpuMs / p.packageFloorCpuMs, 2)}) |`,
  );
  return [...head, ...rows2].join('\n');
}

export function machineSection(m: Machine, loadBefore: string, loadAfter: string, elapsedS: number): string {
  return [
    '## Machine',
    '',
    `- CPU: ${m.cpuModel}, \`nproc\` = ${m.nproc}`,
    `- Memory (\`free -h\`, Mem: total used free shared buff/cache available): ${m.memory}`,
    `- Node ${m.node}; ${m.python}`,
    `- Tools: ${m.tools}`,
    `- dfp commit: ${m.commit}`,
    `- Load average (1, 5, 15 min) before the run: ${loadBefore}; after: ${loadAfter}.`,
    `- The whole \`make bench\` run took ${elapsedS.toFixed(0)} s.`,
  ].join('\n');
}
