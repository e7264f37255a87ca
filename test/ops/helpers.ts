// Shared by the pool.ops tests: pools of 1, 2 and 4 workers, seeded data, float64 references and ulp distances.
import { afterAll, beforeAll } from 'vitest';
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

/** Pools of 1, 2 and 4 workers, started once per test file. */
export function usePools(): Array<[number, () => Pool]> {
  const pools = new Map<number, Pool>();
  beforeAll(() => {
    for (const workers of [1, 2, 4]) pools.set(workers, new Pool({ workers }));
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
