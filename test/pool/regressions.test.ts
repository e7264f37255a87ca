import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { Pool, TaskError, TimeoutError } from 'wasmpool';
import { JS_TASKS, rejection } from '../helpers.js';

let pool: Pool | undefined;
afterEach(async () => {
  await pool?.terminate();
  pool = undefined;
});

describe('tasks that could not settle or took the process down', () => {
  it('a map item that cannot be cloned fails that map with a TypeError naming it; the pool goes on', async () => {
    pool = new Pool({ workers: 2, module: JS_TASKS });
    const error = await rejection(pool.map('echo', [1, () => 2, 3]));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(/`items\[1\]`/);
    expect(pool.stats()).toMatchObject({ queued: 0, running: 0, slotsInUse: 0 });
    expect(await pool.map('echo', ['a', 'b'])).toEqual(['a', 'b']);
  });

  it('a map item whose getter throws fails that map; later submissions are unaffected', async () => {
    pool = new Pool({ workers: 2, module: JS_TASKS });
    const bad = {
      get value(): number {
        throw new Error('getter says no');
      },
    };
    const error = await rejection(pool.map('echo', [{ ok: 1 }, bad]));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(/getter says no/);
    expect(await pool.apply('add', [2, 3])).toBe(5);
    expect(await pool.map('echo', [{ ok: 1 }])).toEqual([{ ok: 1 }]);
  });

  it('applyAsync with an argument that cannot be cloned throws at the call, naming it', () => {
    pool = new Pool({ workers: 1, module: JS_TASKS });
    expect(() => pool!.applyAsync('echo', [Symbol('no')])).toThrow(/`args\[0\]`.*cannot be copied/);
    expect(pool.stats()).toMatchObject({ queued: 0, running: 0, slotsInUse: 0 });
  });

  it('a kernel whose result cannot be sent back fails with a TaskError, and errorCallback is called', async () => {
    pool = new Pool({ workers: 1, module: JS_TASKS });
    const errors: Error[] = [];
    const error = await rejection(pool.applyAsync('returnFunction', [], { errorCallback: (e) => errors.push(e) }));
    expect(error).toBeInstanceOf(TaskError);
    expect(error.message).toMatch(/returned a value that cannot be sent back/);
    expect(errors).toEqual([error]);
    expect(await pool.apply('add', [1, 1])).toBe(2);
  });

  it('maxTasksPerWorker: 1 with close(): retired workers are replaced until the queue is empty; join() waits', async () => {
    pool = new Pool({ workers: 3, maxTasksPerWorker: 1, module: JS_TASKS });
    const results = Array.from({ length: 6 }, () => pool!.applyAsync<number>('busyThenWho', [30]));
    pool.close();
    await pool.join();
    expect(results.every((r) => r.ready())).toBe(true);
    const threads = await Promise.all(results.map((r) => r.get()));
    expect(new Set(threads).size).toBe(6); // one task per worker thread
    expect(pool.stats()).toMatchObject({ workers: 0, queued: 0, running: 0 });
  });
});

describe('what a task takes is given back', () => {
  it('an AbortSignal shared by 20,000 tasks has no abort listener left once they settle', async () => {
    pool = new Pool({ workers: 2 });
    const controller = new AbortController();
    const warnings: Error[] = [];
    const onWarning = (warning: Error): number => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const results = Array.from({ length: 20_000 }, (_, i) => pool!.applyAsync<number>('add', [i, 1], { signal: controller.signal }));
      await Promise.all(results.map((r) => r.get()));
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
  });

  it('temporary copies of plain arrays are freed once a timed-out task’s worker has exited', async () => {
    pool = new Pool({ workers: 1 });
    const big = 1 << 20; // 8 MiB of f64 per copy
    await pool.apply('sumF64', [new Float64Array(big)]);
    const before = pool.memory!.buffer.byteLength;
    for (let i = 0; i < 6; i++) {
      // Sorting 2^20 random numbers takes tens of ms: the copy is held by a task stopped mid-sort.
      const values = Float64Array.from({ length: big }, () => Math.random());
      expect(await rejection(pool.applyAsync('sortF64', [values], { timeout: 2 }))).toBeInstanceOf(TimeoutError);
    }
    expect(await pool.apply('sumF64', [new Float64Array(big).fill(1)])).toBe(big);
    // Without the fix every timed-out copy stays: 6 × 8 MiB more.
    expect(pool.memory!.buffer.byteLength - before).toBeLessThanOrEqual(2 * 8 * big);
  });
});
