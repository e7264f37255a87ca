import { afterEach, describe, expect, it } from 'vitest';
import { CancelledError, Pool, TaskError, TimeoutError } from 'wasmpool';
import { JS_TASKS, rejection, until } from '../helpers.js';

let pool: Pool | undefined;
afterEach(async () => {
  await pool?.terminate();
  pool = undefined;
});

/**
 * Cells shared with `holdItem` (test/fixtures/js/tasks.mjs): cell 0 names the item held (index + 1), cell 1 + i
 * counts the runs of item i.
 */
function cells(items: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer((items + 1) * 4));
}

function gatedPool(shared: Int32Array, workers = 1): Pool {
  return new Pool({ workers, module: JS_TASKS, initializer: 'useCells', initargs: [shared.buffer] });
}

const runs = (shared: Int32Array): number[] => Array.from(shared.subarray(1));
const hold = (shared: Int32Array, index: number): void => {
  Atomics.store(shared, 0, index + 1);
};
const release = (shared: Int32Array): void => {
  Atomics.store(shared, 0, 0);
  Atomics.notify(shared, 0);
};
/** Resolves once item `index` has started (its run counted): the handshake before the test acts. */
const started = (shared: Int32Array, index: number): Promise<void> => until(() => Atomics.load(shared, 1 + index) > 0);

describe('MapOptions.signal', () => {
  it.each([
    ['mapAsync', (p: Pool, items: number[], signal: AbortSignal) => p.mapAsync('holdItem', items, { chunksize: 1, signal }).get()],
    ['map', (p: Pool, items: number[], signal: AbortSignal) => p.map('holdItem', items, { chunksize: 1, signal })],
    [
      'starmapAsync',
      (p: Pool, items: number[], signal: AbortSignal) =>
        p
          .starmapAsync(
            'holdItem',
            items.map((i) => [i]),
            { chunksize: 1, signal },
          )
          .get(),
    ],
    [
      'starmap',
      (p: Pool, items: number[], signal: AbortSignal) =>
        p.starmap(
          'holdItem',
          items.map((i) => [i]),
          { chunksize: 1, signal },
        ),
    ],
  ])('%s: aborting stops the running item and drops the queued ones; cause is the reason', async (_name, run) => {
    const shared = cells(8);
    pool = gatedPool(shared);
    hold(shared, 2);
    const controller = new AbortController();
    const result = run(pool, [0, 1, 2, 3, 4, 5, 6, 7], controller.signal);
    await started(shared, 2); // items 0 and 1 are done, 2 is running (held), 3..7 are queued behind it
    const reason = new Error('user pressed stop');
    controller.abort(reason);
    const error = await rejection(result);
    expect(error).toBeInstanceOf(CancelledError);
    expect(error.cause).toBe(reason);
    release(shared);
    // The worker was replaced and the pool goes on; the queued items never ran.
    expect(await pool.apply('add', [1, 2])).toBe(3);
    expect(runs(shared)).toEqual([1, 1, 1, 0, 0, 0, 0, 0]);
    expect(pool.stats()).toMatchObject({ queued: 0, running: 0, slotsInUse: 0 });
  });

  it('a signal shared by several maps cancels them all, and its listener goes once they settle', async () => {
    const shared = cells(4);
    pool = gatedPool(shared);
    hold(shared, 0);
    const controller = new AbortController();
    const first = pool.mapAsync('holdItem', [0, 1], { chunksize: 1, signal: controller.signal });
    const second = pool.mapAsync('holdItem', [2, 3], { signal: controller.signal });
    await started(shared, 0);
    controller.abort();
    expect(await rejection(first)).toBeInstanceOf(CancelledError);
    expect(await rejection(second)).toBeInstanceOf(CancelledError);
    expect(runs(shared)).toEqual([1, 0, 0, 0]);
    // A map that finished without an abort leaves no listener behind: aborting later changes nothing.
    const late = new AbortController();
    release(shared);
    expect(await pool.map('holdItem', [1, 2], { signal: late.signal })).toEqual([1, 2]);
    late.abort();
    expect(await pool.map('holdItem', [3])).toEqual([3]);
  });

  it('an already aborted signal fails the map at once; nothing runs', async () => {
    const shared = cells(2);
    pool = gatedPool(shared);
    const reason = new Error('too late');
    const result = pool.mapAsync('holdItem', [0, 1], { signal: AbortSignal.abort(reason) });
    expect(result.ready()).toBe(true);
    const error = await rejection(result);
    expect(error).toBeInstanceOf(CancelledError);
    expect(error.cause).toBe(reason);
    expect(await pool.apply('add', [0, 0])).toBe(0);
    expect(runs(shared)).toEqual([0, 0]);
  });

  it('pool.parallel: aborting cancels every part', async () => {
    const shared = cells(4);
    pool = gatedPool(shared);
    hold(shared, 1);
    const controller = new AbortController();
    const result = pool.parallel('holdItem', { length: 4, parts: 4, args: (start) => [start], signal: controller.signal });
    await started(shared, 1);
    controller.abort('stop');
    const error = await rejection(result);
    expect(error).toBeInstanceOf(CancelledError);
    expect(error.cause).toBe('stop');
    release(shared);
    expect(await pool.apply('add', [2, 2])).toBe(4);
    expect(runs(shared)).toEqual([1, 1, 0, 0]);
  });

  it('a queued map is cancelled in the shared queue without stopping a worker (numbers chunks)', async () => {
    const shared = cells(64);
    pool = gatedPool(shared);
    const worker = await pool.apply('whoAmI');
    hold(shared, 0);
    const blocker = pool.mapAsync('holdItem', [0]);
    await started(shared, 0);
    const controller = new AbortController();
    // All-number chunks go through the shared work queue: the abort must take them back out of it.
    const queued = pool.mapAsync(
      'holdItem',
      Array.from({ length: 63 }, (_, i) => i + 1),
      { chunksize: 4, signal: controller.signal },
    );
    const after = pool.mapAsync<number>('holdItem', [1], { chunksize: 1 });
    controller.abort();
    expect(await rejection(queued)).toBeInstanceOf(CancelledError);
    release(shared);
    expect(await blocker).toEqual([0]);
    expect(await after).toEqual([1]);
    expect(await pool.apply('whoAmI')).toBe(worker); // no worker was stopped for it
    expect(runs(shared).reduce((a, b) => a + b, 0)).toBe(2); // item 0 and the later map's item 1
  });
});

describe('MapOptions.timeout', () => {
  it('a runaway item fails the map with TimeoutError naming the item; its worker is replaced, other items run', async () => {
    const shared = cells(3);
    pool = gatedPool(shared);
    hold(shared, 1); // item 1 never returns by itself
    const began = performance.now();
    const error = await rejection(pool.mapAsync('holdItem', [0, 1, 2], { chunksize: 1, timeout: 100 }));
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.message).toMatch(/`holdItem` ran past its timeout of 100 ms.*\(item 1\)$/);
    expect(performance.now() - began).toBeGreaterThanOrEqual(95);
    expect(runs(shared)).toEqual([1, 1, 1]);
    release(shared);
    expect(await pool.map('holdItem', [2])).toEqual([2]);
  });

  it('the timeout is per chunk, counted from its start: a long map of short chunks passes', async () => {
    pool = new Pool({ workers: 1, module: JS_TASKS });
    // Twenty chunks of 60 ms run 1.2 s in all, past the 1 s any single chunk may take (and far above 60 ms).
    const items = Array.from({ length: 20 }, () => 60);
    expect(await pool.map('busy', items, { chunksize: 1, timeout: 1_000 })).toEqual(items);
  });

  it('pool.parallel: timeout applies to each part', async () => {
    const shared = cells(2);
    pool = gatedPool(shared);
    hold(shared, 1);
    const error = await rejection(pool.parallel('holdItem', { length: 2, parts: 2, args: (start) => [start], timeout: 80 }));
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.message).toMatch(/\(item 1\)$/);
  });

  it('bad signal and timeout are refused at the call, naming the option', () => {
    pool = new Pool({ workers: 1 });
    expect(() => pool!.mapAsync('square', [1], { timeout: -1 })).toThrow(/Expected `timeout` to be a finite number of milliseconds >= 0, got -1/);
    expect(() => pool!.mapAsync('square', [1], { timeout: 2 ** 31 })).toThrow(RangeError);
    expect(() => pool!.imap('square', [1], { signal: 'stop' as never })).toThrow(/Expected `signal` to be an AbortSignal/);
    expect(() => pool!.mapAsync('square', [1], { readAhead: 4 })).toThrow(/`readAhead` applies only to imap/);
    expect(() => pool!.imap('square', [1], { readAhead: 0 })).toThrow(/Expected `readAhead` to be a positive integer/);
    return expect(pool.parallel('square', { length: 1, args: () => [1], timeout: Number.NaN })).rejects.toThrow(/`timeout`/);
  });
});

describe('CancelledError.cause', () => {
  it("is the signal's reason for applyAsync, queued or already aborted", async () => {
    const shared = cells(1);
    pool = gatedPool(shared);
    hold(shared, 0);
    const blocker = pool.applyAsync('holdItem', [0]);
    await started(shared, 0);
    const controller = new AbortController();
    const queued = pool.applyAsync('add', [1, 2], { signal: controller.signal });
    const reason = new Error('x');
    controller.abort(reason);
    const error = await rejection(queued);
    expect(error).toBeInstanceOf(CancelledError);
    expect(error.cause).toBe(reason);
    expect((await rejection(pool.applyAsync('add', [1, 2], { signal: AbortSignal.abort(reason) }))).cause).toBe(reason);
    release(shared);
    expect(await blocker).toBe(0);
  });
});

describe('a failed map item names its index', () => {
  it('TaskError.index and "(item i)" for a chunked map, starmap and parallel part', async () => {
    pool = new Pool({ workers: 2, module: JS_TASKS });
    const items = Array.from({ length: 12 }, (_, i) => (i === 7 ? -1 : i));
    const error = (await rejection(pool.map('fillTypedArray', items, { chunksize: 4 }))) as TaskError;
    expect(error).toBeInstanceOf(TaskError);
    expect(error.index).toBe(7);
    expect(error.message).toMatch(/\(item 7\)$/);
    const star = (await rejection(pool.starmap('fail', [['a'], ['b']].slice(1), { chunksize: 1 }))) as TaskError;
    expect(star.message).toBe('b (item 0)');
    const part = (await rejection(pool.parallel('fillTypedArray', { length: 3, parts: 3, args: (start) => [start === 2 ? -1 : 1] }))) as TaskError;
    expect(part.index).toBe(2);
    // An apply task has no index.
    expect(((await rejection(pool.apply('fail', ['z']))) as TaskError).index).toBeUndefined();
  });

  it('an imap names the item by its index in the whole input, past the first read-ahead', async () => {
    pool = new Pool({ workers: 1, module: JS_TASKS });
    const seen: number[] = [];
    const items = Array.from({ length: 40 }, (_, i) => (i === 30 ? -1 : 1));
    const error = (await rejection(
      (async () => {
        for await (const v of pool!.imap<Float64Array>('fillTypedArray', items, { chunksize: 3, readAhead: 2 })) seen.push(v.length);
      })(),
    )) as TaskError;
    expect(error.index).toBe(30);
    expect(error.message).toMatch(/\(item 30\)$/);
    expect(seen).toHaveLength(30);
  });
});

describe('items must be an iterable of items', () => {
  it.each([
    ['mapAsync', (p: Pool) => p.mapAsync('square', 'abc' as never)],
    ['starmapAsync', (p: Pool) => p.starmapAsync('add', 'abc' as never)],
    ['imap', (p: Pool) => p.imap('square', 'abc' as never)],
    ['istarmap', (p: Pool) => p.istarmap('add', 'abc' as never)],
    ['imap of a number', (p: Pool) => p.imap('square', 5 as never)],
  ])('%s refuses a string or a non-iterable with a TypeError naming `items`', (_name, call) => {
    pool = new Pool({ workers: 1 });
    expect(() => call(pool!)).toThrow(TypeError);
    expect(() => call(pool!)).toThrow(/Expected `items` to be an iterable/);
    expect(pool.stats().queued).toBe(0);
  });

  it('map rejects (not throws) a string', async () => {
    pool = new Pool({ workers: 1 });
    await expect(pool.map('square', 'abc' as never)).rejects.toThrow(/not a string/);
  });
});
