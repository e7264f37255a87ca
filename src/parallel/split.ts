import { checkTimeoutAndSignal } from '../submission.js';
import { checkFunction, describe, expected, readOptions } from '../validate.js';

/**
 * Options of `pool.parallel(kernel, options)`: split the index range [0, length) into parts, run
 * the kernel once per part on the pool (a starmap with chunksize 1, so a worker that finishes early
 * takes the next part), and combine the parts' results.
 */
export interface ParallelOptions<P = unknown, R = P[]> {
  /** Size of the index range [0, length) to split: elements of an array, rows of an image, numbers to test. */
  length: number;
  /**
   * The kernel's arguments for the part [start, end) (`part` counts from 0). Typically subarrays of
   * shared arrays — `[x.subarray(start, end)]` — which reach the kernel as pointers, with no copy.
   */
  args: (start: number, end: number, part: number) => readonly unknown[];
  /** Joins the parts' results, given in part order (e.g. `(sums) => sums.reduce((a, b) => a + b, 0)`). Default: the array of results. */
  combine?: (results: P[]) => R;
  /** Number of parts. Default: the pool's worker count. More parts balance uneven work better; fewer cost less dispatch. */
  parts?: number;
  /** Every boundary between parts is a multiple of this (e.g. the row width, or a SIMD width). Default: 1. */
  align?: number;
  /** Called as parts finish, with (parts done, parts in all). */
  onProgress?: (done: number, total: number) => void;
  /** Hard limit in ms on each part's run, as `MapOptions.timeout`: a part past it fails the call with `TimeoutError`. */
  timeout?: number;
  /** Cancels every part (running ones stopped): the call rejects with `CancelledError`, its `cause` the signal's reason. */
  signal?: AbortSignal;
}

const KEYS = ['length', 'args', 'combine', 'parts', 'align', 'onProgress', 'timeout', 'signal'];

/** What parallel() needs from a pool (kept narrow so this file does not import Pool). */
export interface SplitHost {
  readonly workers: number;
  starmap<T>(
    kernel: string,
    items: Iterable<readonly unknown[]>,
    options?: { chunksize?: number; onProgress?: (done: number, total: number) => void; timeout?: number; signal?: AbortSignal },
  ): Promise<T[]>;
}

function checkCount(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError(expected(name, `an integer >= ${min}`, value));
  if (value < min || value > Number.MAX_SAFE_INTEGER) throw new RangeError(expected(name, `an integer >= ${min}`, value));
  return value;
}

/**
 * Splits [0, length) into at most `parts` contiguous ranges [start, end) of nearly equal size, with
 * every inner boundary a multiple of `align`. Always at least one range (possibly empty), so a
 * combine step always has a result to work with.
 */
export function splitRange(length: number, parts: number, align = 1): Array<[number, number]> {
  checkCount('length', length, 0);
  checkCount('parts', parts, 1);
  checkCount('align', align, 1);
  const units = Math.ceil(length / align);
  const count = Math.max(1, Math.min(parts, units));
  const ranges: Array<[number, number]> = [];
  for (let i = 0; i < count; i++) {
    const start = Math.min(length, align * Math.floor((i * units) / count));
    const end = Math.min(length, align * Math.floor(((i + 1) * units) / count));
    ranges.push([start, end]);
  }
  return ranges;
}

/** The body of `pool.parallel`: split, starmap, combine. */
export async function runParallel<P, R>(pool: SplitHost, kernel: string, given: ParallelOptions<P, R>): Promise<R> {
  if (typeof given !== 'object' || given === null) throw new TypeError(expected('options', 'an object with `length` and `args`', given));
  const options = readOptions<ParallelOptions<P, R>>('options', given, 'pool.parallel() options', KEYS);
  checkFunction('args', options.args);
  if (options.combine !== undefined) checkFunction('combine', options.combine);
  if (options.onProgress !== undefined) checkFunction('onProgress', options.onProgress);
  checkTimeoutAndSignal(options);
  const ranges = splitRange(options.length, options.parts ?? Math.max(1, pool.workers), options.align ?? 1);
  const items = ranges.map(([start, end], part) => {
    const args = options.args(start, end, part);
    if (!Array.isArray(args)) throw new TypeError(`Expected \`args(${start}, ${end}, ${part})\` to return an array of kernel arguments, got ${describe(args)}`);
    return args;
  });
  const { onProgress, timeout, signal } = options;
  const results = await pool.starmap<P>(kernel, items, { chunksize: 1, onProgress, timeout, signal });
  return options.combine ? options.combine(results) : (results as unknown as R);
}
