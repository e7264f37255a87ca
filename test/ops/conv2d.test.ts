// pool.ops.conv2d: bit-identical to the direct twin (taps summed over dy, dx, ci in order, f32 rounding) on 1, 2
// and 4 workers, for the one-channel paths (3×3 unrolled, any size) and the multi-channel tiles, both paddings.
import { describe, expect, it } from 'vitest';
import * as twin from '../../dist/ops/reference.js';
import { CONV_CASES, convGeometry, expectConvBound, firstDifference, randomArray, seeded, usePools } from './helpers.js';

const pools = usePools();

describe('pool.ops.conv2d', () => {
  it.each(CONV_CASES)(
    '%i×%i image, %i×%i kernel, %i → %i channels, %s: the twin bit for bit on every worker count',
    async (w, h, kw, kh, cin, cout, padding) => {
      const random = seeded(w * h + kw * 7 + cin * 13 + cout);
      const image = randomArray(Float32Array, w * h * cin, random) as Float32Array;
      const kernel = randomArray(Float32Array, kw * kh * cin * cout, random) as Float32Array;
      const g = convGeometry(w, h, kw, kh, cin, cout, padding);
      const expected = twin.conv2d(image, kernel, g);
      const options = { width: w, height: h, kernelWidth: kw, kernelHeight: kh, channelsIn: cin, channelsOut: cout, padding };
      for (const [, pool] of pools) expect(firstDifference(await pool().ops.conv2d(image, kernel, options), expected)).toBe(-1);
      expectConvBound(expected, image, kernel, g, random);
    },
  );

  it('uses pool.alloc views in place and writes into `out`', async () => {
    const pool = pools[2][1]();
    const [w, h] = [300, 200];
    const image = pool.alloc(Float32Array, w * h);
    const kernel = pool.alloc(Float32Array, 9);
    const out = pool.alloc(Float32Array, w * h);
    image.set(randomArray(Float32Array, w * h, seeded(5)));
    kernel.set([1, 2, 1, 0, 0, 0, -1, -2, -1]);
    expect(await pool.ops.conv2d(image, kernel, { width: w, height: h, kernelWidth: 3, kernelHeight: 3, out })).toBe(out);
    expect(firstDifference(out, twin.conv2d(image, kernel, convGeometry(w, h, 3, 3, 1, 1, 'same')))).toBe(-1);
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
