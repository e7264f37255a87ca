import { afterEach, describe, expect, it } from 'vitest';
import { Pool, TaskError } from 'wasmpool';
import { JS_TASKS, rejection } from '../helpers.js';

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
  it('imap yields in input order', async () => {
    pool = new Pool({ workers: 2, module: JS_TASKS });
    const out: number[] = [];
    for await (const v of pool.imap<number>('busy', [40, 5, 20, 1])) out.push(v);
    expect(out).toEqual([40, 5, 20, 1]);
  });

  it('imapUnordered yields every item, in completion order', async () => {
    pool = new Pool({ workers: 2, module: JS_TASKS });
    const out: number[] = [];
    for await (const v of pool.imapUnordered<number>('busy', [200, 5, 5, 5])) out.push(v);
    expect([...out].sort((a, b) => a - b)).toEqual([5, 5, 5, 200]);
    expect(out.at(-1)).toBe(200);
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
