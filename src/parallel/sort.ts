import type { Pool } from '../pool.js';
import { expected } from '../validate.js';
import { splitRange } from './split.js';

/**
 * Sorts a Float64Array ascending, in place, on every worker: each worker sorts one run
 * (`sortF64`), then rounds of pairwise merges (`mergeF64`) ping-pong between the array and a
 * scratch array of the same size. A round with fewer merges than workers cuts each merge into
 * independent pieces along its merge path (`splitMerge`), so the last round — one O(n) merge —
 * runs on every worker too instead of bounding the speed-up.
 *
 * Works on the built-in module (or any module exporting sortF64/mergeF64 with its signatures) and
 * on the JS twins. Give it a view from `pool.alloc(Float64Array, n)` for zero copies; a plain
 * Float64Array works too, at the cost of copies at every step.
 */
export async function parallelSort(pool: Pool, values: Float64Array, options: { parts?: number } = {}): Promise<Float64Array> {
  if (!(values instanceof Float64Array)) throw new TypeError(expected('values', 'a Float64Array', values));
  const parts = options.parts ?? Math.max(1, pool.workers);
  const runs = splitRange(values.length, parts);
  const bytes = values.byteLength;
  // Between rounds the caller's array is read here (merge paths, subarrays): one detached meanwhile fails the sort
  // with what happened, not with a bare "detached ArrayBuffer" from deep inside.
  const checkAttached = (): void => {
    if (values.byteLength !== bytes) {
      throw new TypeError(
        'Expected `values` to stay attached while parallelSort ran, but its buffer was detached or shrunk (transferred away, e.g. by postMessage); the sort stopped and its result is lost; keep the array until the sort settles',
      );
    }
  };
  await pool.starmap(
    'sortF64',
    runs.map(([start, end]) => [values.subarray(start, end)]),
    { chunksize: 1 },
  );
  if (runs.length === 1) return values;

  // A JS-module pool has no shared memory: its twins can write in place only through a SharedArrayBuffer.
  const shared = pool.memory !== undefined;
  if (!shared && !(values.buffer instanceof SharedArrayBuffer)) {
    throw new TypeError(expected('values', 'a Float64Array on a SharedArrayBuffer (a JS-module pool sorts in place only through shared memory)', values));
  }
  const scratch = shared ? pool.alloc(Float64Array, values.length, { zero: false }) : new Float64Array(new SharedArrayBuffer(values.byteLength));
  try {
    let from: Float64Array = values;
    let to: Float64Array = scratch;
    let current = runs;
    while (current.length > 1) {
      checkAttached();
      const next: Array<[number, number]> = [];
      const merges: Array<[Float64Array, Float64Array, Float64Array]> = [];
      const pieces = Math.max(1, Math.ceil((2 * pool.workers) / Math.ceil(current.length / 2)));
      for (let i = 0; i < current.length; i += 2) {
        const [start, middle] = current[i];
        const end = i + 1 < current.length ? current[i + 1][1] : middle; // an odd run out is copied across
        merges.push(...splitMerge(from.subarray(start, middle), from.subarray(middle, end), to.subarray(start, end), pieces));
        next.push([start, end]);
      }
      await pool.starmap('mergeF64', merges, { chunksize: 1 });
      [from, to] = [to, from];
      current = next;
    }
    checkAttached();
    if (from !== values) values.set(from);
  } finally {
    if (shared) pool.free(scratch);
  }
  return values;
}

/** The order of `sortF64`/`mergeF64`: numeric, −0 before +0, every NaN last. */
function notAfter(x: number, y: number): boolean {
  if (Number.isNaN(y)) return true;
  if (Number.isNaN(x)) return false;
  if (x !== y) return x < y;
  return !(Object.is(x, 0) && Object.is(y, -0));
}

/**
 * How many of the first `k` merged values come from `a` (the co-rank on the merge path), for a merge
 * that takes from `a` on ties, as `mergeF64` does. O(log n) reads of the shared arrays.
 */
function fromA(a: Float64Array, b: Float64Array, k: number): number {
  let lo = Math.max(0, k - b.length);
  let hi = Math.min(k, a.length);
  while (lo < hi) {
    const i = (lo + hi) >>> 1;
    if (notAfter(a[i], b[k - i - 1])) lo = i + 1;
    else hi = i;
  }
  return lo;
}

/** Cuts the merge of sorted `a` and `b` into `out` into `pieces` merges of disjoint parts, each independent of the others. */
export function splitMerge(a: Float64Array, b: Float64Array, out: Float64Array, pieces: number): Array<[Float64Array, Float64Array, Float64Array]> {
  const parts: Array<[Float64Array, Float64Array, Float64Array]> = [];
  let [i0, j0, k0] = [0, 0, 0];
  for (let p = 1; p <= pieces; p++) {
    const k1 = p === pieces ? out.length : Math.floor((out.length * p) / pieces);
    if (k1 === k0) continue;
    const i1 = fromA(a, b, k1);
    const j1 = k1 - i1;
    parts.push([a.subarray(i0, i1), b.subarray(j0, j1), out.subarray(k0, k1)]);
    [i0, j0, k0] = [i1, j1, k1];
  }
  return parts;
}
