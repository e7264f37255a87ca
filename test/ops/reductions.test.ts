// pool.ops reductions and cumsum: bit-identical to their JS twins on 1, 2 and 4 workers, and within their
// documented error bounds of float64 references (README "Numeric operations").
import { describe, expect, it } from 'vitest';
import * as twin from '../../dist/ops/reference.js';
import { BLOCK, LENGTHS, U, exactSum, firstDifference, randomArray, seeded, usePools } from './helpers.js';

const pools = usePools();
const TYPES = [Float64Array, Float32Array] as const;

/** The sum's bound: h = BLOCK/8 sequential adds per lane, 2 + 1 to join the lanes, ceil(log2(blocks)) to join blocks. */
function sumBound(n: number, abs: number): number {
  const h = BLOCK / 8 + 3 + Math.ceil(Math.log2(Math.max(1, Math.ceil(n / BLOCK))));
  return ((h * U) / (1 - h * U)) * abs;
}

describe.each(TYPES)('pool.ops reductions on %o', (type) => {
  it.each(LENGTHS)('sum, mean: the twin bit for bit on every worker count, within γ_h·Σ|x| of the exact sum (n = %i)', async (n) => {
    const x = randomArray(type, n, seeded(n), 2e3, 3);
    const expected = twin.sum(x);
    const exact = exactSum(x);
    expect(Math.abs(expected - exact.sum)).toBeLessThanOrEqual(sumBound(n, exact.abs));
    for (const [, pool] of pools) {
      expect(Object.is(await pool().ops.sum(x), expected)).toBe(true);
      expect(Object.is(pool().ops.mean(x).getSync(), expected / n)).toBe(true);
    }
  });

  it.each(LENGTHS.filter((n) => n > 1))('variance with ddof 0 and 1: the twin bit for bit, near a compensated two-pass reference (n = %i)', async (n) => {
    const x = randomArray(type, n, seeded(n + 7), 10, 1e3); // mean 1e3, spread 10: a condition number n·μ²/S of ~1e5
    const mu = exactSum(x).sum / n;
    const devs = Float64Array.from(x, (v) => (v - mu) ** 2);
    const s = exactSum(devs).sum;
    const h = BLOCK / 8 + 3 + 2 * Math.ceil(Math.log2(Math.ceil(n / BLOCK) + 1)) + 8;
    for (const ddof of [0, 1]) {
      const expected = twin.variance(x, ddof);
      expect(Math.abs(expected - s / (n - ddof)) / (s / (n - ddof))).toBeLessThanOrEqual(h * U * (1 + (n * mu * mu) / s));
      for (const [, pool] of pools) expect(Object.is(await pool().ops.variance(x, { ddof }), expected)).toBe(true);
    }
  });

  it.each(LENGTHS)('min, max, argmin, argmax: exact, first occurrence on ties (n = %i)', async (n) => {
    const random = seeded(n + 3);
    const x = randomArray(type, n, random, 8);
    for (let i = 0; i < n; i++) x[i] = Math.round(x[i]); // many ties
    let hi = -Infinity;
    let least = Infinity;
    for (const v of x) {
      hi = Math.max(hi, v);
      least = Math.min(least, v);
    }
    for (const [, pool] of pools) {
      const ops = pool().ops;
      expect(await ops.min(x)).toBe(least);
      expect(await ops.max(x)).toBe(hi);
      expect(await ops.argmin(x)).toBe(x.indexOf(least));
      expect(await ops.argmax(x)).toBe(x.indexOf(hi));
    }
  });

  it('NaN rules: min and max are NaN, argmin and argmax the index of the first NaN; -0 and +0', async () => {
    const n = 64 * BLOCK + 5;
    const x = randomArray(type, n, seeded(11));
    x[50 * BLOCK + 7] = Number.NaN;
    x[20 * BLOCK + 1] = Number.NaN;
    x[63 * BLOCK] = Number.NaN;
    for (const [, pool] of pools) {
      const ops = pool().ops;
      expect(await ops.min(x)).toBeNaN();
      expect(await ops.max(x)).toBeNaN();
      expect(await ops.argmin(x)).toBe(20 * BLOCK + 1);
      expect(await ops.argmax(x)).toBe(20 * BLOCK + 1);
      expect(await ops.sum(x)).toBeNaN();
    }
    const zeros = new type(3 * BLOCK); // all zero: +0 everywhere but two -0s
    zeros[5] = -0;
    zeros[2 * BLOCK + 9] = -0;
    for (const [, pool] of pools) {
      const ops = pool().ops;
      expect(Object.is(await ops.min(zeros), -0)).toBe(true);
      expect(Object.is(await ops.max(zeros), 0)).toBe(true);
      expect(await ops.argmin(zeros)).toBe(0); // -0 and +0 are equal for the index: the first zero
      expect(await ops.argmax(zeros)).toBe(0);
    }
    const negative = new type(3 * BLOCK + 5).fill(-0); // only -0: the greatest is -0 too; one +0 makes it +0
    for (const [, pool] of pools) {
      expect(Object.is(await pool().ops.max(negative), -0)).toBe(true);
      negative[BLOCK + 3] = 0;
      expect(Object.is(await pool().ops.max(negative), 0)).toBe(true);
      expect(Object.is(await pool().ops.min(negative), -0)).toBe(true);
      negative[BLOCK + 3] = -0;
    }
  });

  it.each(LENGTHS)('cumsum: the twin bit for bit on every worker count, each prefix within its bound (n = %i)', async (n) => {
    const x = randomArray(type, n, seeded(n + 5), 100, 1);
    const expected = twin.cumsum(x);
    // Offsets add up to n/BLOCK block sums in order, each within sumBound of its block; then up to BLOCK/4 + 4 adds within the block.
    const blocks = Math.ceil(n / BLOCK);
    const h = blocks + BLOCK / 8 + 3 + BLOCK / 4 + 4;
    let [s, c, abs, worst] = [0, 0, 0, 0]; // Neumaier's compensated running sum s + c: the float64 reference
    for (let i = 0; i < n; i++) {
      const v = x[i];
      const t = s + v;
      c += Math.abs(s) >= Math.abs(v) ? s - t + v : v - t + s;
      s = t;
      const exact = s + c;
      abs += Math.abs(v);
      const bound = h * U * abs + (type === Float32Array ? Math.abs(exact) * 2 ** -24 : 0);
      worst = Math.max(worst, Math.abs(expected[i] - exact) / bound);
    }
    expect(worst).toBeLessThanOrEqual(1);
    for (const [, pool] of pools) expect(firstDifference(await pool().ops.cumsum(x), expected)).toBe(-1);
  });
});

describe('pool.ops arrays in shared memory', () => {
  it('uses pool.alloc views in place, writes into `out` (a view or a plain array), and works in place (out = x)', async () => {
    const [, get] = pools[1];
    const pool = get();
    const n = 10 * BLOCK + 3;
    const x = pool.alloc(Float64Array, n);
    x.set(randomArray(Float64Array, n, seeded(1)));
    const expected = twin.cumsum(x);
    expect(await pool.ops.sum(x)).toBe(twin.sum(x));
    const out = pool.alloc(Float64Array, n);
    expect(await pool.ops.cumsum(x, { out })).toBe(out);
    expect(firstDifference(out, expected)).toBe(-1);
    const plain = new Float64Array(n);
    expect(await pool.ops.cumsum(x, { out: plain })).toBe(plain);
    expect(firstDifference(plain, expected)).toBe(-1);
    const copy = x.slice();
    await pool.ops.cumsum(x, { out: x });
    expect(firstDifference(x, twin.cumsum(copy))).toBe(-1);
    pool.free(x);
    pool.free(out);
  });

  it('gives back every block it took: repeated operations do not grow the shared memory', async () => {
    const [, get] = pools[1];
    const pool = get();
    const x = randomArray(Float64Array, 20 * BLOCK, seeded(2));
    const once = async (): Promise<void> => {
      await pool.ops.sum(x);
      await pool.ops.variance(x);
      await pool.ops.argmax(x);
      await pool.ops.cumsum(x);
      pool.ops.exp(x).getSync();
    };
    await once();
    const bytes = pool.memory!.buffer.byteLength;
    for (let i = 0; i < 20; i++) await once();
    expect(pool.memory!.buffer.byteLength).toBe(bytes);
    expect(pool.stats().slotsInUse).toBe(0);
    // Every block was freed: the whole heap is one free block again, so a large allocation fits where the temporaries were.
    const big = pool.alloc(Uint8Array, bytes - 2 * 65536);
    pool.free(big);
    expect(pool.memory!.buffer.byteLength).toBe(bytes);
  });
});
