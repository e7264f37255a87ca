import { afterAll, describe, expect, it } from 'vitest';
import { Pool, type PoolOptions } from 'wasmpool';
import { JS_TASKS, fixture, rejection, thrown } from '../helpers.js';

type Case = [label: string, run: () => unknown, errorClass: typeof TypeError | typeof RangeError, message: RegExp];

const pool = new Pool({ workers: 1 });
const jsPool = new Pool({ workers: 1, module: JS_TASKS });
afterAll(async () => {
  await pool.terminate();
  await jsPool.terminate();
});

/** What a rejected call must leave untouched: a queued unit, a running one or a held slot means it was dispatched. */
function idleCounters(target: Pool): { queued: number; running: number; slotsInUse: number } {
  const { queued, running, slotsInUse } = target.stats();
  return { queued, running, slotsInUse };
}

function* throwingMidway(): Generator<number> {
  yield 1;
  throw new Error('source broke');
}

const poolCases: Case[] = [
  ['workers -1', () => new Pool({ workers: -1 }), RangeError, /^Expected `workers` to be a positive integer no larger than 1024, got -1$/],
  ['workers 0', () => new Pool({ workers: 0 }), RangeError, /`workers`.*got 0/],
  ['workers -0', () => new Pool({ workers: -0 }), RangeError, /`workers`.*got -0/],
  ['workers 1.5', () => new Pool({ workers: 1.5 }), TypeError, /`workers` to be a positive integer, got 1.5/],
  ['workers NaN', () => new Pool({ workers: Number.NaN }), TypeError, /`workers`.*got NaN/],
  ['workers Infinity', () => new Pool({ workers: Infinity }), TypeError, /`workers`.*got Infinity/],
  ['workers huge', () => new Pool({ workers: 1e9 }), RangeError, /`workers`.*1024.*got 1000000000/],
  ['workers string', () => new Pool({ workers: '2' as unknown as number }), TypeError, /`workers`.*got "2"/],
  ['unknown option', () => new Pool({ worker: 2 } as PoolOptions), TypeError, /Unknown option `worker` in PoolOptions; allowed: `workers`/],
  ['options not an object', () => new Pool(5 as unknown as PoolOptions), TypeError, /`options` to be an options object, got 5/],
  ['maxTasksPerWorker 0', () => new Pool({ maxTasksPerWorker: 0 }), RangeError, /`maxTasksPerWorker`/],
  ['initializer empty', () => new Pool({ initializer: '' }), TypeError, /`initializer`/],
  ['initargs without initializer', () => new Pool({ initargs: [1] }), TypeError, /`initargs` was given without `initializer`/],
  ['initargs not an array', () => new Pool({ initializer: 'add', initargs: 'x' as unknown as unknown[] }), TypeError, /`initargs` to be an array/],
  ['module wrong type', () => new Pool({ module: 42 as unknown as string }), TypeError, /`module` to be a path, URL, bytes or WebAssembly.Module, got 42/],
  ['module missing file', () => new Pool({ module: './missing.wasm' }), TypeError, /missing\.wasm does not exist/],
  ['module file that is not WASM', () => new Pool({ module: fixture('not-wasm.wasm') }), TypeError, /not-wasm\.wasm is not one \(not a WebAssembly binary/],
  [
    'module of an unknown kind',
    () => new Pool({ module: new URL('../../README.md', import.meta.url) }),
    TypeError,
    /to be a \.wasm, \.js, \.mjs or AssemblyScript \.ts file, got .*README\.md/,
  ],
  ['module http URL', () => new Pool({ module: new URL('https://example.com/k.wasm') }), TypeError, /file path or file: URL/],
  [
    'minWorkers above workers',
    () => new Pool({ workers: 2, minWorkers: 3 }),
    RangeError,
    /^Expected `minWorkers` to be an integer from 0 to `workers` \(2\), got 3$/,
  ],
  ['minWorkers negative', () => new Pool({ workers: 2, minWorkers: -1 }), RangeError, /`minWorkers`.*got -1/],
  ['minWorkers 0.5', () => new Pool({ minWorkers: 0.5 }), TypeError, /`minWorkers` to be an integer from 0 to `workers`, got 0.5/],
  ['idleTimeout negative', () => new Pool({ idleTimeout: -1 }), RangeError, /`idleTimeout`.*got -1/],
  ['idleTimeout Infinity', () => new Pool({ idleTimeout: Infinity }), RangeError, /`idleTimeout`.*finite.*got Infinity/],
  ['idleTimeout string', () => new Pool({ idleTimeout: '10s' as unknown as number }), TypeError, /`idleTimeout`.*got "10s"/],
  ['maxQueued 0', () => new Pool({ maxQueued: 0 }), RangeError, /^Expected `maxQueued` to be a positive integer or Infinity, got 0$/],
  ['maxQueued 2.5', () => new Pool({ maxQueued: 2.5 }), TypeError, /`maxQueued`.*got 2.5/],
  ['maxWorkerMemory 0', () => new Pool({ maxWorkerMemory: 0 }), RangeError, /^Expected `maxWorkerMemory` to be a finite number of MB > 0, got 0$/],
  ['maxWorkerMemory NaN', () => new Pool({ maxWorkerMemory: Number.NaN }), TypeError, /`maxWorkerMemory`.*got NaN/],
];

const callCases: Case[] = [
  ['kernel not a string', () => pool.applyAsync(7 as unknown as string), TypeError, /`kernel` to be the name of an export.*got 7/],
  ['kernel empty', () => pool.applyAsync(''), TypeError, /`kernel`.*got ""/],
  ['args not an array', () => pool.applyAsync('add', 5 as unknown as unknown[]), TypeError, /`args` to be an array of arguments, got 5/],
  ['too few args', () => pool.applyAsync('add', [1]), RangeError, /Kernel `add` takes 2 arguments \(f64, f64\), got 1/],
  ['too many args', () => pool.applyAsync('add', [1, 2, 3]), RangeError, /takes 2 arguments.*got 3/],
  ['arg of wrong type', () => pool.applyAsync('add', [1, {}]), TypeError, /`args\[1\]`.*a number \(f64\), got an object/],
  ['timeout negative', () => pool.applyAsync('add', [1, 2], { timeout: -5 }), RangeError, /`timeout`.*got -5/],
  ['timeout NaN', () => pool.applyAsync('add', [1, 2], { timeout: Number.NaN }), TypeError, /`timeout`.*got NaN/],
  ['timeout Infinity', () => pool.applyAsync('add', [1, 2], { timeout: Infinity }), RangeError, /`timeout`.*finite.*got Infinity/],
  ['timeout huge', () => pool.applyAsync('add', [1, 2], { timeout: 2 ** 40 }), RangeError, /`timeout`.*2147483647/],
  ['signal not AbortSignal', () => pool.applyAsync('add', [1, 2], { signal: {} as AbortSignal }), TypeError, /`signal` to be an AbortSignal/],
  ['callback not a function', () => pool.applyAsync('add', [1, 2], { callback: 1 as unknown as () => void }), TypeError, /`callback` to be a function, got 1/],
  ['unknown task option', () => pool.applyAsync('add', [1, 2], { timeOut: 5 } as object), TypeError, /Unknown option `timeOut` in TaskOptions/],
  ['items not iterable', () => pool.mapAsync('square', 5 as unknown as number[]), TypeError, /`items` to be an iterable.*got 5/],
  ['items null', () => pool.mapAsync('square', null as unknown as number[]), TypeError, /`items`.*got null/],
  ['items throwing midway', () => pool.mapAsync('square', throwingMidway()), TypeError, /Iterating `items` threw.*source broke/],
  ['map item of wrong type', () => pool.mapAsync('square', [1, 'x']), TypeError, /`items\[1\]\[0\]`.*got "x"/],
  [
    'starmap item not an array',
    () => pool.starmapAsync('add', [[1, 2], 3 as unknown as number[]]),
    TypeError,
    /`items\[1\]` to be an array of arguments, got 3/,
  ],
  ['chunksize 0', () => pool.mapAsync('square', [1], { chunksize: 0 }), RangeError, /`chunksize`/],
  ['chunksize 2.5', () => pool.mapAsync('square', [1], { chunksize: 2.5 }), TypeError, /`chunksize`.*got 2.5/],
  ['onProgress not a function', () => pool.mapAsync('square', [1], { onProgress: 'x' as unknown as () => void }), TypeError, /`onProgress`/],
  ['unknown map option', () => pool.mapAsync('square', [1], { chunkSize: 2 } as object), TypeError, /Unknown option `chunkSize` in MapOptions/],
  ['priority 1.5', () => pool.applyAsync('add', [1, 2], { priority: 1.5 }), TypeError, /^Expected `priority` to be an integer \(larger runs first\), got 1.5$/],
  ['priority string', () => pool.applyAsync('add', [1, 2], { priority: 'high' as unknown as number }), TypeError, /`priority`.*got "high"/],
  ['priority unsafe', () => pool.applyAsync('add', [1, 2], { priority: 2 ** 60 }), RangeError, /`priority` to be a safe integer/],
  ['map priority NaN', () => pool.mapAsync('square', [1], { priority: Number.NaN }), TypeError, /`priority`.*got NaN/],
];

describe('bad input is rejected at the call, naming the argument', () => {
  it.each(poolCases)('new Pool: %s', (_label, run, errorClass, message) => {
    const error = thrown(run);
    expect(error).toBeInstanceOf(errorClass);
    expect(error.message).toMatch(message);
  });

  it.each(callCases)('submit: %s', (_label, run, errorClass, message) => {
    const error = thrown(run);
    expect(error).toBeInstanceOf(errorClass);
    expect(error.message).toMatch(message);
    expect(idleCounters(pool)).toEqual({ queued: 0, running: 0, slotsInUse: 0 });
  });

  it('nothing was dispatched by any rejected call: nothing queued, running or holding a slot, and the pool still answers', async () => {
    for (const [, run] of callCases) thrown(run);
    expect(idleCounters(pool)).toEqual({ queued: 0, running: 0, slotsInUse: 0 });
    expect(await pool.apply('add', [1, 2])).toBe(3);
    expect(idleCounters(pool)).toEqual({ queued: 0, running: 0, slotsInUse: 0 });
  });

  it('the Promise forms reject with the same error instead of throwing', async () => {
    const error = await rejection(pool.map('square', 5 as unknown as number[]));
    expect(error).toBeInstanceOf(TypeError);
    expect((await rejection(pool.starmap('add', [1 as unknown as number[]]))).message).toMatch(/`items\[0\]`/);
  });

  it('JS module kernels take any structured-cloneable arguments, so only the shape is checked', async () => {
    expect(await jsPool.apply('add', ['a', 1])).toBe('a1');
  });
});
