// The blur example in a browser page, as a front-end developer would run it: an own AssemblyScript kernel built
// with `wasmpool build`, loaded by URL with Pool.create, the image in pool.alloc arrays split over two Web Workers
// with pool.parallel, and the result bit-identical to the same arithmetic in plain JavaScript on the page.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startBrowserSuite, type BrowserSuite } from './harness.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let suite: BrowserSuite;

beforeAll(async () => {
  mkdirSync(new URL('../../build/browser', import.meta.url), { recursive: true });
  execFileSync(process.execPath, ['dist/cli/main.js', 'build', 'examples/blur/blur.ts', '-o', 'build/browser/blur.wasm'], { cwd: ROOT, stdio: 'pipe' });
  suite = await startBrowserSuite();
});
afterAll(async () => {
  await suite?.close();
});

interface BlurOutcome {
  firstDifference: number;
  pixels: number;
  changed: number;
  slotsInUse: number;
  busyWorkers: number;
}

test('a 512² separable blur on 2 Web Workers over pool.alloc arrays equals plain JS bit for bit', async () => {
  const page = await suite.open();
  // A string, not a function: vitest would rewrite a dynamic import() in this file's own code.
  const out = (await page.evaluate(`(async () => {
    const { Pool } = window.wasmpool;
    const { allocImage, blurJs, blurOnPool, gaussianWeights } = await import('/examples/blur/reference.mjs');
    const size = 512;
    const weights = gaussianWeights(2);
    const pool = await Pool.create({ module: '/build/browser/blur.wasm', workers: 2 });
    try {
      const { src, dst, ...rest } = allocImage(pool, size, weights);
      await blurOnPool(pool, { src, dst, ...rest, parts: 8 });
      const ref = new Float32Array(size * size);
      blurJs(src, new Float32Array(size * size), ref, size, size, weights);
      const got = new Uint32Array(dst.buffer, dst.byteOffset, dst.length);
      const want = new Uint32Array(ref.buffer);
      let changed = 0;
      for (let i = 0; i < src.length; i++) if (src[i] !== dst[i]) changed++;
      const stats = pool.stats();
      return {
        firstDifference: got.findIndex((bits, i) => bits !== want[i]),
        pixels: got.length,
        changed,
        slotsInUse: stats.slotsInUse,
        busyWorkers: stats.perWorker.filter((worker) => worker.busyMs > 0).length,
      };
    } finally {
      await pool.terminate();
    }
  })()`)) as BlurOutcome;
  expect(out.pixels).toBe(512 * 512);
  expect(out.firstDifference).toBe(-1);
  // The blur changed the image (a kernel that did nothing would leave dst zero, not equal), both workers took
  // parts, and it gave back its slots.
  expect(out.changed).toBeGreaterThan(out.pixels * 0.9);
  expect(out.busyWorkers).toBe(2);
  expect(out.slotsInUse).toBe(0);
  await page.close();
});
