// sum, dot, axpy, scale: the WASM kernels against their JS twins.
import { describe, expect, it } from 'vitest';
import * as twin from '../../kernels-js/index.js';
import { WasmKernels } from './wasm-harness.js';
import { LENGTHS, randomF32, randomF64, sameElements, seeded } from './random.js';

const wasm = new WasmKernels();

/**
 * The WASM sums use four interleaved accumulators, the twin one running sum: same terms, different
 * order of additions. Recursive summation of n terms errs by at most (n-1)·u·Σ|term| (u = 2^-53,
 * Higham, Accuracy and Stability, §4.2), so two orders differ by at most 2(n-1)·u·Σ|term| < n·ε·Σ|term|
 * with ε = 2^-52. A tolerance from the length, not a fixed one, because the bound grows with n.
 */
function expectSumClose(actual: number, expected: number, terms: ArrayLike<number>): void {
  if (!Number.isFinite(expected)) {
    expect(Object.is(actual, expected) || (Number.isNaN(actual) && Number.isNaN(expected))).toBe(true);
    return;
  }
  let magnitude = 0;
  for (let i = 0; i < terms.length; i++) magnitude += Math.abs(terms[i]);
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(terms.length * Number.EPSILON * magnitude);
}

function products(x: ArrayLike<number>, y: ArrayLike<number>): number[] {
  return Array.from({ length: x.length }, (_, i) => x[i] * y[i]);
}

const SPECIALS: Array<[string, number[]]> = [
  ['NaN', [1, Number.NaN, 2]],
  ['+Infinity', [1, Infinity, 2, 3, 4]],
  ['-Infinity', [-Infinity, 1, 2, 3, 4, 5, 6]],
  ['+Infinity and -Infinity', [Infinity, 1, -Infinity]],
  ['largest finite values (overflow to Infinity)', [Number.MAX_VALUE, Number.MAX_VALUE, 1]],
];

describe('sumF64 / sumF32', () => {
  it.each(LENGTHS)('match the twin within n·ε·Σ|x| for length %i', (n) => {
    const random = seeded(n + 1);
    const x = randomF64(n, random, 1e6);
    expectSumClose(wasm.call('sumF64', x)!, twin.sumF64(x), x);
    const y = randomF32(n, random, 1e3);
    expectSumClose(wasm.call('sumF32', y)!, twin.sumF32(y), y);
  });

  it('of length 0 is exactly 0', () => {
    expect(wasm.call('sumF64', new Float64Array(0))).toBe(0);
    expect(wasm.call('sumF32', new Float32Array(0))).toBe(0);
  });

  it('is exact on integers (no rounding at all)', () => {
    const x = Float64Array.from({ length: 1001 }, (_, i) => i);
    expect(wasm.call('sumF64', x)).toBe(500500);
    expect(wasm.call('sumF32', Float32Array.from(x))).toBe(500500);
  });

  it.each(SPECIALS)('propagate %s like the twin', (_name, values) => {
    const x = Float64Array.from(values);
    expectSumClose(wasm.call('sumF64', x)!, twin.sumF64(x), x);
    const y = Float32Array.from(values);
    expectSumClose(wasm.call('sumF32', y)!, twin.sumF32(y), y);
  });
});

describe('dotF64 / dotF32', () => {
  it.each(LENGTHS)('match the twin within n·ε·Σ|x·y| for length %i', (n) => {
    const random = seeded(100 + n);
    const x = randomF64(n, random);
    const y = randomF64(n, random);
    expectSumClose(wasm.call('dotF64', x, y)!, twin.dotF64(x, y), products(x, y));
    const x32 = randomF32(n, random);
    const y32 = randomF32(n, random);
    expectSumClose(wasm.call('dotF32', x32, y32)!, twin.dotF32(x32, y32), products(x32, y32));
  });

  it.each(SPECIALS)('propagate %s like the twin', (_name, values) => {
    const x = Float64Array.from(values);
    const y = Float64Array.from(values, (_, i) => i + 1);
    expectSumClose(wasm.call('dotF64', x, y)!, twin.dotF64(x, y), products(x, y));
  });

  it('reject arrays of different lengths, as the twin does', () => {
    expect(() => wasm.call('dotF64', new Float64Array(3), new Float64Array(4))).toThrow(/same length/);
    expect(() => twin.dotF64(new Float64Array(3), new Float64Array(4))).toThrow(/same length/);
    expect(() => wasm.call('dotF32', new Float32Array(5), new Float32Array(4))).toThrow(/same length/);
  });
});

describe('axpy / scale (element-wise: bit-identical to the twin)', () => {
  it.each(LENGTHS)('axpyF64 and axpyF32 for length %i', (n) => {
    const random = seeded(200 + n);
    const x = randomF64(n, random);
    const y = randomF64(n, random);
    const expected = y.slice();
    twin.axpyF64(-1.75, x, expected);
    wasm.call('axpyF64', -1.75, x, y);
    expect(sameElements(y, expected)).toBe(true);

    const x32 = randomF32(n, random);
    const y32 = randomF32(n, random);
    const expected32 = y32.slice();
    twin.axpyF32(0.1, x32, expected32); // 0.1 is not an f32: both sides must round it first
    wasm.call('axpyF32', 0.1, x32, y32);
    expect(sameElements(y32, expected32)).toBe(true);
  });

  it.each(LENGTHS)('scaleF64 and scaleF32 for length %i', (n) => {
    const random = seeded(300 + n);
    const x = randomF64(n, random);
    const expected = x.slice();
    twin.scaleF64(3.3, expected);
    wasm.call('scaleF64', 3.3, x);
    expect(sameElements(x, expected)).toBe(true);

    const x32 = randomF32(n, random);
    const expected32 = x32.slice();
    twin.scaleF32(3.3, expected32);
    wasm.call('scaleF32', 3.3, x32);
    expect(sameElements(x32, expected32)).toBe(true);
  });

  it('carry NaN, ±Infinity and -0 through exactly', () => {
    const values = [Number.NaN, Infinity, -Infinity, -0, 0, 1e308, -1e-308, 5];
    const x = Float64Array.from(values);
    const y = Float64Array.from(values).reverse();
    const expected = y.slice();
    twin.axpyF64(2, x, expected);
    wasm.call('axpyF64', 2, x, y);
    expect(sameElements(y, expected)).toBe(true);

    const s = Float64Array.from(values);
    const sExpected = s.slice();
    twin.scaleF64(-0, sExpected);
    wasm.call('scaleF64', -0, s);
    expect(sameElements(s, sExpected)).toBe(true);
  });

  it('axpy rejects arrays of different lengths', () => {
    expect(() => wasm.call('axpyF64', 1, new Float64Array(2), new Float64Array(3))).toThrow(/same length/);
    expect(() => wasm.call('axpyF32', 1, new Float32Array(2), new Float32Array(3))).toThrow(/same length/);
  });
});
