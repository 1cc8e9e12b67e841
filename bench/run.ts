/**
 * `make bench`: dfp against kfp's compiler and Hera, side by side, for N = 1, 10, 100,
 * 1000 and 10,000 generated pipelines; `make synth` on this repository against the tsx
 * start it replaced; real Airflow parsing dfp's DAG files against hand-written ones; N=1000
 * rendered twice for determinism. Each tool runs in its own process per N. Prints the
 * ratios and writes bench/RESULTS.md, which states only what this run measured.
 *
 *   tsx bench/run.ts [--sizes 1,10,100,1000,10000] [--peer-limit 200] [--airflow-n 100] [--out bench/RESULTS.md]
 *
 * `--peer-limit M`: at sizes above M, the peers render only the first M pipelines and
 * their totals are extrapolated from that (marked in the tables), to fit the budget.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readTree } from '../synth/writer.ts';
import { generatePipelines } from './generator/generate.ts';
import { contention, cpuSnapshot, describeMachine, load } from './harness/machine.ts';
import { childCpuMs, lastJson, timedRun } from './harness/measure.ts';
import type { Comparison } from './harness/report.ts';
import { renderReport, type AirflowParse, type SynthTiming } from './harness/summary.ts';
import type { DfpInProcess, PeerInProcess, Row } from './harness/results.ts';

const ROOT = resolve(import.meta.dirname, '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const PYTHON = join(ROOT, 'bench', 'python', '.venv', 'bin', 'python');
const AIRFLOW_PYTHON = join(ROOT, 'tests', 'conformance', 'airflow', '.venv', 'bin', 'python');
const RUN = join(ROOT, 'scripts', 'run.mjs');
// Above this size dfp skips the YAML floor and gets a larger heap (10,000 pipelines hold ~1 GB of text).
const LARGE = 1000;

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const SIZES = option('sizes', '1,10,100,1000,10000').split(',').map(Number);
const AIRFLOW_N = Number(option('airflow-n', '100'));
const PEER_LIMIT = Number(option('peer-limit', '200'));
const OUT = resolve(ROOT, option('out', 'bench/RESULTS.md'));
const WORK = mkdtempSync(join(tmpdir(), 'dfp-bench-'));
const log = (line: string) => process.stdout.write(`${line}\n`);

function specsFile(n: number): string {
  const file = join(WORK, `specs-${n}.json`);
  writeFileSync(file, JSON.stringify(generatePipelines(n)));
  return file;
}

const floorRatio = (p: DfpInProcess) =>
  Number.isNaN(p.floorCpuMs) ? '(no floor measured) vs' : `${(p.totalCpuMs / p.floorCpuMs).toFixed(1)}x`;
/** Node options for dfp's processes at size n. */
const nodeEnv = (n: number): Record<string, string> =>
  n > LARGE ? { NODE_OPTIONS: '--max-old-space-size=16384', DFP_BENCH_NO_FLOOR: '1' } : {};

function dfpInProcess(specs: string, path: 'kubeflow' | 'argo', n: number): { row: Row; phases: DfpInProcess } {
  const run = timedRun(
    'node',
    [RUN, 'bench/dfp/inprocess.ts', specs, path, join(WORK, `inprocess-${path}-${n}`, 'dist')],
    { cwd: ROOT, env: nodeEnv(n) },
  );
  // JSON has no NaN: a run without a floor (N above LARGE) reports its floor as null.
  const raw = lastJson<Record<keyof DfpInProcess, unknown>>(run);
  const p = Object.fromEntries(
    Object.entries(raw).map(([k, v]) => [k, v === null ? NaN : v]),
  ) as unknown as DfpInProcess;
  if (!p.floorIdentical) throw new Error(`the floor printed other bytes than the ${path} synth at N=${n}`);
  const row = {
    tool: `dfp ${path}`,
    n,
    rendered: n,
    startupMs: p.startupMs,
    perPipelineMs: p.totalMs / n,
    perPipelineCpuMs: p.totalCpuMs / n,
    processWallMs: run.wallMs,
    maxRssKb: p.maxRssKb,
    bytes: p.bytes,
  };
  return { row, phases: p };
}

/** The benchmark app as a whole process, started the way `make synth` starts dfp (scripts/run.mjs). */
function dfpProcess(
  specs: string,
  path: 'kubeflow' | 'argo' | 'all',
  n: number,
  dist = join(WORK, `process-${path}-${n}`, 'dist'),
): Row {
  const run = timedRun('node', [RUN, 'bench/dfp/main.ts'], {
    cwd: ROOT,
    env: { DFP_BENCH_SPECS: specs, DFP_BENCH_PATH: path, DFP_BENCH_DIST: dist, ...nodeEnv(n) },
  });
  return {
    tool: `dfp ${path} (process)`,
    n,
    rendered: n,
    startupMs: NaN,
    perPipelineMs: run.wallMs / n,
    perPipelineCpuMs: run.cpuMs / n,
    processWallMs: run.wallMs,
    maxRssKb: run.maxRssKb,
    bytes: NaN,
  };
}

function peer(tool: 'kfp' | 'hera', specs: string, n: number): Row {
  const limit = n > PEER_LIMIT ? ['--limit', String(PEER_LIMIT)] : [];
  const run = timedRun(PYTHON, ['run_peer.py', tool, specs, join(WORK, `${tool}-${n}`), ...limit], {
    cwd: join(ROOT, 'bench', 'python'),
  });
  const r = lastJson<PeerInProcess>(run);
  const per = r.totalMs / r.rendered;
  return {
    tool,
    n,
    rendered: r.rendered,
    startupMs: r.startupMs,
    perPipelineMs: per,
    perPipelineCpuMs: r.totalCpuMs / r.rendered,
    // The pipelines not rendered would each have taken the measured average.
    processWallMs: run.wallMs + per * (n - r.rendered),
    maxRssKb: run.maxRssKb,
    bytes: r.bytes,
  };
}

/** N pipelines, every target, rendered twice in fresh processes: the same bytes? */
function determinism(n: number): { files: number; bytes: number; identical: boolean } {
  const specs = specsFile(n);
  const trees = [1, 2].map((i) => {
    const dist = join(WORK, `determinism-${i}`, 'dist');
    timedRun('node', [RUN, 'bench/dfp/main.ts'], {
      cwd: ROOT,
      env: {
        DFP_BENCH_SPECS: specs,
        DFP_BENCH_PATH: 'all',
        DFP_BENCH_DIST: dist,
        TZ: i === 1 ? 'UTC' : 'Pacific/Kiritimati',
      },
    });
    return readTree(dist);
  });
  const [a, b] = trees as [Map<string, string>, Map<string, string>];
  const identical = a.size === b.size && [...a].every(([path, content]) => b.get(path) === content);
  return { files: a.size, bytes: [...a.values()].reduce((x, c) => x + Buffer.byteLength(c), 0), identical };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * `make synth` on this repository's own definitions (dist/ is current, so it renders and
 * compares), five times after one warm-up, against `tsx main.ts` (how it started before).
 */
function synthTiming(): SynthTiming {
  const times = (command: string, args: string[]) => {
    timedRun(command, args, { cwd: ROOT });
    return Array.from({ length: 5 }, () => timedRun(command, args, { cwd: ROOT }).wallMs);
  };
  const make = times('make', ['-s', 'synth']);
  const tsx = times(TSX, ['main.ts']);
  return { makeMs: median(make), makeRuns: make, tsxMs: median(tsx), tsxRuns: tsx };
}

/** dfp's Airflow DAG files and hand-written twins of the same pipelines, parsed by real Airflow. */
function airflowParse(n: number): AirflowParse {
  const specs = specsFile(n);
  const dfpDist = join(WORK, `airflow-${n}`, 'dist');
  timedRun('node', [RUN, 'bench/dfp/inprocess.ts', specs, 'airflow', dfpDist], { cwd: ROOT });
  const hand = join(WORK, `airflow-hand-${n}`);
  timedRun(PYTHON, ['airflow_twin.py', specs, hand], { cwd: join(ROOT, 'bench', 'python') });
  const home = mkdtempSync(join(tmpdir(), 'dfp-bench-airflow-'));
  const run = timedRun(
    AIRFLOW_PYTHON,
    ['parse_dags.py', '5', `dfp=${join(dfpDist, 'bench-airflow', 'airflow', 'dags')}`, `hand=${hand}`],
    {
      cwd: join(ROOT, 'bench', 'python'),
      env: {
        AIRFLOW_HOME: home,
        AIRFLOW__CORE__LOAD_EXAMPLES: 'False',
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: `sqlite:///${join(home, 'airflow.db')}`,
        AIRFLOW__CORE__DAGS_FOLDER: hand,
      },
    },
  );
  const r = lastJson<AirflowParse>(run);
  for (const label of ['dfp', 'hand'] as const) {
    if (r[label].importErrors > 0)
      throw new Error(`Airflow could not import the ${label} DAG files: ${r[label].firstError}`);
  }
  return { ...r, n };
}

function main(): void {
  const started = performance.now();
  const loadBefore = load();
  const cpuBefore = cpuSnapshot();
  const machine = describeMachine(ROOT, PYTHON);
  log(
    `dfp bench: sizes ${SIZES.join(', ')}; peers extrapolated above ${PEER_LIMIT}; load ${loadBefore}; work ` +
      `dir ${WORK}`,
  );
  // Build the bundles and their code caches once, untimed, with one small synth each (the
  // cache holds what its first run compiled): a user's first synth after an edit pays
  // this, later ones do not. main.ts --check renders everything and only compares.
  const warm = specsFile(1);
  const warmDist = join(WORK, 'warm-up', 'dist');
  const warmUps = [
    ...['kubeflow', 'argo', 'airflow'].map((path) => ['bench/dfp/inprocess.ts', warm, path, warmDist]),
    ['bench/dfp/main.ts'],
    ['main.ts', '--check'],
  ];
  for (const [entry, ...args] of warmUps) {
    spawnSync('node', [RUN, entry!, ...args], {
      cwd: ROOT,
      stdio: 'ignore',
      env: {
        ...process.env,
        DFP_BENCH_SPECS: warm,
        DFP_BENCH_PATH: 'all',
        DFP_BENCH_DIST: warmDist,
        DFP_RUN_CODE_CACHE: 'remake',
      },
    });
  }
  const synth = synthTiming();
  log(
    `make synth (this repository): median ${(synth.makeMs / 1000).toFixed(2)} s of 5 (` +
      `${synth.makeRuns.map((x) => (x / 1000).toFixed(2)).join(', ')}); tsx main.ts ` +
      `${(synth.tsxMs / 1000).toFixed(2)} s`,
  );
  const kubeflow: Comparison['rows'][number][] = [];
  const argo: Comparison['rows'][number][] = [];
  for (const n of SIZES) {
    const specs = specsFile(n);
    const kf = dfpInProcess(specs, 'kubeflow', n);
    const kfProcess = dfpProcess(specs, 'kubeflow', n);
    const kfp = peer('kfp', specs, n);
    kubeflow.push({ n, dfp: kf.row, dfpProcess: kfProcess, peer: kfp, phases: kf.phases });
    log(
      `N=${n} kubeflow: dfp ${kf.row.perPipelineMs.toFixed(2)} ms/pipeline (CPU ` +
        `${kf.row.perPipelineCpuMs.toFixed(2)}), kfp ${kfp.perPipelineMs.toFixed(1)} (CPU ` +
        `${kfp.perPipelineCpuMs.toFixed(1)})${kfp.rendered < n ? ` [${kfp.rendered} rendered]` : ''}: dfp/kfp ` +
        `${(kf.row.perPipelineMs / kfp.perPipelineMs).toFixed(3)} (CPU ` +
        `${(kf.row.perPipelineCpuMs / kfp.perPipelineCpuMs).toFixed(3)}); dfp total ${floorRatio(kf.phases)} its ` +
        `YAML floor (CPU); dfp process ${(kfProcess.processWallMs / 1000).toFixed(2)} s vs kfp process ` +
        `${(kfp.processWallMs / 1000).toFixed(2)} s`,
    );
    const ar = dfpInProcess(specs, 'argo', n);
    const arProcess = dfpProcess(specs, 'argo', n);
    const hera = peer('hera', specs, n);
    argo.push({ n, dfp: ar.row, dfpProcess: arProcess, peer: hera, phases: ar.phases });
    log(
      `N=${n} argo:     dfp ${ar.row.perPipelineMs.toFixed(2)} ms/pipeline (CPU ` +
        `${ar.row.perPipelineCpuMs.toFixed(2)}), hera ${hera.perPipelineMs.toFixed(1)} (CPU ` +
        `${hera.perPipelineCpuMs.toFixed(1)})${hera.rendered < n ? ` [${hera.rendered} rendered]` : ''}: ` +
        `dfp/hera ${(ar.row.perPipelineMs / hera.perPipelineMs).toFixed(3)} (CPU ` +
        `${(ar.row.perPipelineCpuMs / hera.perPipelineCpuMs).toFixed(3)}); dfp total ${floorRatio(ar.phases)} ` +
        `its YAML floor (CPU); dfp process ${(arProcess.processWallMs / 1000).toFixed(2)} s vs hera process ` +
        `${(hera.processWallMs / 1000).toFixed(2)} s`,
    );
  }
  const airflow = airflowParse(AIRFLOW_N);
  log(
    `airflow parse, N=${AIRFLOW_N}: dfp ${airflow.dfp.sumOfMediansMs.toFixed(0)} ms for ${airflow.dfp.files} ` +
      `files (median ${airflow.dfp.medianPerFileMs.toFixed(1)} ms/file), hand-written ` +
      `${airflow.hand.sumOfMediansMs.toFixed(0)} ms (median ${airflow.hand.medianPerFileMs.toFixed(1)} ms/file): ` +
      `dfp / hand-written ${(airflow.dfp.sumOfMediansMs / airflow.hand.sumOfMediansMs).toFixed(3)}`,
  );
  const detN = Math.min(Math.max(...SIZES), LARGE);
  const det = determinism(detN);
  log(
    `determinism: N=${detN}, every target, two fresh processes (TZ UTC and Pacific/Kiritimati): ${det.files} ` +
      `files, ${(det.bytes / 2 ** 20).toFixed(1)} MB, byte-identical: ${det.identical ? 'yes' : 'NO'}`,
  );

  const elapsed = (performance.now() - started) / 1000;
  const notes = readFileSync(join(ROOT, 'bench', 'optimisations.md'), 'utf8');
  const others = contention(
    cpuBefore,
    cpuSnapshot(),
    process.pid,
    (childCpuMs + process.cpuUsage().user / 1000 + process.cpuUsage().system / 1000) / 1000,
    elapsed,
  );
  const report = renderReport({
    machine,
    loadBefore,
    loadAfter: load(),
    elapsed,
    contention: others,
    kubeflow,
    argo,
    det,
    detN,
    synth,
    airflow,
    peerLimit: PEER_LIMIT,
  });
  mkdirSync(resolve(OUT, '..'), { recursive: true });
  writeFileSync(OUT, `${report}\n\n${notes}`);
  log(`wrote ${OUT} (${elapsed.toFixed(0)} s)`);
  if (!det.identical) process.exit(1);
}

main();
