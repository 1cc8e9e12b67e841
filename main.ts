/**
 * The cdk8s app: every environment and pipeline of the platform. `cdk8s synth` and
 * `make synth` both run this file; `make synth CHECK=1` (or `--check`) only compares.
 */
import { argv, exit } from 'node:process';
import { defineEnvironments } from './argocd/environments.ts';
import { DfpApp } from './constructs/index.ts';
import { kronodroidFeatures } from './features/kronodroid.ts';
import { iris } from './pipelines/iris.ts';
import { kronodroidAutoencoder } from './pipelines/kronodroid-autoencoder.ts';
import { kronodroidBenchmark } from './pipelines/kronodroid-benchmark.ts';
import { runCli } from './synth/cli.ts';

/** Builds the app; tests build it too, with their own dist/ folder. */
export function buildApp(options: { check?: boolean; distDir?: string; pipeline?: string } = {}): DfpApp {
  const app = new DfpApp(options);
  defineEnvironments(app);
  kronodroidAutoencoder(app);
  iris(app);
  kronodroidBenchmark(app);
  kronodroidFeatures(app);
  return app;
}

if (import.meta.url === `file://${argv[1]}`) {
  exit(runCli(({ check }) => buildApp({ check, ...(process.env.DFP_DIST ? { distDir: process.env.DFP_DIST } : {}) })));
}
