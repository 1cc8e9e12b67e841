/**
 * `node scripts/run.mjs bench/dfp/inprocess.ts SPECS PATH DIST`: dfp's synth of N pipelines in this one
 * process, after start-up, phase by phase (the phases synth/synth.ts runs: build the
 * constructs, build and validate the model, render, write dist/ atomically), then the
 * serialisation floor. Prints one JSON object.
 */
import { readFileSync } from 'node:fs';
import { buildModel } from '../../constructs/model/build.ts';
import { renderAll } from '../../synth/render.ts';
import { writeTree } from '../../synth/writer.ts';
import type { BenchPipeline } from '../generator/spec.ts';
import { BENCH_PATHS, PATH_TARGETS, buildBenchApp, type BenchPath } from './app.ts';
import { yamlFloor } from './floor.ts';

// Milliseconds since the process started (Node's time origin): start-up and imports.
const startupMs = performance.now();
const [specsFile, path, dist] = process.argv.slice(2) as [string, BenchPath, string];
if (!specsFile || !dist || !BENCH_PATHS.includes(path)) {
  process.stderr.write('usage: node scripts/run.mjs bench/dfp/inprocess.ts SPECS kubeflow|argo|airflow DIST\n');
  process.exit(2);
}
const specs = JSON.parse(readFileSync(specsFile, 'utf8')) as BenchPipeline[];

// Wall time and this process's CPU time (user + system) of each phase: the machine is
// shared, and CPU time is what contention distorts least.
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const c0 = cpuMs();
const t0 = performance.now();
const app = buildBenchApp(specs, path, dist);
const t1 = performance.now();
const model = buildModel(app);
const t2 = performance.now();
const files = renderAll(model, PATH_TARGETS[path]);
const t3 = performance.now();
writeTree(dist, new Map(files.map((f) => [f.path, f.content])));
const t4 = performance.now();
const c4 = cpuMs();
// Peak RSS of the synth itself, before the floor adds its own objects.
const maxRssKb = process.resourceUsage().maxRSS;
// The floor is YAML printing; Airflow's output is Python, and at N=10,000 the floor would
// double the run (DFP_BENCH_NO_FLOOR=1): those runs report no floor.
const floor =
  path === 'airflow' || process.env.DFP_BENCH_NO_FLOOR
    ? { ms: NaN, cpuMs: NaN, packageMs: NaN, packageCpuMs: NaN, identical: true }
    : yamlFloor(
        model,
        path,
        files.map((f) => f.content),
      );

process.stdout.write(
  `${JSON.stringify({
    pipelines: specs.length,
    steps: specs.reduce((n, s) => n + s.steps.length, 0),
    files: files.length,
    bytes: files.reduce((n, f) => n + Buffer.byteLength(f.content), 0),
    startupMs,
    constructMs: t1 - t0,
    modelMs: t2 - t1,
    renderMs: t3 - t2,
    writeMs: t4 - t3,
    totalMs: t4 - t0,
    totalCpuMs: c4 - c0,
    floorMs: floor.ms,
    floorCpuMs: floor.cpuMs,
    packageFloorMs: floor.packageMs,
    packageFloorCpuMs: floor.packageCpuMs,
    floorIdentical: floor.identical,
    maxRssKb,
  })}\n`,
);
