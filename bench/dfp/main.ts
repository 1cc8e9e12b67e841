/**
 * The benchmark app as a process, for `cdk8s synth --app 'npx tsx bench/dfp/main.ts'`:
 * reads the specs from DFP_BENCH_SPECS, renders path DFP_BENCH_PATH into DFP_BENCH_DIST.
 */
import { readFileSync } from 'node:fs';
import { runCli } from '../../app/cli.ts';
import type { BenchPipeline } from '../generator/spec.ts';
import { BENCH_PATHS, buildBenchApp, type BenchPath } from './app.ts';

const { DFP_BENCH_SPECS: specsFile, DFP_BENCH_PATH: path, DFP_BENCH_DIST: dist } = process.env;
if (!specsFile || !dist || !BENCH_PATHS.includes(path as BenchPath)) {
  process.stderr.write(`set DFP_BENCH_SPECS, DFP_BENCH_DIST and DFP_BENCH_PATH (${BENCH_PATHS.join('|')})\n`);
  process.exit(2);
}
const specs = JSON.parse(readFileSync(specsFile, 'utf8')) as BenchPipeline[];
process.exit(runCli(() => buildBenchApp(specs, path as BenchPath, dist)));
