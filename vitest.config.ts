import { defineConfig } from 'vitest/config';

// Tests import the built package ('wasmpool' → dist/), the same files a user gets:
// worker threads need real .js files, and this keeps the tests honest about what ships.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/browser/**', 'test/bundlers/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    fileParallelism: false,
    // Lets leak checks collect garbage before measuring the heap.
    execArgv: ['--expose-gc'],
  },
});
