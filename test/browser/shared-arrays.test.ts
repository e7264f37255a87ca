// Zero-copy shared arrays in a browser: pool.alloc views live in the pool's shared WebAssembly.Memory,
// which every Web Worker imports. Without cross-origin isolation they cannot exist, and say so.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startBrowserSuite, type BrowserSuite } from './harness.js';

let suite: BrowserSuite;

beforeAll(async () => {
  suite = await startBrowserSuite();
});
afterAll(async () => {
  await suite?.close();
});

test('kernels read and write pool.alloc views in place; a plain typed array is copied in and back', async () => {
  const page = await suite.open();
  const out = await page.evaluate(async () => {
    const pool = new window.wasmpool.Pool({ workers: 2 });
    try {
      const xs = pool.alloc(Float64Array, 1000);
      for (let i = 0; i < xs.length; i++) xs[i] = i;
      const sum = await pool.apply<number>('sumF64', [xs]);
      await pool.apply('scaleF64', [2, xs.subarray(500)]); // only the second half, in place
      const inPlace = [xs[0], xs[499], xs[500], xs[999]];
      const sharedBuffer = xs.buffer instanceof SharedArrayBuffer && xs.buffer === pool.memory!.buffer;
      const plain = new Float64Array([1, 2, 3]);
      await pool.apply('scaleF64', [10, plain]);
      pool.free(xs);
      return { sum, inPlace, sharedBuffer, plain: [...plain] };
    } finally {
      await pool.terminate();
    }
  });
  expect(out.sum).toBe(499_500);
  expect(out.inPlace).toEqual([0, 499, 1000, 1998]);
  expect(out.sharedBuffer).toBe(true);
  expect(out.plain).toEqual([10, 20, 30]);
  await page.close();
});

test('without cross-origin isolation, pool.alloc and typed-array arguments of WASM kernels throw naming the two headers', async () => {
  const page = await suite.open({ isolated: false });
  const out = await page.evaluate(async () => {
    const pool = new window.wasmpool.Pool({ workers: 1 });
    const attempt = (fn: () => unknown): string => {
      try {
        fn();
        return 'no error';
      } catch (error) {
        return `${(error as Error).name}: ${(error as Error).message}`;
      }
    };
    const alloc = attempt(() => pool.alloc(Float64Array, 10));
    const lowered = attempt(() => pool.applyAsync('sumF64', [new Float64Array(4)]));
    const scalar = await pool.apply('add', [1, 2]); // and the pool still works
    await pool.terminate();
    return { alloc, lowered, scalar };
  });
  const headers = /Cross-Origin-Opener-Policy: same-origin.*Cross-Origin-Embedder-Policy: require-corp/;
  expect(out.alloc).toMatch(/^TypeError: pool\.alloc\(\) needs memory shared with the workers, but this page is not cross-origin isolated/);
  expect(out.alloc).toMatch(headers);
  expect(out.lowered).toMatch(/^TypeError: A typed-array argument of a WASM kernel needs memory shared with the workers/);
  expect(out.lowered).toMatch(headers);
  expect(out.scalar).toBe(3);
  await page.close();
});
