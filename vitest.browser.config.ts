import { defineConfig } from 'vitest/config';

// The browser suite: Node-side vitest files that drive headless Chromium (see test/browser/harness.ts).
// Kept apart from the Node suite so `npx vitest run` works on a machine without Chromium;
// `npm test` runs both.
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
