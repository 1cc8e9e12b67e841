/**
 * The cdk8s app: every environment and pipeline of the platform. `cdk8s synth` and
 * `make synth` both run this file; `make synth CHECK=1` (or `--check`) only compares.
 */
import { exit } from 'node:process';
import { defineEnvironments } from './argocd/environments.ts';
import { DfpApp, type DfpAppProps } from './app/dfp-app.ts';
import { kronodroidFeatures } from './features/kronodroid.ts';
import { iris } from './pipelines/iris.ts';
import { kronodroidAutoencoder } from './pipelines/kronodroid-autoencoder.ts';
import { kronodroidBenchmark } from './pipelines/kronodroid-benchmark.ts';
import { kronodroidFeaturesPipeline } from './pipelines/kronodroid-features.ts';
import { runCli } from './app/cli.ts';
import { isEntryPoint } from './synth/entry.ts';

/** Builds the app; tests build it too, with their own dist/ folder. */
export function buildApp(options: DfpAppProps = {}): DfpApp {
  const app = new DfpApp(options);
  defineEnvironments(app);
  const data = kronodroidFeatures(app);
  kronodroidFeaturesPipeline(app);
  kronodroidAutoencoder(app, data);
  iris(app);
  kronodroidBenchmark(app);
  return app;
}

if (isEntryPoint(import.meta.url, 'main.ts')) {
  exit(
    runCli(({ check }) =>
      buildApp({
        check,
        ...(process.env.DFP_DIST ? { distDir: process.env.DFP_DIST } : {}),
        ...(process.env.DFP_LOCK ? { lockFile: process.env.DFP_LOCK } : {}),
      }),
    ),
  );
}
