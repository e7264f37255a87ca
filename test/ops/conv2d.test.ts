// pool.ops.conv2d: bit-identical to the direct twin (taps summed over dy, dx, ci in order, f32 rounding) on 1, 2
// and 4 workers, for the one-channel paths (3×3 unrolled, any size) and the multi-channel tiles, both paddings.
import { describe, expect, it } from 'vitest';
import * as twin from '../../dist/ops/reference.js';
import { exactSum, firstDifference, randomArray, seeded, usePools } from './helpers.js';

const pools = usePools();

/** width, height, kernelWidth, kernelHeight, channelsIn, channelsOut, padding: 1, primes, tails of the 4×8 tile. */
const CASES: Array<[number, number, number, number, number, number, 'same' | 'valid']> = [
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

function geometry(w: number, h: number, kw: number, kh: number, cin: number, cout: number, padding: 'same' | 'valid'): twin.ConvShape {
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

describe('pool.ops.conv2d', () => {
  it.each(CASES)('%i×%i image, %i×%i kernel, %i → %i channels, %s: the twin bit for bit on every worker count', async (w, h, kw, kh, cin, cout, padding) => {
    const random = seeded(w * h + kw * 7 + cin * 13 + cout);
    const image = randomArray(Float32Array, w * h * cin, random) as Float32Array;
    const kernel = randomArray(Float32Array, kw * kh * cin * cout, random) as Float32Array;
    const g = geometry(w, h, kw, kh, cin, cout, padding);
    const expected = twin.conv2d(image, kernel, g);
    const options = { width: w, height: h, kernelWidth: kw, kernelHeight: kh, channelsIn: cin, channelsOut: cout, padding };
    for (const [, pool] of pools) expect(firstDifference(await pool().ops.conv2d(image, kernel, options), expected)).toBe(-1);
    // Against an exact sum of the taps: a dot product of kh·kw·cin f32 terms, |error| <= γ_t · Σ|terms| (u = 2^-24).
    const t = kh * kw * cin;
    const u = 2 ** -24;
    for (let s = 0; s < 10; s++) {
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
      expect(Math.abs(expected[(oy * g.outWidth + ox) * cout + co] - exact.sum)).toBeLessThanOrEqual(((t * u) / (1 - t * u)) * exact.abs);
    }
  });

  it('uses pool.alloc views in place and writes into `out`', async () => {
    const pool = pools[2][1]();
    const [w, h] = [300, 200];
    const image = pool.alloc(Float32Array, w * h);
    const kernel = pool.alloc(Float32Array, 9);
    const out = pool.alloc(Float32Array, w * h);
    image.set(randomArray(Float32Array, w * h, seeded(5)));
    kernel.set([1, 2, 1, 0, 0, 0, -1, -2, -1]);
    expect(await pool.ops.conv2d(image, kernel, { width: w, height: h, kernelWidth: 3, kernelHeight: 3, out })).toBe(out);
    expect(firstDifference(out, twin.conv2d(image, kernel, geometry(w, h, 3, 3, 1, 1, 'same')))).toBe(-1);
    for (const view of [image, kernel, out]) pool.free(view);
  });

  it('checks its arguments before queuing anything', () => {
    const ops = pools[0][1]().ops;
    const image = new Float32Array(12);
    const k = new Float32Array(9);
    const base = { width: 4, height: 3, kernelWidth: 3, kernelHeight: 3 };
    expect(() => ops.conv2d(new Float64Array(12) as never, k, base)).toThrow(/Expected `image` to be a Float32Array, got a Float64Array/);
    expect(() => ops.conv2d(image, k, { ...base, width: 5 })).toThrow(/Expected `image` to hold height·width·channelsIn = 3·5·1 = 15 elements, got 12/);
    expect(() => ops.conv2d(image, new Float32Array(8), base)).toThrow(
      /Expected `kernel` to hold kernelHeight·kernelWidth·channelsIn·channelsOut = 3·3·1·1 = 9 elements, got 8/,
    );
    expect(() => ops.conv2d(image, k, { ...base, padding: 'full' as never })).toThrow(/Expected `padding` to be 'same' or 'valid', got "full"/);
    expect(() => ops.conv2d(image, k, { ...base, channelsIn: 0 })).toThrow(RangeError);
    expect(() => ops.conv2d(image, k, { ...base, kernelHeight: 3.5 })).toThrow(/Expected `kernelHeight` to be a positive integer, got 3.5/);
    expect(() => ops.conv2d(new Float32Array(4), new Float32Array(9), { width: 2, height: 2, kernelWidth: 3, kernelHeight: 3, padding: 'valid' })).toThrow(
      /Expected the kernel \(3×3\) to fit in the image \(2×2\) with padding 'valid'/,
    );
    expect(() => ops.conv2d(image, k, { ...base, out: new Float32Array(11) })).toThrow(/Expected `out` to hold 3·4·1 = 12 elements, got 11/);
    expect(() => ops.conv2d(image, k, { ...base, stride: 2 } as never)).toThrow(/Unknown option `stride`/);
    expect(() => ops.conv2d(image, k, { ...base, out: image })).toThrow(/Expected `out` to share no element with the inputs/);
  });
});
