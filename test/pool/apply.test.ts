import { afterEach, describe, expect, it } from 'vitest';
import { AsyncResult, Pool } from 'wasmpool';
import { HANDSHAKES, JS_TASKS, rejection } from '../helpers.js';

let pool: Pool | undefined;
afterEach(async () => {
  await pool?.terminate();
  pool = undefined;
});

describe('applyAsync', () => {
  it('returns an AsyncResult at once and resolves with the kernel value', async () => {
    pool = new Pool({ workers: 2 });
    const result = pool.applyAsync<number>('add', [2, 3]);
    expect(result).toBeInstanceOf(AsyncResult);
    expect(await result.get()).toBe(5);
    expect(await result).toBe(5);
  });

  it('getSync works for the first call on a brand-new pool from synchronous code', () => {
    pool = new Pool({ workers: 1 });
    expect(pool.applyAsync('add', [40, 2]).getSync()).toBe(42);
  });

  it('passes every result type back through getSync: numbers, strings, objects, typed arrays, bigint', () => {
    pool = new Pool({ workers: 2, module: JS_TASKS });
    expect(pool.applyAsync('echo', [1.5]).getSync()).toBe(1.5);
    expect(pool.applyAsync('echo', ['text']).getSync()).toBe('text');
    expect(pool.applyAsync('echo', [{ a: [1, { b: 2 }] }]).getSync()).toEqual({ a: [1, { b: 2 }] });
    expect(pool.applyAsync('echo', [10n]).getSync()).toBe(10n);
    expect(pool.applyAsync('echo', [null]).getSync()).toBeNull();
    const array = pool.applyAsync<Float64Array>('fillTypedArray', [4]).getSync();
    expect(array).toBeInstanceOf(Float64Array);
    expect([...array]).toEqual([0, 0.5, 1, 1.5]);
  });

  it('apply returns a Promise of the value, and awaits async JS kernels', async () => {
    pool = new Pool({ workers: 2, module: JS_TASKS });
    await expect(pool.apply('addLater', [1, 2])).resolves.toBe(3);
    expect(pool.applyAsync('addLater', [5, 6]).getSync()).toBe(11);
  });

  it('calls callback with the value, and errorCallback with the error', async () => {
    pool = new Pool({ workers: 2, module: JS_TASKS });
    const seen: unknown[] = [];
    await pool.applyAsync('add', [1, 1], { callback: (v) => seen.push(['ok', v]) }).wait();
    await pool.applyAsync('fail', ['nope'], { errorCallback: (e) => seen.push(['err', e.message]) }).wait();
    expect(seen).toEqual([
      ['ok', 2],
      ['err', 'nope'],
    ]);
  });

  it('runs 20,000 apply tasks with nothing lost or duplicated', async () => {
    pool = new Pool({ workers: 2 });
    const results = Array.from({ length: 20_000 }, (_, i) => pool!.applyAsync<number>('add', [i, 0.5]));
    const values = await Promise.all(results.map((r) => r.get()));
    expect(values.length).toBe(20_000);
    values.forEach((value, i) => expect(value).toBe(i + 0.5));
  });

  // Forced by handshake (it relied on two 150 ms tasks overlapping, which a busy machine does not guarantee):
  // each task waits inside the kernel until the other runs, so they can only finish if they run at once.
  it('runs concurrent tasks on different workers at the same time', async () => {
    pool = new Pool({ workers: 2, module: HANDSHAKES, initializer: 'attach', initargs: [new SharedArrayBuffer(4)] });
    const [a, b] = await Promise.all([pool.apply<{ threadId: number }>('meetAt', [2]), pool.apply<{ threadId: number }>('meetAt', [2])]);
    expect(a.threadId).not.toBe(b.threadId);
  });

  it('rejects bad arguments at the call for the Promise forms too', async () => {
    pool = new Pool({ workers: 1 });
    const error = await rejection(pool.apply('add', [1, 'two']));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(/args\[1\].*`add`.*a number.*"two"/);
  });
});
