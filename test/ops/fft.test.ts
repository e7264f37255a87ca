// pool.ops.fft / rfft: against the DFT by its definition (f64, exact angles) with a tolerance from the FFT's
// error bound, for powers of two (radix-4 Stockham, with and without the radix-2 stage) and every other kind of
// length (Bluestein): 1, primes, odd and even non-powers. The f64 kernel equals its JS twin bit for bit. Large
// powers of two on several workers: the four-step plan, against the f64 twin.
import { afterAll, describe, expect, it } from 'vitest';
import { Pool } from '../../dist/index.js';
import * as twin from '../../dist/ops/reference.js';
import { U, firstDifference, randomArray, seeded, usePools } from './helpers.js';

const pools = usePools();
const LENGTHS = [1, 2, 3, 4, 5, 7, 8, 12, 16, 17, 32, 64, 97, 100, 128, 256, 1000, 1024, 2049];

/**
 * An FFT's error in the 2-norm is at most c·log2(n)·u·‖x‖ (Higham §24.1) for accurate twiddles; Bluestein runs
 * two transforms of length M plus the chirp products. The tolerance per element: (8·log2(M) + 16)·u·‖X‖₂.
 */
function tolerance(n: number, u: number, norm: number): number {
  const m = (n & (n - 1)) === 0 ? n : twin.bluesteinLength(n);
  return (8 * Math.max(1, Math.log2(m)) + 16) * u * norm;
}

/** A seeded complex signal of length n and its 2-norm. */
function signal(type: Float32ArrayConstructor | Float64ArrayConstructor, n: number) {
  const random = seeded(n);
  const re = randomArray(type, n, random);
  const im = randomArray(type, n, random);
  let norm = 0;
  for (let k = 0; k < n; k++) norm += re[k] ** 2 + im[k] ** 2;
  return { re, im, norm: Math.sqrt(norm) };
}

describe.each([Float64Array, Float32Array])('pool.ops.fft on %o', (type) => {
  const u = type === Float32Array ? 2 ** -24 : U;

  it.each(LENGTHS)('n = %i: forward and inverse within the bound of the exact DFT, on every worker count', async (n) => {
    const { re, im, norm } = signal(type, n);
    for (const inverse of [false, true]) {
      const want = twin.dft(re, im, inverse);
      const bound = tolerance(n, u, inverse ? norm / Math.sqrt(n) : norm * Math.sqrt(n)); // ‖X‖₂ = √n·‖x‖₂ (inverse: ÷√n)
      let first: { re: ArrayLike<number>; im: ArrayLike<number> } | undefined;
      for (const [, pool] of pools) {
        const got = await pool().ops.fft(re, im, { inverse });
        let worst = 0;
        for (let k = 0; k < n; k++) worst = Math.max(worst, Math.hypot(got.re[k] - want.re[k], got.im[k] - want.im[k]));
        expect(worst).toBeLessThanOrEqual(bound);
        if (first) expect([firstDifference(got.re, first.re), firstDifference(got.im, first.im)]).toEqual([-1, -1]);
        first = got;
      }
      if (type === Float64Array && !inverse && (n & (n - 1)) === 0) {
        const t = twin.fftPow2(re, im);
        expect([firstDifference(first!.re, t.re), firstDifference(first!.im, t.im)]).toEqual([-1, -1]);
      }
    }
  });

  it('real input (im omitted) and rfft: the first n/2 + 1 bins', async () => {
    const pool = pools[1][1]();
    for (const n of [1, 6, 7, 64, 100]) {
      const x = randomArray(type, n, seeded(n + 1));
      const full = await pool.ops.fft(x);
      const half = await pool.ops.rfft(x);
      expect(half.re.length).toBe(Math.floor(n / 2) + 1);
      expect(firstDifference(half.re, full.re.subarray(0, half.re.length))).toBe(-1);
      expect(firstDifference(half.im, full.im.subarray(0, half.im.length))).toBe(-1);
    }
  });
});

describe.each([Float64Array, Float32Array])('pool.ops.fft of a large power of two, split over the workers (four-step) on %o', (type) => {
  const u = type === Float32Array ? 2 ** -24 : U;
  // Pools of 3 and 4 workers run the four-step plan (src/ops/four-step.ts: from 2^18 on 3+ workers), in 3 and 4
  // parts; the pools of 1 and 2 the Stockham FFT (the twin's bits for f64, tested above).
  const more = [3, 4].map((workers) => {
    let pool: Pool | undefined;
    return () => (pool ??= new Pool({ workers }));
  });
  afterAll(async () => {
    await Promise.all(more.map((pool) => pool().terminate()));
  });

  // 2^18: n1 = n2 = 512; 2^19: 512 × 1024.
  it.each([2 ** 18, 2 ** 19])('n = %i: within the bound on 1, 2, 3 and 4 workers, the same bits on 3 and 4', async (n) => {
    const { re, im, norm } = signal(type, n);
    for (const inverse of [false, true]) {
      // The f64 Stockham twin as the reference (the exact DFT is O(n²)): both it and the result are within the bound of the exact one.
      const want = twin.fftPow2(re, inverse ? im.map((v) => -v) : im);
      const scale = inverse ? 1 / n : 1;
      const sign = inverse ? -1 : 1;
      const xNorm = inverse ? norm / Math.sqrt(n) : norm * Math.sqrt(n);
      const bound = tolerance(n, u, xNorm) + tolerance(n, U, xNorm);
      const results = [];
      for (const pool of [pools[0][1], pools[1][1], ...more]) {
        const got = await pool().ops.fft(re, im, { inverse });
        let worst = 0;
        for (let k = 0; k < n; k++) worst = Math.max(worst, Math.hypot(got.re[k] - want.re[k] * scale, got.im[k] - sign * want.im[k] * scale));
        expect(worst).toBeLessThanOrEqual(bound);
        results.push(got);
      }
      expect([firstDifference(results[2].re, results[3].re), firstDifference(results[2].im, results[3].im)]).toEqual([-1, -1]);
      // The four-step plan really ran: its bits are not the Stockham's.
      expect(firstDifference(results[1].re, results[3].re)).not.toBe(-1);
    }
  });
});

describe('pool.ops.fft arguments and shared arrays', () => {
  it('writes into `out` views and reuses its plans (the tables of a length are made once)', async () => {
    const pool = pools[1][1]();
    const n = 1 << 12;
    const [re, im, ore, oim] = [0, 1, 2, 3].map(() => pool.alloc(Float64Array, n));
    re.set(randomArray(Float64Array, n, seeded(1)));
    im.set(randomArray(Float64Array, n, seeded(2)));
    const out = { re: ore, im: oim };
    expect(await pool.ops.fft(re, im, { out })).toBe(out);
    const bytes = pool.memory!.buffer.byteLength;
    for (let i = 0; i < 10; i++) await pool.ops.fft(re, im, { out });
    expect(pool.memory!.buffer.byteLength).toBe(bytes);
    const t = twin.fftPow2(re, im);
    expect([firstDifference(ore, t.re), firstDifference(oim, t.im)]).toEqual([-1, -1]);
    for (const view of [re, im, ore, oim]) pool.free(view);
  });

  it('checks its arguments before queuing anything', () => {
    const ops = pools[0][1]().ops;
    const re = new Float64Array(8);
    expect(() => ops.fft(new Int16Array(8) as never)).toThrow(/Expected `re` to be a Float32Array or Float64Array, got a Int16Array/);
    expect(() => ops.fft(re, new Float32Array(8) as never)).toThrow(/Expected `im` to be a Float64Array like `re`/);
    expect(() => ops.fft(re, new Float64Array(7))).toThrow(/Expected `im` to hold 8 elements like `re`, got 7/);
    expect(() => ops.fft(new Float64Array(0))).toThrow(/Expected `re` to hold at least one element/);
    expect(() => ops.fft(re, undefined, { inverse: 1 as never })).toThrow(/Expected `inverse` to be a boolean, got 1/);
    expect(() => ops.fft(re, undefined, { out: { re, im: new Float64Array(8) } })).toThrow(
      /Expected `out.re` to share no element with the inputs \(the transform is not in place\)/,
    );
    expect(() => ops.fft(re, undefined, { out: { re: new Float64Array(8), im: new Float64Array(9) } })).toThrow(/Expected `out.im` to hold 8 elements, got 9/);
    expect(() => ops.rfft(re, { out: { re: new Float64Array(8), im: new Float64Array(8) } })).toThrow(/Expected `out.re` to hold 5 elements, got 8/);
    expect(() => ops.fft(re, undefined, { norm: 'ortho' } as never)).toThrow(/Unknown option `norm`/);
  });
});
