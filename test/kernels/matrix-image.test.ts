// matmul and mandelbrot: the WASM kernels are bit-identical to their twins (same operations in
// the same order, no fused multiply-add), so these tests compare exactly.
import { describe, expect, it } from 'vitest';
import * as twin from '../../kernels-js/index.js';
import { WasmKernels } from './wasm-harness.js';
import { randomF64, sameElements, seeded } from './random.js';

const wasm = new WasmKernels();

describe('matmulF64', () => {
  // 0 and 1 for the edges, odd sizes for the SIMD tails, 129-131 to cross the 128 cache blocks.
  const shapes: Array<[number, number, number]> = [
    [0, 0, 0],
    [0, 3, 2],
    [1, 1, 1],
    [2, 3, 4],
    [5, 7, 3],
    [17, 9, 33],
    [64, 64, 64],
    [130, 129, 131],
  ];

  it.each(shapes)('%i×%i · %i-column matrices match the twin exactly', (n, k, m) => {
    const random = seeded(n * 10007 + k * 101 + m);
    const a = randomF64(n * k, random);
    const b = randomF64(k * m, random);
    const c = new Float64Array(n * m).fill(99); // stale values must be overwritten, not added to
    const expected = new Float64Array(n * m);
    twin.matmulF64(a, b, expected, n, k, m);
    wasm.call('matmulF64', a, b, c, n, k, m);
    expect(sameElements(c, expected)).toBe(true);
  });

  it('multiplies by the identity', () => {
    const n = 5;
    const a = randomF64(n * n, seeded(1));
    const identity = new Float64Array(n * n);
    for (let i = 0; i < n; i++) identity[i * n + i] = 1;
    const c = new Float64Array(n * n);
    wasm.call('matmulF64', a, identity, c, n, n, n);
    expect(sameElements(c, a)).toBe(true);
  });

  it('computes a band of rows independently (how the split helper divides it)', () => {
    const [n, k, m] = [9, 6, 7];
    const random = seeded(5);
    const a = randomF64(n * k, random);
    const b = randomF64(k * m, random);
    const whole = new Float64Array(n * m);
    wasm.call('matmulF64', a, b, whole, n, k, m);
    const band = new Float64Array(3 * m);
    wasm.call('matmulF64', a.subarray(4 * k, 7 * k), b, band, 3, k, m);
    expect(sameElements(band, whole.subarray(4 * m, 7 * m))).toBe(true);
  });

  it('propagates NaN and Infinity as the twin does', () => {
    const a = Float64Array.from([Number.NaN, 1, Infinity, 0]);
    const b = Float64Array.from([1, 2, 3, -Infinity]);
    const c = new Float64Array(4);
    const expected = new Float64Array(4);
    twin.matmulF64(a, b, expected, 2, 2, 2);
    wasm.call('matmulF64', a, b, c, 2, 2, 2);
    expect(sameElements(c, expected)).toBe(true);
  });

  it('rejects lengths that do not match n, k, m', () => {
    expect(() => wasm.call('matmulF64', new Float64Array(6), new Float64Array(9), new Float64Array(4), 2, 3, 3)).toThrow(/c must hold n\*m/);
    expect(() => wasm.call('matmulF64', new Float64Array(5), new Float64Array(6), new Float64Array(4), 2, 3, 2)).toThrow(/a must hold n\*k/);
    expect(() => twin.matmulF64(new Float64Array(5), new Float64Array(6), new Float64Array(4), 2, 3, 2)).toThrow(RangeError);
  });
});

describe('mandelbrot / mandelbrotRGBA', () => {
  // Widths: 1 and odd ones exercise the scalar pixel after the SIMD pairs.
  const views: Array<[number, number, number, number, number, number]> = [
    // width, rows, rowStart, maxIter, x0, step
    [1, 1, 0, 50, -0.5, 0.01],
    [7, 5, 3, 100, -2, 3 / 7],
    [64, 48, 0, 200, -2.2, 3 / 64],
    [33, 10, 20, 1000, -0.75, 0.0005],
  ];

  it.each(views)('counts for width %i, %i rows from row %i, maxIter %i match the twin exactly', (width, rows, rowStart, maxIter, x0, step) => {
    const y0 = -1.2;
    const out = new Uint32Array(width * rows).fill(7);
    const expected = new Uint32Array(width * rows);
    twin.mandelbrot(expected, width, rowStart, maxIter, x0, y0, step);
    wasm.call('mandelbrot', out, width, rowStart, maxIter, x0, y0, step);
    expect(sameElements(out, expected)).toBe(true);
  });

  it.each(views)('RGBA for width %i, %i rows from row %i, maxIter %i match the twin exactly', (width, rows, rowStart, maxIter, x0, step) => {
    const out = new Uint8ClampedArray(width * rows * 4);
    const expected = new Uint8ClampedArray(width * rows * 4);
    twin.mandelbrotRGBA(expected, width, rowStart, maxIter, x0, -1.2, step);
    wasm.call('mandelbrotRGBA', out, width, rowStart, maxIter, x0, -1.2, step);
    expect(sameElements(out, expected)).toBe(true);
  });

  it('knows points inside and outside the set', () => {
    const out = new Uint32Array(2);
    // (0, 0) never escapes; (2, 0) escapes after 2 iterations.
    wasm.call('mandelbrot', out, 2, 0, 500, 0, 0, 2);
    expect([...out]).toEqual([500, 2]);
    const rgba = new Uint8ClampedArray(8);
    wasm.call('mandelbrotRGBA', rgba, 2, 0, 500, 0, 0, 2);
    expect([...rgba.subarray(0, 4)]).toEqual([0, 0, 0, 255]);
    expect(rgba[7]).toBe(255);
  });

  it('treats NaN coordinates as the twin does (never escaping)', () => {
    const out = new Uint32Array(3);
    const expected = new Uint32Array(3);
    twin.mandelbrot(expected, 3, 0, 20, Number.NaN, 0, 1);
    wasm.call('mandelbrot', out, 3, 0, 20, Number.NaN, 0, 1);
    expect(sameElements(out, expected)).toBe(true);
    expect(out[0]).toBe(20);
  });

  it('rejects an output that is not whole rows', () => {
    expect(() => wasm.call('mandelbrot', new Uint32Array(10), 3, 0, 10, 0, 0, 1)).toThrow(/multiple of width/);
    expect(() => wasm.call('mandelbrotRGBA', new Uint8ClampedArray(10), 3, 0, 10, 0, 0, 1)).toThrow(/multiple of 4\*width/);
    expect(() => twin.mandelbrot(new Uint32Array(10), 3, 0, 10, 0, 0, 1)).toThrow(RangeError);
  });
});
