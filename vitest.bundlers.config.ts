import { defineConfig } from 'vitest/config';

// The bundler suite (test/bundlers): builds an app from the packed tarball with Vite, webpack and esbuild and
// runs it in headless Chromium. Its own config: it needs the bundlers' devDependencies and a Chromium.
export default defineConfig({
  test: {
    include: ['test/bundlers/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 240_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
