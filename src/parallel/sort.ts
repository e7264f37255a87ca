import type { Pool } from '../pool.js';
import { expected } from '../validate.js';
import { splitRange } from './split.js';

/**
 * Sorts a Float64Array ascending, in place, on every worker: each worker sorts one run
 * (`sortF64`), then rounds of pairwise merges (`mergeF64`) ping-pong between the array and a
 * scratch array of the same size, every merge of a round on its own worker. The last round is a
 * single merge, so the speed-up is bounded by that one O(n) pass.
 *
 * Works on the built-in module (or any module exporting sortF64/mergeF64 with its signatures) and
 * on the JS twins. Give it a view from `pool.alloc(Float64Array, n)` for zero copies; a plain
 * Float64Array works too, at the cost of copies at every step.
 */
export async function parallelSort(pool: Pool, values: Float64Array, options: { parts?: number } = {}): Promise<Float64Array> {
  if (!(values instanceof Float64Array)) throw new TypeError(expected('values', 'a Float64Array', values));
  const parts = options.parts ?? Math.max(1, pool.workers);
  const runs = splitRange(values.length, parts);
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
  const scratch = shared ? pool.alloc(Float64Array, values.length) : new Float64Array(new SharedArrayBuffer(values.byteLength));
  try {
    let from: Float64Array = values;
    let to: Float64Array = scratch;
    let current = runs;
    while (current.length > 1) {
      const next: Array<[number, number]> = [];
      const merges: Array<[Float64Array, Float64Array, Float64Array]> = [];
      for (let i = 0; i < current.length; i += 2) {
        const [start, middle] = current[i];
        const end = i + 1 < current.length ? current[i + 1][1] : middle; // an odd run out is copied across
        merges.push([from.subarray(start, middle), from.subarray(middle, end), to.subarray(start, end)]);
        next.push([start, end]);
      }
      await pool.starmap('mergeF64', merges, { chunksize: 1 });
      [from, to] = [to, from];
      current = next;
    }
    if (from !== values) values.set(from);
  } finally {
    if (shared) pool.free(scratch);
  }
  return values;
}
