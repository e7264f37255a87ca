// sortF64 and mergeF64 against Float64Array.prototype.sort (the twin): exact, element by element,
// including where NaN and -0 land.
import { describe, expect, it } from 'vitest';
import * as twin from '../../kernels-js/index.js';
import { WasmKernels } from './wasm-harness.js';
import { LENGTHS, randomF64, sameElements, seeded } from './random.js';

const wasm = new WasmKernels();

function expectSortedLikeTwin(values: Float64Array): void {
  const expected = values.slice();
  twin.sortF64(expected);
  const actual = values.slice();
  wasm.call('sortF64', actual);
  expect(sameElements(actual, expected)).toBe(true);
}

describe('sortF64', () => {
  it.each([...LENGTHS, 100_000])('sorts %i random values like the twin', (n) => {
    expectSortedLikeTwin(randomF64(n, seeded(n + 9)));
  });

  it('orders -Infinity … -0 < +0 … +Infinity, then NaN', () => {
    const values = Float64Array.from([Number.NaN, 0, -0, Infinity, -Infinity, 1, -1, Number.NaN, -0, 0, 5e-324, -5e-324]);
    wasm.call('sortF64', values);
    expect(sameElements(values, [-Infinity, -1, -5e-324, -0, -0, 0, 0, 5e-324, 1, Infinity, Number.NaN, Number.NaN])).toBe(true);
  });

  it('handles adversarial shapes: sorted, reversed, all equal, few distinct values, organ pipe', () => {
    const n = 5000;
    const random = seeded(3);
    const shapes = [
      Float64Array.from({ length: n }, (_, i) => i),
      Float64Array.from({ length: n }, (_, i) => n - i),
      new Float64Array(n).fill(2.5),
      Float64Array.from({ length: n }, () => Math.floor(random() * 3)),
      Float64Array.from({ length: n }, (_, i) => (i < n / 2 ? i : n - i)),
      Float64Array.from({ length: n }, (_, i) => (i % 7 === 0 ? Number.NaN : random())),
    ];
    for (const shape of shapes) expectSortedLikeTwin(shape);
  });
});

describe('mergeF64', () => {
  it.each([
    [0, 0],
    [0, 5],
    [5, 0],
    [1, 1],
    [17, 33],
    [1000, 999],
  ])('merges sorted runs of %i and %i values like the twin', (na, nb) => {
    const random = seeded(na * 31 + nb);
    const a = randomF64(na, random);
    const b = randomF64(nb, random);
    if (na > 2) a[1] = Number.NaN;
    if (nb > 2) b[0] = -0;
    a.sort();
    b.sort();
    const out = new Float64Array(na + nb);
    const expected = new Float64Array(na + nb);
    twin.mergeF64(a, b, expected);
    wasm.call('mergeF64', a, b, out);
    expect(sameElements(out, expected)).toBe(true);
    const whole = Float64Array.from([...a, ...b]).sort();
    expect(sameElements(out, whole)).toBe(true);
  });

  it("keeps the twin's order when most values tie: ±0 in both runs, NaNs in both, repeats, ±Infinity", () => {
    const palette = [-0, 0, Number.NaN, 1, 1, -1, Infinity, -Infinity];
    const random = seeded(4242);
    for (const [na, nb] of [
      [64, 64],
      [3, 200],
      [200, 3],
      [1, 1],
    ]) {
      const a = Float64Array.from({ length: na }, () => palette[Math.floor(random() * palette.length)]).sort();
      const b = Float64Array.from({ length: nb }, () => palette[Math.floor(random() * palette.length)]).sort();
      const out = new Float64Array(na + nb);
      const expected = new Float64Array(na + nb);
      twin.mergeF64(a, b, expected);
      wasm.call('mergeF64', a, b, out);
      expect(sameElements(out, expected)).toBe(true);
    }
  });

  it('rejects an output of the wrong length', () => {
    expect(() => wasm.call('mergeF64', new Float64Array(2), new Float64Array(2), new Float64Array(3))).toThrow(/exactly a.length \+ b.length/);
  });
});
