/** A small seeded generator (mulberry32) so every failing case can be reproduced. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Lengths around the SIMD widths (2 f64, 4 f32, unrolled ×2) and a few larger ones. */
export const LENGTHS = [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 100, 1001, 4099];

export function randomF64(n: number, random: () => number, scale = 2): Float64Array {
  return Float64Array.from({ length: n }, () => (random() - 0.5) * scale);
}

export function randomF32(n: number, random: () => number, scale = 2): Float32Array {
  return Float32Array.from({ length: n }, () => (random() - 0.5) * scale);
}

/** Element-wise equality that treats NaN as equal to NaN and tells -0 from +0. */
export function sameElements(actual: ArrayLike<number>, expected: ArrayLike<number>): boolean {
  if (actual.length !== expected.length) return false;
  for (let i = 0; i < actual.length; i++) if (!Object.is(actual[i], expected[i])) return false;
  return true;
}
