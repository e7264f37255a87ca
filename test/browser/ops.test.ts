// pool.ops in a browser: on an isolated page every operation runs over the Web Workers (and small calls on the
// page's thread when it may instantiate the module, else on the workers: the answer is the same); without
// isolation there is no shared memory and pool.ops says so.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startBrowserSuite, type BrowserSuite } from './harness.js';

let suite: BrowserSuite;

beforeAll(async () => {
  suite = await startBrowserSuite();
});
afterAll(async () => {
  await suite?.close();
});

test('an isolated page: reductions, matmul, conv2d (the relaxed-SIMD build) and fft give what the same arithmetic gives', async () => {
  const page = await suite.open();
  const out = await page.evaluate(async () => {
    const pool = new window.wasmpool.Pool({ workers: 2 });
    try {
      const n = 300_000;
      const x = new Float64Array(n);
      for (let i = 0; i < n; i++) x[i] = (i % 7) - 3;
      const small = Float64Array.from([3, -1, 4, -1, 5]);
      const a = Float64Array.from({ length: 64 * 64 }, (_, i) => (i % 5) - 2);
      const c = await pool.ops.matmul(a, a, { m: 64, k: 64, n: 64 });
      let c00 = 0;
      for (let p = 0; p < 64; p++) c00 += a[p] * a[p * 64];
      const image = new Float32Array(32 * 32).fill(1);
      const conv = await pool.ops.conv2d(image, new Float32Array(9).fill(1), { width: 32, height: 32, kernelWidth: 3, kernelHeight: 3 });
      const f = await pool.ops.fft(Float64Array.from({ length: 1 << 16 }, (_, i) => (i === 1 ? 1 : 0)));
      return {
        sum: await pool.ops.sum(x),
        argmax: await pool.ops.argmax(x),
        smallMin: pool.ops.min(small).getSync(),
        c00: [c[0], c00],
        conv: [conv[0], conv[33]],
        fft: [f.re[0], f.im[1 << 14]],
        simd: pool.ops.simd,
      };
    } finally {
      await pool.terminate();
    }
  });
  expect(out.sum).toBe(-3); // whole cycles of -3..3 add to 0; the last element is (299999 % 7) - 3 = -3
  expect(out.argmax).toBe(6); // (6 % 7) - 3 = 3, first at i = 6
  expect(out.smallMin).toBe(-1);
  expect(out.c00[0]).toBe(out.c00[1]);
  expect(out.conv).toEqual([4, 9]); // a corner sees 4 pixels, an interior pixel 9
  expect(out.fft[0]).toBeCloseTo(1, 12);
  expect(out.fft[1]).toBeCloseTo(-1, 12); // e^(-2πi·1·n/4 / n) = -i
  // Chromium validates relaxed SIMD (since 114), so the matmul and conv2d above ran the relaxed build: small
  // integers, exact with or without fused multiply-adds.
  expect(out.simd).toBe('relaxed');
  await page.close();
});

test('without cross-origin isolation, pool.ops throws a TypeError naming the headers', async () => {
  const page = await suite.open({ isolated: false });
  const out = await page.evaluate(async () => {
    const pool = new window.wasmpool.Pool({ workers: 1 });
    try {
      pool.ops.sum(new Float64Array(10));
      return 'no error';
    } catch (error) {
      return `${(error as Error).name}: ${(error as Error).message}`;
    } finally {
      await pool.terminate();
    }
  });
  expect(out).toMatch(/^TypeError: .*(Cross-Origin-Opener-Policy|cross-origin)/i);
  await page.close();
});
