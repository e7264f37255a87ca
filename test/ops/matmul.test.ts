// pool.ops.matmul: bit-identical to the plain i-j-k twin on 1, 2 and 4 workers (it promises that: every entry is
// summed in ascending k, no fused multiply-add), and within the dot-product bound of an exact reference.
import { describe, expect, it } from 'vitest';
import * as twin from '../../dist/ops/reference.js';
import { MATMUL_SHAPES, expectMatmulBound, firstDifference, randomArray, seeded, usePools } from './helpers.js';

const pools = usePools();

describe.each([Float64Array, Float32Array])('pool.ops.matmul on %o', (type) => {
  it.each(MATMUL_SHAPES)('%i×%i times %i columns: the twin bit for bit on every worker count', async (m, k, n) => {
    const random = seeded(m * 1000 + k * 10 + n);
    const a = randomArray(type, m * k, random);
    const b = randomArray(type, k * n, random);
    const expected = twin.matmul(a, b, m, k, n);
    for (const [, pool] of pools) expect(firstDifference(await pool().ops.matmul(a, b, { m, k, n }), expected)).toBe(-1);
    expectMatmulBound(expected, a, b, [m, k, n], random);
  });
});

describe('pool.ops.matmul arguments and shared arrays', () => {
  it('uses pool.alloc views in place and writes into `out`', async () => {
    const pool = pools[1][1]();
    const [m, k, n] = [70, 90, 50];
    const a = pool.alloc(Float64Array, m * k);
    const b = pool.alloc(Float64Array, k * n);
    const out = pool.alloc(Float64Array, m * n);
    a.set(randomArray(Float64Array, m * k, seeded(1)));
    b.set(randomArray(Float64Array, k * n, seeded(2)));
    expect(await pool.ops.matmul(a, b, { m, k, n, out })).toBe(out);
    expect(firstDifference(out, twin.matmul(a, b, m, k, n))).toBe(-1);
    for (const view of [a, b, out]) pool.free(view);
  });

  it('checks shapes and types before queuing anything', () => {
    const ops = pools[0][1]().ops;
    const a = new Float64Array(6);
    expect(() => ops.matmul(a, new Float64Array(5), { m: 2, k: 3, n: 2 })).toThrow(/Expected `b` to hold k·n = 3·2 = 6 elements, got 5/);
    expect(() => ops.matmul(a, new Float64Array(6), { m: 3, k: 3, n: 2 })).toThrow(/Expected `a` to hold m·k = 3·3 = 9 elements, got 6/);
    expect(() => ops.matmul(a, new Float32Array(6) as never, { m: 2, k: 3, n: 2 })).toThrow(/Expected `b` to be a Float64Array like `a`/);
    expect(() => ops.matmul(a, a, { m: 2, k: 3 } as never)).toThrow(/Expected `n` to be an integer >= 0, got undefined/);
    expect(() => ops.matmul(a, a, { m: -2, k: 3, n: 2 })).toThrow(RangeError);
    expect(() => ops.matmul(a, a, undefined as never)).toThrow(/Expected `options` to be an object with `m`, `k` and `n`/);
    expect(() => ops.matmul(a, a, { m: 2, k: 3, n: 2, out: new Float64Array(3) })).toThrow(/Expected `out` to hold m·n = 2·2 = 4 elements, got 3/);
    expect(() => ops.matmul(a, a, { m: 2, k: 3, n: 2, transpose: true } as never)).toThrow(/Unknown option `transpose`/);
    const square = new Float64Array(8);
    expect(() => ops.matmul(square.subarray(0, 4), square.subarray(4), { m: 2, k: 2, n: 2, out: square.subarray(2, 6) })).toThrow(
      /Expected `out` to share no element with the inputs \(the product is not computed in place\)/,
    );
  });
});
