/**
 * Small, valid building blocks for tests: an app with one environment, and a one-step
 * pipeline, so each test states only what it changes.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Environment, type EnvironmentProps } from '../../constructs/index.ts';
import { DfpApp } from '../../app/dfp-app.ts';
import { buildModel } from '../../constructs/model/build.ts';
import type { Model } from '../../constructs/model/schema.ts';
import { DfpError } from '../../constructs/model/errors.ts';

export const IMAGE = 'registry.dfp.internal/test/step:1.0.0';

export function envProps(overrides: Partial<EnvironmentProps> = {}): EnvironmentProps {
  return {
    namespace: 'ml-test',
    endpoints: {
      lakefs: 'http://lakefs:8000',
      mlflow: 'http://mlflow:5000',
      s3: 'http://minio:9000',
      datahub: 'http://datahub-gms:8080',
    },
    artifactRepository: { bucket: 'dfp-test', credentials: { secret: 'minio-credentials' } },
    gitops: { repoURL: 'https://git.example.com/ml/dfp.git' },
    ...overrides,
  };
}

/**
 * The lock of the test fixtures' lakeFS refs (`shop@main`, `shop@dev`): fixture apps
 * must not depend on the platform's dfp.lock.json, which `dfp lock` rewrites. Relative,
 * like the default lock path, so the esbuild bundle of the crash test can load this file.
 */
export const FIXTURE_LOCK = 'tests/fixtures/fixtures.lock.json'; // from the repository root, where tests run

// Test apps point at a scratch dist/ so that a stray synth() never touches the real one.
const SCRATCH_DIST = join(mkdtempSync(join(tmpdir(), 'dfp-dist-')), 'dist');

/** An app with a `test` environment (unless `withEnvironment` is false). */
export function testApp(withEnvironment = true): DfpApp {
  const app = new DfpApp({ distDir: SCRATCH_DIST, lockFile: FIXTURE_LOCK });
  if (withEnvironment) new Environment(app, 'test', envProps());
  return app;
}

/** The model of `app`, or the DfpError its definitions raise. */
export function modelOrError(app: DfpApp): Model | DfpError {
  try {
    return buildModel(app);
  } catch (e) {
    if (e instanceof DfpError) return e;
    throw e;
  }
}
