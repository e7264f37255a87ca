import { defineConfig } from 'vitest/config';

// The scale-out suite: real redis-server processes and several Node processes per test, so it is kept out
// of `npm test` (files end in .cluster.ts) and run by `npm run test:cluster`, one file at a time.
export default defineConfig({
  test: {
    include: ['test/cluster/**/*.cluster.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
