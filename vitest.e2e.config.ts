import { defineConfig } from 'vitest/config';

// `make e2e`: pipelines from dist/ executed by the real orchestrators on the embedded cluster
// (docs/cluster.md). One file per orchestrator under tests/e2e/; they run one after another,
// because they share one cluster and two cores.
export default defineConfig({
  test: {
    include: ['tests/e2e/**/*.e2e.test.ts'],
    testTimeout: 1_800_000,
    hookTimeout: 1_800_000,
    pool: 'forks',
    fileParallelism: false,
    globalSetup: ['tests/e2e/support/global-setup.ts'],
  },
});
