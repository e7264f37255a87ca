// pool.parallel (split a range across workers, combine), splitRange, and parallelSort.
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Pool, parallelSort, splitRange } from 'wasmpool';
import * as twin from '../../kernels-js/index.js';
import { randomF64, sameElements, seeded } from '../kernels/random.js';

const twins = fileURLToPath(new URL('../../kernels-js/index.js', import.meta.url));
const pool = new Pool({ workers: 2 });
afterAll(() => pool.terminate());

const add = (values: number[]): number => values.reduce((a, b) => a + b, 0);

describe('splitRange', () => {
  it.each([
    [0, 4, 1],
    [1, 4, 1],
    [10, 3, 1],
    [10, 20, 1],
    [1000, 7, 16],
    [17, 4, 8],
  ])('splits [0, %i) into at most %i contiguous parts aligned to %i', (length, parts, align) => {
    const ranges = splitRange(length, parts, align);
    expect(ranges.length).toBeGreaterThanOrEqual(1);
    expect(ranges.length).toBeLessThanOrEqual(parts);
    expect(ranges[0][0]).toBe(0);
    expect(ranges[ranges.length - 1][1]).toBe(length);
    for (let i = 0; i < ranges.length; i++) {
      if (i > 0) expect(ranges[i][0]).toBe(ranges[i - 1][1]);
      if (i > 0) expect(ranges[i][0] % align).toBe(0);
      if (length >= parts * align) expect(ranges[i][1]).toBeGreaterThan(ranges[i][0]); // no empty parts when there is enough work
    }
  });

  it('balances sizes to within one alignment unit', () => {
    const sizes = splitRange(1003, 4).map(([s, e]) => e - s);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  });

  it('rejects bad arguments', () => {
    expect(() => splitRange(-1, 2)).toThrow(/Expected `length` to be an integer >= 0, got -1/);
    expect(() => splitRange(10, 0)).toThrow(RangeError);
    expect(() => splitRange(10, 2, 1.5)).toThrow(TypeError);
  });
});

describe('pool.parallel', () => {
  it('sums a shared array across workers', async () => {
    const x = pool.alloc(Float64Array, 100_001);
    x.forEach((_, i) => (x[i] = i));
    const parts: Array<[number, number]> = [];
    const total = await pool.parallel<number, number>('sumF64', {
      length: x.length,
      args: (start, end) => {
        parts.push([start, end]);
        return [x.subarray(start, end)];
      },
      combine: add,
    });
    expect(total).toBe((100_000 * 100_001) / 2);
    expect(parts.length).toBe(pool.workers);
    pool.free(x);
  });

  it('returns the partial results in part order without combine, and reports progress', async () => {
    const progress: Array<[number, number]> = [];
    const results = await pool.parallel('countPrimes', {
      length: 1000,
      parts: 4,
      args: (start, end) => [start, end, new Uint8Array(twin.COUNT_PRIMES_SCRATCH)],
      onProgress: (done, total) => progress.push([done, total]),
    });
    // Primes below 250, 500, 750 and 1000 number 53, 95, 132 and 168 (independent of both kernels; checked
    // here by trial division too).
    const isPrime = (n: number): boolean => n >= 2 && Array.from({ length: Math.floor(Math.sqrt(n)) - 1 }, (_, i) => i + 2).every((d) => n % d !== 0);
    const byTrial = [0, 1, 2, 3].map((part) => Array.from({ length: 250 }, (_, i) => part * 250 + i).filter(isPrime).length);
    expect(byTrial).toEqual([53, 42, 37, 36]);
    expect(results).toEqual([53, 42, 37, 36]);
    expect(progress).toEqual([
      [1, 4],
      [2, 4],
      [3, 4],
      [4, 4],
    ]);
  });

  it('builds a histogram from per-part bins of one shared array', async () => {
    const values = pool.alloc(Float64Array, 50_000);
    const random = seeded(11);
    values.forEach((_, i) => (values[i] = random() * 10 - 1));
    const bins = 16;
    const parts = 5;
    const perPart = pool.alloc(Uint32Array, parts * bins);
    const histogram = await pool.parallel<void, number[]>('histogramF64', {
      length: values.length,
      parts,
      args: (start, end, part) => [values.subarray(start, end), 0, 8, perPart.subarray(part * bins, (part + 1) * bins)],
      combine: () => Array.from({ length: bins }, (_, b) => add(Array.from({ length: parts }, (_, p) => perPart[p * bins + b]))),
    });
    const expected = new Uint32Array(bins);
    twin.histogramF64(values, 0, 8, expected);
    expect(histogram).toEqual([...expected]);
    pool.free(values);
    pool.free(perPart);
  });

  it('renders a mandelbrot image by row bands into one shared image, equal to a single call', async () => {
    const [width, height] = [97, 60];
    const image = pool.alloc(Uint32Array, width * height);
    await pool.parallel('mandelbrot', {
      length: height,
      parts: 7,
      args: (y0, y1) => [image.subarray(y0 * width, y1 * width), width, y0, 300, -2.2, -1.2, 3 / width],
    });
    const expected = new Uint32Array(width * height);
    twin.mandelbrot(expected, width, 0, 300, -2.2, -1.2, 3 / width);
    expect(sameElements(image, expected)).toBe(true);
    pool.free(image);
  });

  it('multiplies matrices by row blocks', async () => {
    const [n, k, m] = [37, 20, 29];
    const random = seeded(4);
    const a = pool.alloc(Float64Array, n * k);
    a.set(randomF64(n * k, random));
    const b = pool.alloc(Float64Array, k * m);
    b.set(randomF64(k * m, random));
    const c = pool.alloc(Float64Array, n * m);
    await pool.parallel('matmulF64', {
      length: n,
      args: (r0, r1) => [a.subarray(r0 * k, r1 * k), b, c.subarray(r0 * m, r1 * m), r1 - r0, k, m],
    });
    const expected = new Float64Array(n * m);
    twin.matmulF64(a, b, expected, n, k, m);
    expect(sameElements(c, expected)).toBe(true);
    for (const v of [a, b, c]) pool.free(v);
  });

  it('runs the JS twins the same way (SharedArrayBuffer arrays are shared with JS workers)', async () => {
    const js = new Pool({ workers: 2, module: twins });
    try {
      const hits = await js.parallel<number, number>('monteCarloPi', { length: 4, parts: 4, args: (s) => [25_000, 100 + s], combine: add });
      const wasmHits = await pool.parallel<number, number>('monteCarloPi', { length: 4, parts: 4, args: (s) => [25_000, 100 + s], combine: add });
      expect(hits).toBe(wasmHits);
    } finally {
      await js.terminate();
    }
  });

  it('rejects bad options before dispatching anything', async () => {
    await expect(pool.parallel('sumF64', undefined as never)).rejects.toThrow(/Expected `options` to be an object with `length` and `args`/);
    await expect(pool.parallel('sumF64', { length: 10 } as never)).rejects.toThrow(/Expected `args` to be a function, got undefined/);
    await expect(pool.parallel('sumF64', { length: -5, args: () => [] })).rejects.toThrow(RangeError);
    await expect(pool.parallel('sumF64', { length: 5, parts: 0, args: () => [] })).rejects.toThrow(/Expected `parts` to be an integer >= 1, got 0/);
    await expect(pool.parallel('sumF64', { length: 5, args: () => [], chunks: 3 } as never)).rejects.toThrow(/Unknown option `chunks`/);
    await expect(pool.parallel('sumF64', { length: 5, args: () => 3 as never })).rejects.toThrow(/Expected `args\(0, \d+, 0\)` to return an array/);
    await expect(pool.parallel('sumF64', { length: 5, args: () => [1, 2, 3] })).rejects.toThrow(/Kernel `sumF64` takes 2 arguments/);
  });
});

describe('parallelSort', () => {
  it.each([0, 1, 2, 3, 1000, 100_003])('sorts %i shared values like Float64Array.prototype.sort', async (n) => {
    const values = pool.alloc(Float64Array, n);
    values.set(randomF64(n, seeded(n)));
    if (n > 10) values[3] = Number.NaN;
    if (n > 10) values[5] = -0;
    const expected = values.slice().sort();
    await parallelSort(pool, values, { parts: 5 });
    expect(sameElements(values, expected)).toBe(true);
    pool.free(values);
  });

  it('splits merges along the merge path even when most values tie (−0, +0, NaN, ±Infinity, repeats)', async () => {
    const palette = [-0, 0, Number.NaN, 1, -1, Infinity, -Infinity, 1];
    const random = seeded(77);
    for (const [n, parts] of [
      [20_001, 2],
      [20_001, 3],
      [7, 2],
      [4_096, 8],
    ]) {
      const values = pool.alloc(Float64Array, n);
      for (let i = 0; i < n; i++) values[i] = palette[Math.floor(random() * palette.length)];
      const expected = values.slice().sort();
      await parallelSort(pool, values, { parts });
      expect(sameElements(values, expected)).toBe(true);
      pool.free(values);
    }
  });

  it('sorts a plain Float64Array in place too (through copies)', async () => {
    const values = randomF64(999, seeded(8));
    const expected = values.slice().sort();
    expect(await parallelSort(pool, values)).toBe(values);
    expect(sameElements(values, expected)).toBe(true);
  });

  it('sorts with the JS twins on a SharedArrayBuffer, and refuses an unshared array there', async () => {
    const js = new Pool({ workers: 2, module: twins });
    try {
      const values = new Float64Array(new SharedArrayBuffer(8 * 5000));
      values.set(randomF64(5000, seeded(9)));
      const expected = values.slice().sort();
      await parallelSort(js, values, { parts: 3 });
      expect(sameElements(values, expected)).toBe(true);
      await expect(parallelSort(js, randomF64(100, seeded(1)))).rejects.toThrow(/a Float64Array on a SharedArrayBuffer/);
    } finally {
      await js.terminate();
    }
  });

  it('rejects anything but a Float64Array', async () => {
    await expect(parallelSort(pool, [3, 1, 2] as never)).rejects.toThrow(/Expected `values` to be a Float64Array, got an array of length 3/);
  });
});
