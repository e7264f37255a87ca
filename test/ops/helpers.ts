// Shared by the pool.ops tests: pools of 1, 2 and 4 workers, seeded data, float64 references and ulp distances.
import { afterAll, beforeAll, expect } from 'vitest';
import type { ConvShape, FloatArray } from '../../dist/ops/reference.js';
import { Pool } from '../../dist/index.js';
import { seeded } from '../kernels/random.js';

export { seeded };
export const U = 2 ** -53;
/** Elements per block of the reductions and scans (src/ops/blocks.ts). */
export const BLOCK = 2048;
/**
 * Lengths: 1, small primes, around the SIMD widths and the block size, and large enough (≥ 64 blocks) that a
 * 4-worker pool splits the work into 4 parts.
 */
export const LENGTHS = [1, 2, 3, 5, 7, 8, 9, 17, 31, 2047, 2048, 2049, 4099, 65537, 64 * BLOCK + 13];

/**
 * Pools of 1, 2 and 4 workers, started once per test file, on the baseline build of the GEMM and convolution
 * (`relaxedSimd: false`): these tests hold them to the JS twins bit for bit, which the relaxed-SIMD build, chosen
 * by default where the runtime validates it (Node 22+, Chromium), does not promise. relaxed-simd.test.ts tests that one.
 */
export function usePools(): Array<[number, () => Pool]> {
  const pools = new Map<number, Pool>();
  beforeAll(() => {
    for (const workers of [1, 2, 4]) pools.set(workers, new Pool({ workers, relaxedSimd: false }));
  });
  afterAll(async () => {
    for (const pool of pools.values()) await pool.terminate();
  });
  return [1, 2, 4].map((workers) => [workers, () => pools.get(workers)!]);
}

export type FloatType = Float32ArrayConstructor | Float64ArrayConstructor;

export function randomArray(type: FloatType, n: number, random: () => number, scale = 2, offset = 0): Float32Array | Float64Array {
  const x = new type(n);
  for (let i = 0; i < n; i++) x[i] = offset + (random() - 0.5) * scale;
  return x;
}

/** Σx and Σ|x| with Neumaier's compensation: the float64 reference, exact to about 2u for these data. */
export function exactSum(x: ArrayLike<number>, from = 0, to = x.length): { sum: number; abs: number } {
  let s = 0;
  let c = 0;
  let abs = 0;
  for (let i = from; i < to; i++) {
    const v = x[i];
    const t = s + v;
    c += Math.abs(s) >= Math.abs(v) ? s - t + v : v - t + s;
    s = t;
    abs += Math.abs(v);
  }
  return { sum: s + c, abs };
}

const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);
const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);

/** Distance in units in the last place between two f64 of the same sign class (0 for equal, NaN = NaN). */
export function ulps64(a: number, b: number): number {
  if (Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b))) return 0;
  if (Number.isNaN(a) || Number.isNaN(b)) return Infinity;
  const key = (v: number): bigint => {
    f64[0] = v;
    const bits = i64[0];
    return bits < 0n ? -(bits & 0x7fffffffffffffffn) : bits; // monotonic: -0 and +0 meet at 0
  };
  const d = key(a) - key(b);
  return Number(d < 0n ? -d : d);
}

export function ulps32(a: number, b: number): number {
  if (Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b))) return 0;
  if (Number.isNaN(a) || Number.isNaN(b)) return Infinity;
  const key = (v: number): number => {
    f32[0] = v;
    const bits = i32[0];
    return bits < 0 ? -(bits & 0x7fffffff) : bits;
  };
  return Math.abs(key(a) - key(b));
}

/** The index of the first element where two arrays differ bit for bit (NaN equals NaN), or -1. */
export function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i]) && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return i;
  return -1;
}

/** matmul shapes (m, k, n): 1, primes, non-multiples of the 4-row tile and of the 8/4-column tile, more than one 256-deep k slice. */
export const MATMUL_SHAPES: Array<[number, number, number]> = [
  [1, 1, 1],
  [1, 7, 1],
  [2, 3, 5],
  [7, 11, 13],
  [4, 8, 8],
  [17, 257, 9],
  [33, 300, 31],
  [64, 64, 64],
  [129, 31, 130],
  [257, 513, 67],
  [3, 0, 5],
];

/**
 * Sampled entries of c = a·b (m×k times k×n) against an exact dot product. Recursive dot products of length k:
 * |error| <= γ_k · Σ|a_ip·b_pj| (u of the element type), with or without fused multiply-adds (each fused step
 * rounds once instead of twice, so the same bound holds).
 */
export function expectMatmulBound(
  c: ArrayLike<number>,
  a: FloatArray,
  b: FloatArray,
  [m, k, n]: [number, number, number],
  random: () => number,
  samples = 20,
): void {
  const f32 = a instanceof Float32Array;
  const u = f32 ? 2 ** -24 : U;
  for (let t = 0; t < samples; t++) {
    const i = Math.floor(random() * m);
    const j = Math.floor(random() * n);
    const terms = Array.from({ length: k }, (_, p) => a[i * k + p] * b[p * n + j]);
    const exact = exactSum(terms);
    expect(Math.abs(c[i * n + j] - exact.sum), `entry (${i}, ${j})`).toBeLessThanOrEqual(((k * u) / (1 - k * u)) * exact.abs + (f32 ? 2 ** -150 : 0));
  }
}

/** conv2d cases (width, height, kernelWidth, kernelHeight, channelsIn, channelsOut, padding): 1, primes, tails of the 4×8 tile. */
export const CONV_CASES: Array<[number, number, number, number, number, number, 'same' | 'valid']> = [
  [1, 1, 3, 3, 1, 1, 'same'],
  [7, 5, 3, 3, 1, 1, 'same'],
  [67, 41, 3, 3, 1, 1, 'same'],
  [67, 41, 3, 3, 1, 1, 'valid'],
  [31, 17, 5, 2, 1, 1, 'same'],
  [31, 17, 4, 4, 1, 1, 'valid'],
  [13, 11, 3, 3, 3, 8, 'same'],
  [13, 11, 4, 3, 5, 11, 'same'],
  [19, 9, 1, 1, 16, 16, 'valid'],
  [5, 5, 5, 5, 2, 3, 'valid'],
  [23, 29, 3, 3, 7, 1, 'same'],
  [2, 3, 7, 7, 2, 9, 'same'],
];

/** The output geometry pool.ops.conv2d computes for a case (as src/ops/ops.ts does). */
export function convGeometry(w: number, h: number, kw: number, kh: number, cin: number, cout: number, padding: 'same' | 'valid'): ConvShape {
  const same = padding === 'same';
  return {
    width: w,
    height: h,
    kernelWidth: kw,
    kernelHeight: kh,
    channelsIn: cin,
    channelsOut: cout,
    outWidth: same ? w : w - kw + 1,
    outHeight: same ? h : h - kh + 1,
    padTop: same ? Math.floor((kh - 1) / 2) : 0,
    padLeft: same ? Math.floor((kw - 1) / 2) : 0,
  };
}

/** Sampled outputs against an exact sum of the taps: a dot product of kh·kw·cin f32 terms, |error| <= γ_t · Σ|terms| (u = 2^-24). */
export function expectConvBound(out: ArrayLike<number>, image: Float32Array, kernel: Float32Array, g: ConvShape, random: () => number, samples = 10): void {
  const { width: w, height: h, kernelWidth: kw, kernelHeight: kh, channelsIn: cin, channelsOut: cout } = g;
  const t = kh * kw * cin;
  const u = 2 ** -24;
  for (let s = 0; s < samples; s++) {
    const oy = Math.floor(random() * g.outHeight);
    const ox = Math.floor(random() * g.outWidth);
    const co = Math.floor(random() * cout);
    const terms: number[] = [];
    for (let dy = 0; dy < kh; dy++)
      for (let dx = 0; dx < kw; dx++)
        for (let ci = 0; ci < cin; ci++) {
          const [iy, ix] = [oy - g.padTop + dy, ox - g.padLeft + dx];
          if (iy >= 0 && iy < h && ix >= 0 && ix < w) terms.push(image[(iy * w + ix) * cin + ci] * kernel[((dy * kw + dx) * cin + ci) * cout + co]);
        }
    const exact = exactSum(terms);
    expect(Math.abs(out[(oy * g.outWidth + ox) * cout + co] - exact.sum), `output (${oy}, ${ox}, ${co})`).toBeLessThanOrEqual(
      ((t * u) / (1 - t * u)) * exact.abs,
    );
  }
}
