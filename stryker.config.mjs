// @ts-check
// Mutation testing, unit level: `npm run test:mutation`. Every mutant in the shared-memory layout (src/abi/), the
// scheduling (src/scheduling/) and the worker runtime (src/worker/) is run against the thread-free unit tests
// (test/unit/), which are fast enough to run them all. Globs, not file lists: a file added to these folders is
// mutated without touching this config. The worker entry points only start a thread's message loop; no
// thread-free test can load them, so they are left out (the pool-level tests run them).
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.stryker.config.ts', related: false },
  checkers: ['typescript'],
  // Stryker adds @ts-nocheck to instrumented files; assembly/ is AssemblyScript, which it cannot parse.
  disableTypeChecks: '{src,test}/**/*.{ts,mts,js,mjs}',
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  mutate: ['src/abi/**/*.ts', 'src/scheduling/**/*.ts', 'src/worker/**/*.ts', '!src/worker/*-entry.ts'],
  // dist/ is what the few tests that import the package load: rebuilt from the instrumented source.
  buildCommand: 'npm run build:ts',
  coverageAnalysis: 'perTest',
  // The machine has two cores shared with other work.
  concurrency: 1,
  timeoutMS: 10_000,
  incremental: true,
  incrementalFile: 'reports/mutation/unit-incremental.json',
  // A score below `low` is reported, never fails the run: only Stryker failing (its initial test run red, a
  // sandbox that does not build) does. The targets (85% on abi and scheduling) are read from the report.
  thresholds: { high: 90, low: 85, break: null },
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/unit.html' },
  jsonReporter: { fileName: 'reports/mutation/unit.json' },
  ignorePatterns: ['reports', 'demo', 'docs', 'bench/results', 'dist-check', 'test/browser/__screenshots__'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
