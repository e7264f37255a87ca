// @ts-check
// Mutation testing, pool level: `npm run test:mutation:pool`. The Pool facade, AsyncResult and the queue
// watchers, against the threaded pool tests (test/pool/). Each mutant runs only the tests that reached it in the
// initial run (coverage per test), which keeps a run of real threads bounded.
import unit from './stryker.config.mjs';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...unit,
  vitest: { configFile: 'vitest.stryker-pool.config.ts', related: false },
  mutate: ['src/pool.ts', 'src/async-result.ts', 'src/scheduling/queue-watchers.ts'],
  // Real workers start per test: slower than the unit tests, and the machine is shared.
  timeoutMS: 30_000,
  incrementalFile: 'reports/mutation/pool-incremental.json',
  thresholds: { high: 85, low: 70, break: null },
  htmlReporter: { fileName: 'reports/mutation/pool.html' },
  jsonReporter: { fileName: 'reports/mutation/pool.json' },
};
