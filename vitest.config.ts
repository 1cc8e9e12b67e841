import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// One scratch directory per run, removed by tests/support/tmp-setup.ts when the run ends.
const runTmp = (process.env.DFP_TEST_TMPDIR ??= mkdtempSync(join(tmpdir(), 'dfp-test-run-')));

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    exclude: ['tests/e2e/**', 'node_modules/**'],
    env: { TMPDIR: runTmp, DFP_TEST_TMPDIR: runTmp },
    globalSetup: ['tests/support/tmp-setup.ts'],
    // Synth tests spawn real processes (tsx, cdk8s); give them room on a 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
