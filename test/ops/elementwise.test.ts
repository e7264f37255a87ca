// pool.ops axpby, exp and log: bit-identical to their JS twins on 1, 2 and 4 workers; exp and log within
// 1 ulp of V8's Math.exp / Math.log (fdlibm, < 1 ulp of the true value) over the whole range, specials exact.
import { describe, expect, it } from 'vitest';
import * as twin from '../../dist/ops/reference.js';
import { LENGTHS, firstDifference, type FloatType, randomArray, seeded, ulps32, ulps64, usePools } from './helpers.js';

const pools = usePools();
const SPECIALS = [Number.NaN, Infinity, -Infinity, 0, -0, 1, -1, 5e-324, -5e-324, 2.2250738585072014e-308, Number.MAX_VALUE, -Number.MAX_VALUE];

/** Doubles spread over every exponent: random bit patterns (both signs), plus the specials. */
function wholeRangeF64(n: number, random: () => number): Float64Array {
  const x = new Float64Array(n);
  const words = new Uint32Array(x.buffer);
  for (let i = 0; i < n; i++) {
    words[2 * i] = (random() * 2 ** 32) >>> 0;
    words[2 * i + 1] = (random() * 2 ** 32) >>> 0;
  }
  x.set(SPECIALS);
  return x;
}

function wholeRangeF32(n: number, random: () => number): Float32Array {
  const x = new Float32Array(n);
  const words = new Uint32Array(x.buffer);
  for (let i = 0; i < n; i++) words[i] = (random() * 2 ** 32) >>> 0;
  x.set(SPECIALS);
  return x;
}

/** Uniform in [lo, hi): where exp is finite and not 0, and log's arguments near 1. */
function uniform(type: FloatType, n: number, lo: number, hi: number, random: () => number): Float32Array | Float64Array {
  const x = new type(n);
  for (let i = 0; i < n; i++) x[i] = lo + (hi - lo) * random();
  return x;
}

function worstUlps(actual: ArrayLike<number>, x: ArrayLike<number>, f: (v: number) => number, f32: boolean): { ulps: number; at: number } {
  let worst = { ulps: 0, at: -1 };
  for (let i = 0; i < x.length; i++) {
    const u = f32 ? ulps32(actual[i], Math.fround(f(x[i]))) : ulps64(actual[i], f(x[i]));
    if (u > worst.ulps) worst = { ulps: u, at: x[i] };
  }
  return worst;
}

const N = 1 << 17;
const CASES = [
  ['exp', Math.exp, twin.exp],
  ['log', Math.log, twin.log],
] as const;

describe.each(CASES)('pool.ops.%s', (name, reference, reference1) => {
  const inputs = (f32: boolean): Array<[string, Float32Array | Float64Array]> => {
    const type = f32 ? Float32Array : Float64Array;
    const random = seeded(f32 ? 32 : 64);
    return [
      ['every exponent', f32 ? wholeRangeF32(N, random) : wholeRangeF64(N, random)],
      name === 'exp' ? ['[-746, 710]', uniform(type, N, f32 ? -104 : -746, f32 ? 89 : 710, random)] : ['(0, 4)', uniform(type, N, 0, 4, random)],
      name === 'exp' ? ['[-1, 1]', uniform(type, N, -1, 1, random)] : ['[0.5, 1.5]', uniform(type, N, 0.5, 1.5, random)],
    ];
  };

  it.each([false, true])('f32 = %s: within 1 ulp of Math.%s, the twin bit for bit on every worker count', async (f32) => {
    for (const [, x] of inputs(f32)) {
      const expected = reference1(x);
      const worst = worstUlps(expected, x, reference, f32);
      expect(worst.ulps, `at x = ${worst.at}`).toBeLessThanOrEqual(1);
      for (const [, pool] of pools) expect(firstDifference(await pool().ops[name](x), expected)).toBe(-1);
    }
  });

  it('NaN, ±Infinity, ±0 and (log) 1 give exactly what Math gives', async () => {
    const x = Float64Array.from([Number.NaN, Infinity, -Infinity, 0, -0, ...(name === 'log' ? [1, -1, -5e-324] : [-746, 710])]);
    const got = await pools[1][1]().ops[name](x);
    for (let i = 0; i < x.length; i++) expect(ulps64(got[i], reference(x[i])), `${name}(${x[i]})`).toBe(0);
  });
});

describe('pool.ops.axpby', () => {
  it.each(LENGTHS)('alpha·x + beta·y: the twin (and the plain formula) bit for bit (n = %i)', async (n) => {
    const random = seeded(n);
    for (const type of [Float64Array, Float32Array]) {
      const x = randomArray(type, n, random, 10);
      const y = randomArray(type, n, random, 10);
      const expected = twin.axpby(0.3, x, -1.7, y);
      if (type === Float64Array) for (let i = 0; i < n; i++) expect(expected[i]).toBe(0.3 * x[i] - 1.7 * y[i]);
      for (const [, pool] of pools) {
        expect(firstDifference(await pool().ops.axpby(0.3, x, -1.7, y), expected)).toBe(-1);
        const out = new type(n);
        await pool().ops.axpby(0.3, x, -1.7, y, { out });
        expect(firstDifference(out, expected)).toBe(-1);
      }
    }
  });

  it('works in place: out = y', async () => {
    const pool = pools[2][1]();
    const n = 100_003;
    const x = pool.alloc(Float64Array, n);
    const y = pool.alloc(Float64Array, n);
    x.set(randomArray(Float64Array, n, seeded(3)));
    y.set(randomArray(Float64Array, n, seeded(4)));
    const expected = twin.axpby(2, x, 0.5, y);
    await pool.ops.axpby(2, x, 0.5, y, { out: y });
    expect(firstDifference(y, expected)).toBe(-1);
    pool.free(x);
    pool.free(y);
  });
});
