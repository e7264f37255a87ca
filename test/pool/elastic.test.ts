import { afterEach, describe, expect, it } from 'vitest';
import { Pool, QueueFullError, TimeoutError, WorkerCrashError } from 'wasmpool';
import { JS_TASKS, fixture, rejection, thrown, until } from '../helpers.js';

let pool: Pool | undefined;
afterEach(async () => {
  await pool?.terminate();
  pool = undefined;
});

describe('elastic size', () => {
  it('minWorkers: 0 starts no thread, grows under load up to workers, and shrinks back after idleTimeout', async () => {
    pool = new Pool({ workers: 2, minWorkers: 0, idleTimeout: 50, module: JS_TASKS });
    expect(pool.stats().workers).toBe(0);
    const results = Array.from({ length: 20 }, () => pool!.applyAsync<number>('busyThenWho', [5]));
    expect(pool.stats().workers).toBe(2);
    const threads = new Set(await Promise.all(results.map((r) => r.get())));
    expect(threads.size).toBe(2);
    await until(() => pool!.stats().workers === 0);
    expect(await pool.apply('add', [1, 2])).toBe(3); // a fresh worker, same module
  });

  it('getSync() works from synchronous code on a pool with no live worker', () => {
    pool = new Pool({ workers: 2, minWorkers: 0 });
    expect(pool.stats().workers).toBe(0);
    expect(pool.applyAsync('add', [40, 2]).getSync()).toBe(42);
  });

  it('shared memory survives the workers: an array written before a shrink is read after it', async () => {
    pool = new Pool({ workers: 1, minWorkers: 0, idleTimeout: 20 });
    const values = pool.alloc(Float64Array, 4);
    values.set([1, 2, 3, 4]);
    expect(await pool.apply('sumF64', [values])).toBe(10);
    await until(() => pool!.stats().workers === 0);
    await pool.apply('scaleF64', [2, values]);
    expect([...values]).toEqual([2, 4, 6, 8]);
  });

  it('keeps minWorkers when idle', async () => {
    pool = new Pool({ workers: 2, minWorkers: 1, idleTimeout: 20, module: JS_TASKS });
    await Promise.all(Array.from({ length: 10 }, () => pool!.apply('busy', [5])));
    await until(() => pool!.stats().workers === 1);
    expect(pool.stats().workers).toBe(1);
  });

  it('a crash while the pool is shrinking fails only that task; a timeout on the last live worker heals', async () => {
    pool = new Pool({ workers: 2, minWorkers: 0, idleTimeout: 10, module: JS_TASKS });
    expect(await rejection(pool.applyAsync('exit', [3]))).toBeInstanceOf(WorkerCrashError);
    expect(await rejection(pool.applyAsync('busy', [10_000], { timeout: 30 }))).toBeInstanceOf(TimeoutError);
    expect(await pool.apply('add', [2, 2])).toBe(4);
    await until(() => pool!.stats().workers === 0);
  });
});

describe('priorities', () => {
  it('larger runs first, FIFO within a priority; a map’s chunks inherit it', async () => {
    pool = new Pool({ workers: 1, module: JS_TASKS });
    const order: string[] = [];
    const gate = new Int32Array(new SharedArrayBuffer(8));
    const blocker = pool.applyAsync('holdUntilReleased', [gate.buffer]);
    await until(() => Atomics.load(gate, 1) === 1); // the only worker is busy: everything below queues
    const low = ['low-a', 'low-b'].map((label) => pool!.applyAsync('echo', [label], { callback: () => order.push(label) }));
    const map = pool.mapAsync('echo', ['map-1', 'map-2'], { chunksize: 1, priority: 5, callback: () => order.push('map') });
    const high = ['high-a', 'high-b'].map((label) => pool!.applyAsync('echo', [label], { priority: 10, callback: () => order.push(label) }));
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
    await Promise.all([blocker.get(), map.get(), ...low.map((r) => r.get()), ...high.map((r) => r.get())]);
    expect(order).toEqual(['high-a', 'high-b', 'map', 'low-a', 'low-b']);
  });

  it('a high-priority task submitted behind 20,000 queued ones is the next to start (aging lets at most 7 go first)', async () => {
    pool = new Pool({ workers: 1, module: JS_TASKS });
    const gate = new Int32Array(new SharedArrayBuffer(8));
    const blocker = pool.applyAsync('holdUntilReleased', [gate.buffer]);
    await until(() => Atomics.load(gate, 1) === 1); // the only worker is busy: all 20,000 queue, most in shared memory
    let lowDone = 0;
    const lows = Array.from({ length: 20_000 }, (_, i) => pool!.applyAsync('add', [i, 0], { callback: () => lowDone++ }));
    let doneBeforeHigh = -1;
    const high = pool.applyAsync('add', [1, 1], { priority: 10, callback: () => (doneBeforeHigh = lowDone) });
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
    expect(await high.get()).toBe(2);
    await Promise.all([blocker.get(), ...lows.map((r) => r.get())]);
    expect(doneBeforeHigh).toBeGreaterThanOrEqual(0);
    expect(doneBeforeHigh).toBeLessThanOrEqual(7);
  });

  it('aging: a low-priority task is not starved by a steady stream of high ones', async () => {
    pool = new Pool({ workers: 1, module: JS_TASKS });
    const gate = new Int32Array(new SharedArrayBuffer(8));
    const blocker = pool.applyAsync('holdUntilReleased', [gate.buffer]);
    await until(() => Atomics.load(gate, 1) === 1);
    let highDone = 0;
    let highsBeforeLow = -1;
    const low = pool.applyAsync('add', [0, 0], { callback: () => (highsBeforeLow = highDone) });
    // 100 high-priority tasks queued after it, in the JS queue: the rule takes the oldest every 8th pick.
    const highs = Array.from({ length: 100 }, (_, i) => pool!.applyAsync('add', [i, 1], { priority: 5, callback: () => highDone++ }));
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
    await Promise.all([blocker.get(), low.get(), ...highs.map((r) => r.get())]);
    expect(highsBeforeLow).toBeGreaterThanOrEqual(0);
    expect(highsBeforeLow).toBeLessThan(8);
  });
});

describe('backpressure', () => {
  it('maxQueued: a submission that would exceed it throws QueueFullError at the call, naming the limit', async () => {
    pool = new Pool({ workers: 1, maxQueued: 3, module: JS_TASKS });
    const gate = new Int32Array(new SharedArrayBuffer(8));
    const blocker = pool.applyAsync('holdUntilReleased', [gate.buffer]);
    await until(() => Atomics.load(gate, 1) === 1);
    const queued = [1, 2, 3].map((i) => pool!.applyAsync('add', [i, 0]));
    expect(pool.size).toBe(3);
    const error = thrown(() => pool!.applyAsync('add', [4, 0]));
    expect(error).toBeInstanceOf(QueueFullError);
    expect(error.message).toMatch(/`maxQueued` \(3\)/);
    expect(thrown(() => pool!.mapAsync('add', [1, 2], { chunksize: 1 }))).toBeInstanceOf(QueueFullError);
    expect(pool.size).toBe(3);
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
    await Promise.all([blocker.get(), ...queued.map((r) => r.get())]);
  });

  it('onSizeLessThan, onEmpty and onIdle resolve as the queue drains; size and pending count units', async () => {
    pool = new Pool({ workers: 1, module: JS_TASKS });
    const gate = new Int32Array(new SharedArrayBuffer(8));
    const blocker = pool.applyAsync('holdUntilReleased', [gate.buffer]);
    await until(() => Atomics.load(gate, 1) === 1);
    const queued = Array.from({ length: 10 }, (_, i) => pool!.applyAsync('add', [i, 0]));
    expect(pool.pending).toBe(1);
    expect(pool.size).toBe(10);
    const seen: string[] = [];
    const watchers = [
      pool.onSizeLessThan(5).then(() => seen.push(`below 5 (done ${queued.filter((r) => r.ready()).length})`)),
      pool.onEmpty().then(() => seen.push('empty')),
      pool.onIdle().then(() => seen.push('idle')),
    ];
    await Promise.resolve();
    expect(seen).toEqual([]);
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
    await Promise.all(watchers);
    expect(await blocker.get()).toBe(7);
    expect(seen.slice(-1)).toEqual(['idle']);
    expect(seen).toContain('empty');
    expect(pool.size + pool.pending).toBe(0);
    await pool.onIdle(); // at once when idle
  });
});

describe('stats', () => {
  it('reports run and wait time percentiles and per-worker utilisation', async () => {
    pool = new Pool({ workers: 2, module: JS_TASKS });
    await Promise.all(Array.from({ length: 40 }, () => pool!.apply('busy', [2])));
    const stats = pool.stats();
    expect(stats.runTime.count).toBe(40);
    expect(stats.runTime.p50).toBeGreaterThanOrEqual(1.5);
    expect(stats.runTime.max).toBeGreaterThanOrEqual(stats.runTime.p99);
    expect(stats.waitTime.count).toBe(40);
    expect(stats.perWorker).toHaveLength(2);
    expect(stats.utilization).toBeGreaterThan(0);
    expect(stats.utilization).toBeLessThanOrEqual(1);
  });
});

describe('recycling on memory growth', () => {
  it('a worker whose heap passes maxWorkerMemory is replaced before its next task; the task succeeds', async () => {
    pool = new Pool({ workers: 1, maxWorkerMemory: 64, module: fixture('js/leaky.mjs') });
    const first = await pool.apply<number>('whoami');
    expect(await pool.apply<number>('leak', [100])).toBeGreaterThanOrEqual(100); // the leaking task itself succeeds
    const second = await pool.apply<number>('whoami');
    expect(second).not.toBe(first);
    expect(await pool.apply<number>('retainedMb')).toBe(0); // a fresh heap
  });
});
