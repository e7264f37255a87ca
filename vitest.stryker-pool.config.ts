import { defineConfig } from 'vitest/config';

// The tests Stryker runs for its pool-level pass (stryker.pool.config.mjs): the threaded pool tests. They import
// the built package (dist/), which Stryker rebuilds from the mutated source in its sandbox; the mutated files
// (src/pool.ts, src/async-result.ts, src/scheduling/queue-watchers.ts) run on the test's own thread, where
// Stryker switches mutants on and records which tests reach them.
export default defineConfig({
  test: {
    include: ['test/pool/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
