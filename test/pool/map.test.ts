import { afterEach, describe, expect, it } from 'vitest';
import { Pool, TaskError } from 'wasmpool';
import { HANDSHAKES, JS_TASKS, rejection, until } from '../helpers.js';

let pool: Pool | undefined;
afterEach(async () => {
  await pool?.terminate();
  pool = undefined;
});

describe('mapAsync / starmapAsync', () => {
  it('maps in input order', async () => {
    pool = new Pool({ workers: 2 });
    const items = Array.from({ length: 101 }, (_, i) => i);
    expect(await pool.mapAsync('square', items)).toEqual(items.map((x) => x * x));
    expect(await pool.map('square', new Set([3, 4]))).toEqual([9, 16]);
  });

  it('starmaps argument lists', async () => {
    pool = new Pool({ workers: 2 });
    expect(
      await pool.starmapAsync('add', [
        [1, 2],
        [3, 4],
        [5, 6],
      ]),
    ).toEqual([3, 7, 11]);
    expect(await pool.starmap('add', [[0.5, 0.25]])).toEqual([0.75]);
  });

  it('resolves an empty map to [] and calls callback once with it', async () => {
    pool = new Pool({ workers: 1 });
    const calls: unknown[] = [];
    const result = pool.mapAsync('square', [], { callback: (v) => calls.push(v) });
    expect(result.ready()).toBe(true);
    expect(await result).toEqual([]);
    expect(calls).toEqual([[]]);
  });

  it('maps 20,000 items with nothing lost or duplicated, whatever the chunksize', async () => {
    pool = new Pool({ workers: 2 });
    const items = Array.from({ length: 20_000 }, (_, i) => i);
    for (const chunksize of [undefined, 1, 7, 20_000]) {
      const values = await pool.mapAsync<number>('identity', items, chunksize === undefined ? undefined : { chunksize });
      expect(values).toEqual(items);
    }
  });

  it('reports progress by items: constant total, never decreasing, ending at total', async () => {
    pool = new Pool({ workers: 2 });
    const progress: Array<[number, number]> = [];
    await pool.mapAsync(
      'square',
      Array.from({ length: 50 }, (_, i) => i),
      { chunksize: 7, onProgress: (done, total) => progress.push([done, total]) },
    );
    expect(progress.length).toBe(Math.ceil(50 / 7));
    expect(progress.every(([, total]) => total === 50)).toBe(true);
    for (let i = 1; i < progress.length; i++) expect(progress[i][0]).toBeGreaterThan(progress[i - 1][0]);
    expect(progress.at(-1)).toEqual([50, 50]);
  });

  it("uses Python's default chunksize: ceil(len / (4 * workers))", async () => {
    pool = new Pool({ workers: 2 });
    const progress: number[] = [];
    await pool.mapAsync(
      'square',
      Array.from({ length: 100 }, (_, i) => i),
      { onProgress: (done) => progress.push(done) },
    );
    // 100 items on 2 workers: chunks of 13 (the last one 9), so 8 progress steps.
    const steps = progress.map((done, i) => done - (progress[i - 1] ?? 0)).sort((a, b) => a - b);
    expect(steps).toEqual([9, 13, 13, 13, 13, 13, 13, 13]);
  });

  it('fails with the first error but only once every chunk is back; errorCallback is called once', async () => {
    pool = new Pool({ workers: 2, module: JS_TASKS });
    const errors: Error[] = [];
    const progress: number[] = [];
    const result = pool.starmapAsync('fail', [['first'], ['second'], ['third']], {
      chunksize: 1,
      errorCallback: (e) => errors.push(e),
      onProgress: (done) => progress.push(done),
    });
    const error = await rejection(result);
    expect(error).toBeInstanceOf(TaskError);
    // The message names the failed item by its index in the input, and so does `index`.
    expect(['first (item 0)', 'second (item 1)', 'third (item 2)']).toContain(error.message);
    expect((error as TaskError).index).toBe(['first', 'second', 'third'].indexOf(error.message.split(' ')[0]));
    expect(progress.at(-1)).toBe(3);
    expect(errors).toEqual([error]);
    expect(result.successful()).toBe(false);
  });

  it('numbers in, mixed results out: every item is computed once, and the values keep their types', async () => {
    pool = new Pool({ workers: 1, module: JS_TASKS });
    for (const items of [
      [0, 1, 2],
      [1, 0, 2],
    ]) {
      expect(await pool.map('countedLabel', items, { chunksize: 3 })).toEqual(items.map((x) => (x === 0 ? 'zero' : x)));
      expect(await pool.apply('takeCallCount')).toBe(3);
    }
  });

  it('calls callback once with the whole array', async () => {
    pool = new Pool({ workers: 2 });
    const calls: number[][] = [];
    await pool.mapAsync<number>('square', [1, 2, 3], { chunksize: 1, callback: (v) => calls.push(v) }).wait();
    expect(calls).toEqual([[1, 4, 9]]);
  });

  it('getSync waits for a whole map', () => {
    pool = new Pool({ workers: 2 });
    expect(pool.mapAsync('square', [1, 2, 3, 4], { chunksize: 1 }).getSync()).toEqual([1, 4, 9, 16]);
  });
});

describe('imap / imapUnordered', () => {
  // Kills: imap made unordered. Item 0 and item 1 run at once on the two workers, each held by its own gate;
  // the test lets item 1 finish first, and the iterator must still give item 0 first.
  it('imap yields in input order even when a later item finishes first', async () => {
    const shared = new SharedArrayBuffer(4 * 4);
    const cells = new Int32Array(shared);
    pool = new Pool({ workers: 2, module: HANDSHAKES, initializer: 'attach', initargs: [shared] });
    const iterator = pool.imap<number>('gatedAt', [0, 1])[Symbol.asyncIterator]();
    let first: number | undefined;
    const firstNext = iterator.next().then((r) => (first = r.value as number));
    await until(() => Atomics.load(cells, 1) === 1 && Atomics.load(cells, 3) === 1); // both items running
    Atomics.store(cells, 2, 1); // item 1 finishes
    await until(() => pool!.pending === 1); // its completion is in: only item 0 still runs
    for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(first).toBeUndefined(); // item 0 has not finished, so nothing can be yielded yet
    Atomics.store(cells, 0, 1);
    await firstNext;
    expect(first).toBe(0);
    expect((await iterator.next()).value).toBe(1);
    expect((await iterator.next()).done).toBe(true);
  });

  // Kills: imap's chunksize default of 1 (Python's) replaced by map's ceil(len / (4 * workers)), here 5.
  it('imap sends one item per chunk unless told otherwise: progress moves one item at a time', async () => {
    pool = new Pool({ workers: 2, module: JS_TASKS });
    const progress: number[] = [];
    const out: number[] = [];
    for await (const v of pool.imap<number>(
      'echo',
      Array.from({ length: 40 }, (_, i) => i),
      { onProgress: (done) => progress.push(done) },
    ))
      out.push(v);
    expect(out).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(progress).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it('imapUnordered yields in completion order: the item finished first comes first', async () => {
    const shared = new SharedArrayBuffer(4 * 4);
    const cells = new Int32Array(shared);
    pool = new Pool({ workers: 2, module: HANDSHAKES, initializer: 'attach', initargs: [shared] });
    const iterator = pool.imapUnordered<number>('gatedAt', [0, 1])[Symbol.asyncIterator]();
    let first: number | undefined;
    void iterator.next().then((r) => (first = r.value as number));
    await until(() => Atomics.load(cells, 1) === 1 && Atomics.load(cells, 3) === 1);
    Atomics.store(cells, 2, 1); // item 1 finishes while item 0 is held
    await until(() => first !== undefined, 5_000); // fails, rather than hangs, if it waited for item 0
    expect(first).toBe(1);
    Atomics.store(cells, 0, 1);
    expect((await iterator.next()).value).toBe(0);
    expect((await iterator.next()).done).toBe(true);
  });

  it("imap throws the failing item's error when iteration reaches it", async () => {
    pool = new Pool({ workers: 1, module: JS_TASKS });
    const seen: number[] = [];
    // fillTypedArray(-1) throws (an invalid typed array length); the items around it succeed.
    const results = pool.imap<Float64Array>('fillTypedArray', [1, 2, -1, 3]);
    // One worker runs in submission order: once this returns, every item above has finished, the failure
    // included. Iteration must still give the items before it first.
    expect(await pool.apply('echo', ['after'])).toBe('after');
    const error = await rejection(
      (async () => {
        for await (const v of results) seen.push(v.length);
      })(),
    );
    expect(seen).toEqual([1, 2]); // the items before it, in order; the one after it is never reached
    expect(error).toBeInstanceOf(TaskError);
    expect(error.message).toMatch(/length/i);
    expect((error as TaskError).kernel).toBe('fillTypedArray');
  });
});
