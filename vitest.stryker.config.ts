import { defineConfig } from 'vitest/config';

// The tests Stryker runs for its unit-level pass (stryker.config.mjs): the thread-free unit tests, which import
// src/ directly (the few that import dist/ see the mutants too: Stryker rebuilds dist/ from the mutated source).
// Stryker's vitest runner runs them in one thread of its own; which tests cover a mutant it finds by coverage.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    setupFiles: ['vitest.stryker.setup.ts'],
    testTimeout: 30_000,
  },
});
