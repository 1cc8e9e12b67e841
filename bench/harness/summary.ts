/**
 * bench/RESULTS.md from one run's measurements. Every sentence with a number or a verdict
 * is computed here from what the run measured; the rest describes what is timed.
 */
import type { Contention, Machine } from './machine.ts';
import { comparisonTable, machineSection, phaseTable, type Comparison } from './report.ts';

type Rows = Comparison['rows'][number][];

/** `make synth` on this repository, and the tsx start it replaced, in ms. */
export interface SynthTiming {
  readonly makeMs: number;
  readonly makeRuns: readonly number[];
  readonly tsxMs: number;
  readonly tsxRuns: readonly number[];
}

interface ParsedFolder {
  readonly files: number;
  readonly dags: number;
  readonly tasks: number;
  readonly importErrors: number;
  readonly firstError: string | null;
  readonly medianPerFileMs: number;
  readonly sumOfMediansMs: number;
  readonly maxMedianMs: number;
}

/** bench/python/parse_dags.py's output, with the size it was run at. */
export interface AirflowParse {
  readonly n: number;
  readonly dfp: ParsedFolder;
  readonly hand: ParsedFolder;
  readonly dagbagImportTimeoutS: number;
  readonly repeats: number;
}

export interface Report {
  readonly machine: Machine;
  readonly loadBefore: string;
  readonly loadAfter: string;
  readonly elapsed: number;
  readonly contention: Contention;
  readonly kubeflow: Rows;
  readonly argo: Rows;
  readonly det: { files: number; bytes: number; identical: boolean };
  readonly detN: number;
  readonly synth: SynthTiming;
  readonly airflow: AirflowParse;
  readonly peerLimit: number;
}

const verdict = (ok: boolean) => (ok ? '**met**' : '**not met**');
const s2 = (ms: number) => (ms / 1000).toFixed(2);
const at = (rows: Rows, n: number) => rows.find((x) => x.n === n);

function targets(r: Report): string[] {
  const lines: string[] = [];
  const one = at(r.argo, 1);
  if (one) {
    const inProcess =
      one.dfp.perPipelineMs < one.peer.perPipelineMs && one.dfp.perPipelineCpuMs < one.peer.perPipelineCpuMs;
    const whole = one.dfpProcess.processWallMs < one.peer.processWallMs;
    lines.push(
      `- N=1, dfp below Hera per pipeline in-process (wall and CPU): ${verdict(inProcess)} (dfp ` +
        `${one.dfp.perPipelineMs.toFixed(1)} ms, CPU ${one.dfp.perPipelineCpuMs.toFixed(1)}; Hera ` +
        `${one.peer.perPipelineMs.toFixed(1)} ms, CPU ${one.peer.perPipelineCpuMs.toFixed(1)}). Whole process ` +
        `below Hera's: ${verdict(whole)} (dfp ${s2(one.dfpProcess.processWallMs)} s, Hera ` +
        `${s2(one.peer.processWallMs)} s).`,
    );
  }
  lines.push(
    `- \`make synth\` on this repository's definitions under 1 s wall: ${verdict(r.synth.makeMs < 1000)} ` +
      `(median of 5: ${s2(r.synth.makeMs)} s; runs ${r.synth.makeRuns.map(s2).join(', ')} s). The same synth ` +
      `started as before, \`tsx main.ts\`: ${s2(r.synth.tsxMs)} s (${(r.synth.tsxMs / r.synth.makeMs).toFixed(1)}` +
      `× longer). Next to the peers' whole processes at N=1: kfp ` +
      `${s2(at(r.kubeflow, 1)?.peer.processWallMs ?? NaN)} s, Hera ${s2(one?.peer.processWallMs ?? NaN)} s.`,
  );
  const k = at(r.kubeflow, 100);
  if (k) {
    const wall = k.peer.perPipelineMs / k.dfp.perPipelineMs;
    const cpu = k.peer.perPipelineCpuMs / k.dfp.perPipelineCpuMs;
    lines.push(
      `- N=100, dfp at least 10× faster per pipeline than kfp's compiler on wall and CPU: ` +
        `${verdict(wall >= 10 && cpu >= 10)} (${wall.toFixed(1)}× wall, ${cpu.toFixed(1)}× CPU).`,
    );
  }
  const a = r.airflow;
  const ratio = a.dfp.sumOfMediansMs / a.hand.sumOfMediansMs;
  lines.push(
    `- Airflow parse, N=${a.n}: dfp's DAG files parse no slower than hand-written ones (ratio ≤ 1.1): ` +
      `${verdict(ratio <= 1.1)} (dfp / hand-written = ${ratio.toFixed(3)}); well under \`dagbag_import_timeout\` ` +
      `(${a.dagbagImportTimeoutS} s; taken as below a tenth of it): ` +
      `${verdict(a.dfp.maxMedianMs < a.dagbagImportTimeoutS * 100)} (slowest dfp file ` +
      `${a.dfp.maxMedianMs.toFixed(1)} ms, ` +
      `${((100 * a.dfp.maxMedianMs) / (a.dagbagImportTimeoutS * 1000)).toFixed(2)}% of it).`,
  );
  return lines;
}

function airflowSection(a: AirflowParse): string[] {
  const row = (label: string, f: ParsedFolder) =>
    `| ${label} | ${f.files} | ${f.dags} | ${f.tasks} | ${f.importErrors} | ${f.medianPerFileMs.toFixed(1)} | ` +
    `${f.maxMedianMs.toFixed(1)} | ${f.sumOfMediansMs.toFixed(0)} |`;
  return [
    "## Airflow: what the DAG processor pays for dfp's files",
    '',
    `N=${a.n} generated pipelines, as dfp's Airflow target renders them and as hand-written Airflow 3 DAGs`,
    '(bench/python/airflow_twin.py: KubernetesPodOperator per step with the same image, command, arguments, resources,',
    'secret reference and security context, a ShortCircuitOperator for the condition, `partial().expand()` ' +
      'over the loop',
    "items, shared module-level objects). bench/python/parse_dags.py calls real Airflow's " +
      '`DagBag.process_file` on every file',
    `${a.repeats} times in one process, files interleaved, as the DAG processor re-parses them; the table ` +
      'gives the median per file.',
    '',
    '| DAG files | files | DAGs | tasks | import errors | median ms per file | slowest file ms | sum of medians ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    row('dfp', a.dfp),
    row('hand-written', a.hand),
  ];
}

function growth(rows: Rows, label: string): string {
  return (
    `${label}: ` +
    rows
      .map(
        (x) =>
          `N=${x.n} ${x.dfp.perPipelineMs.toFixed(2)} ms (CPU ${x.dfp.perPipelineCpuMs.toFixed(2)}, ` +
          `peak RSS ${(x.dfp.maxRssKb / 1024).toFixed(0)} MB)`,
      )
      .join('; ')
  );
}

export function renderReport(r: Report): string {
  const summary = (label: string, peerLabel: string, x: Comparison['rows'][number]) =>
    `- ${label}, N=${x.n}: dfp ${x.dfp.perPipelineMs.toFixed(2)} ms per pipeline, ${peerLabel} ` +
    `${x.peer.perPipelineMs.toFixed(1)} ms: dfp ${(x.peer.perPipelineMs / x.dfp.perPipelineMs).toFixed(1)}× ` +
    `faster wall, ${(x.peer.perPipelineCpuMs / x.dfp.perPipelineCpuMs).toFixed(1)}× CPU. Whole process: dfp ` +
    `${s2(x.dfpProcess.processWallMs)} s, ${peerLabel} ${s2(x.peer.processWallMs)} s.`;
  const k = at(r.kubeflow, 100) ?? r.kubeflow[r.kubeflow.length - 1]!;
  const a = at(r.argo, 100) ?? r.argo[r.argo.length - 1]!;
  const c = r.contention;
  return [
    '# dfp benchmark: dfp against kfp and Hera',
    '',
    'Generated by `make bench` (bench/run.ts) from one real run; every number and verdict below was measured ' +
      'in it. The',
    'section on optimisations at the end is bench/optimisations.md, written by hand from runs of the same harness.',
    '',
    '## Targets',
    '',
    ...targets(r),
    '',
    '## Summary',
    '',
    summary("Kubeflow IR (dfp's Kubeflow target vs kfp's compiler)", 'kfp', k),
    summary("Argo (dfp's Argo target vs Hera's to_yaml)", 'Hera', a),
    `- How cost grows with N, in-process per pipeline. ${growth(r.kubeflow, 'Kubeflow')}. ` +
      `${growth(r.argo, 'Argo')}. Where it is spent: the phase tables.`,
    `- Determinism: N=${r.detN} pipelines, every target, rendered twice in fresh processes: ${r.det.files} ` +
      `files, ${(r.det.bytes / 2 ** 20).toFixed(1)} MB, byte-identical: **${r.det.identical ? 'yes' : 'NO'}**.`,
    '',
    '## What is timed',
    '',
    'The same N pipelines (bench/generator: seeded, 10–30 steps each, typed parameters, artifacts between steps, a',
    "condition on a step's output, a loop over literal items, a Secret read by reference) are built by each " +
      'tool from one',
    'JSON spec per pipeline. Each tool runs in its own process per N.',
    '',
    '- **dfp, in-process** (bench/dfp/inprocess.ts, started by scripts/run.mjs as `make synth` starts dfp): ' +
      'from the parsed',
    '  specs to files on disk, the phases synth/synth.ts runs: build the constructs, build and validate the ' +
      'model, render,',
    '  write dist/ atomically. Start-up (Node, the bundle, imports) is reported separately. *Kubeflow path*: ' +
      'the IR file',
    '  **and** the v2beta1 Pipeline/PipelineVersion manifest that embeds the same spec again (about twice ' +
      "kfp's bytes).",
    '  *Argo path*: one WorkflowTemplate per pipeline plus the artifact repository.',
    '- **dfp, whole process**: `node scripts/run.mjs bench/dfp/main.ts`, exec to exit, with the bundle already ' +
      'built (a',
    '  synth after an edit first rebuilds it, well under a second).',
    '- **kfp** (bench/python/run_peer.py kfp, kfp 2.17.0): `@dsl.container_component` / `@dsl.pipeline` per ' +
      'pipeline, then',
    '  `Compiler().compile(...)` to an IR YAML file. **Hera** (hera 7.1.0): a WorkflowTemplate per pipeline, ' +
      '`to_yaml()`.',
    '- **ms/pipeline** = in-process total after start-up / N (CPU: user + system of that process). **process s** = the',
    "  whole process under GNU time. **peak RSS** = in-process `maxRSS` for dfp, GNU time's maximum resident " +
      'set otherwise.',
    '- Above N=1000, dfp runs without the YAML floor (it would double the run) and with a 16 GB heap limit. ' +
      '‡M: at N above',
    `  ${r.peerLimit} the peer rendered the first M pipelines; its process total adds the measured average for ` +
      'the rest.',
    '',
    machineSection(r.machine, r.loadBefore, r.loadAfter, r.elapsed),
    `- Measured beside the run (/proc): the machine's cores were ${c.busyPercent.toFixed(0)}% busy; processes ` +
      'other than the',
    `  benchmark's used ${c.othersCpuS.toFixed(0)} CPU-seconds in its ${c.wallS.toFixed(0)} s (` +
      `${(c.othersCpuS / c.wallS).toFixed(2)} cores on average)` +
      (c.top.length
        ? '; the busiest already running at its start: ' +
          c.top.map((t) => `${t.command} ${t.cpuS.toFixed(0)} s`).join(', ')
        : '') +
      '.',
    '',
    '## Results',
    '',
    comparisonTable({ title: 'Kubeflow IR: dfp vs kfp', dfpLabel: 'dfp', peerLabel: 'kfp', rows: r.kubeflow }),
    '',
    comparisonTable({ title: 'Argo WorkflowTemplates: dfp vs Hera', dfpLabel: 'dfp', peerLabel: 'Hera', rows: r.argo }),
    '',
    phaseTable('dfp phases, Kubeflow path (in-process, ms)', r.kubeflow),
    '',
    phaseTable('dfp phases, Argo path (in-process, ms)', r.argo),
    '',
    ...airflowSection(r.airflow),
    '',
    '## Determinism at scale',
    '',
    `N=${r.detN} generated pipelines, both environments, every target (Kubeflow, Argo, docs, Argo CD), rendered by`,
    '`node scripts/run.mjs bench/dfp/main.ts` twice in fresh processes, once with TZ=UTC and once with ' +
      'TZ=Pacific/Kiritimati:',
    `${r.det.files} files, ${(r.det.bytes / 2 ** 20).toFixed(1)} MB; byte-identical: **` +
      `${r.det.identical ? 'yes' : 'NO'}**.`,
  ].join('\n');
}
