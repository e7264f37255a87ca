/**
 * The fixed blocks every reduction and scan works in, and the fixed orders their partial results are joined
 * in. A block's partial depends only on its elements, and the join order only on the number of blocks, so a
 * result never depends on the number of workers or on how the blocks were shared out among them.
 */

/** Elements per block; the same constant as BLOCK in assembly/ops/reduce.ts. */
export const BLOCK = 2048;

export function blockCount(n: number): number {
  return Math.ceil(n / BLOCK);
}

/** Pairwise sum of values[lo, hi): halves split at lo + floor(len / 2), so the tree depth is ceil(log2(len)). */
export function pairwiseSum(values: ArrayLike<number>, lo = 0, hi = values.length): number {
  if (hi - lo === 0) return 0;
  if (hi - lo === 1) return values[lo];
  const mid = lo + Math.floor((hi - lo) / 2);
  return pairwiseSum(values, lo, mid) + pairwiseSum(values, mid, hi);
}

/** Count, mean and sum of squared deviations of some elements (Chan, Golub and LeVeque's pairwise update). */
export interface Moments {
  n: number;
  mean: number;
  m2: number;
}

/** Joins per-block (sum, m2) pairs, `partials[2b]`, `partials[2b+1]`, over blocks [lo, hi) of an n-element array. */
export function pairwiseMoments(partials: ArrayLike<number>, n: number, lo = 0, hi = blockCount(n)): Moments {
  if (hi - lo === 1) {
    const count = Math.min(n, (lo + 1) * BLOCK) - lo * BLOCK;
    return { n: count, mean: partials[2 * lo] / count, m2: partials[2 * lo + 1] };
  }
  const mid = lo + Math.floor((hi - lo) / 2);
  const a = pairwiseMoments(partials, n, lo, mid);
  const b = pairwiseMoments(partials, n, mid, hi);
  const count = a.n + b.n;
  const delta = b.mean - a.mean;
  return { n: count, mean: a.mean + delta * (b.n / count), m2: a.m2 + b.m2 + delta * delta * ((a.n * b.n) / count) };
}

/** The block partials of an extremum, `partials[2b]` = value, `partials[2b+1]` = index, joined in block order. */
export function joinExtrema(partials: ArrayLike<number>, blocks: number, max: boolean): { value: number; index: number } {
  let value = partials[0];
  let index = partials[1];
  for (let b = 1; b < blocks; b++) {
    const v = partials[2 * b];
    if (Number.isNaN(value)) break; // the first NaN wins
    if (Number.isNaN(v) || (max ? v > value : v < value)) {
      value = v;
      index = partials[2 * b + 1];
    } else if (v === value) {
      value = max ? Math.max(value, v) : Math.min(value, v); // -0 below +0 for the value; the first index stays
    }
  }
  return { value, index };
}

/** offsets[b] = the sum of block sums before b, added in order (the first phase of cumsum's scan). */
export function scanOffsets(sums: ArrayLike<number>, offsets: Float64Array): void {
  let s = 0;
  for (let b = 0; b < offsets.length; b++) {
    offsets[b] = s;
    s += sums[b];
  }
}
