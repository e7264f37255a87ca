import { afterEach, describe, expect, it } from 'vitest';
import { Pool, QueueFullError, TimeoutError, WorkerCrashError } from 'wasmpool';
import { HANDSHAKES, JS_TASKS, fixture, rejection, thrown, until } from '../helpers.js';

let pool: Pool | undefined;
afterEach(async () => {
  await pool?.terminate();
  pool = undefined;
});

describe('elastic size', () => {
  it('minWorkers: 0 starts no thread, grows under load up to workers, and shrinks back after idleTimeout', async () => {
    pool = new Pool({ workers: 2, minWorkers: 0, idleTimeout: 50, module: HANDSHAKES, initializer: 'attach', initargs: [new SharedArrayBuffer(4)] });
    expect(pool.stats().workers).toBe(0);
    // Two items that meet inside the kernel (so one ran on each worker, whatever the start-up order), then load.
    const met = [0, 1].map(() => pool!.applyAsync<{ threadId: number }>('meetAt', [2]));
    const rest = Array.from({ length: 18 }, () => pool!.applyAsync<number>('busyFor', [1]));
    expect(pool.stats().workers).toBe(2);
    const threads = new Set((await Promise.all(met.map((r) => r.get()))).map((r) => r.threadId));
    expect(threads.size).toBe(2);
    await Promise.all(rest.map((r) => r.get()));
    await until(() => pool!.stats().workers === 0);
    expect(threads.has(await pool.apply<number>('busyFor', [0]))).toBe(false); // a fresh worker, same module
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

  // Kills: idle workers retiring below minWorkers. The worker kept must be one of the two that ran the load (a
  // pool that retired both and started a fresh one would show a new thread).
  it('keeps minWorkers when idle: one of the workers that ran the load stays, many idle timeouts later', async () => {
    pool = new Pool({ workers: 2, minWorkers: 1, idleTimeout: 20, module: HANDSHAKES });
    const meeting = new SharedArrayBuffer(4);
    const ran = await pool.starmap<{ threadId: number }>(
      'meet',
      [
        [meeting, 2],
        [meeting, 2],
      ],
      { chunksize: 1 },
    );
    const threads = new Set(ran.map((r) => r.threadId));
    expect(threads.size).toBe(2); // it grew to both workers: the two items met inside the kernel
    await until(() => pool!.stats().workers === 1);
    // That nothing more retires can only be seen over time: ten idle timeouts (a bound, not a handshake).
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(pool.stats().workers).toBe(1);
    expect(threads.has(await pool.apply<number>('busyFor', [0]))).toBe(true);
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

  // Kills: `size` reported as huge whenever anything is queued (onSizeLessThan(n) would then act as onEmpty).
  // One worker, eleven gated tasks released one at a time: after task k is done, tasks 0..k (and perhaps k+1)
  // have been taken, so exactly 10-k or 9-k are queued. onSizeLessThan(5) must not have resolved after task 4
  // (5 or 6 queued) and must have resolved after task 6 (3 or 4 queued), seeing fewer than 5 but not 0.
  it('onSizeLessThan(5) resolves when the fifth-last queued unit is taken, not when the queue is empty', async () => {
    const shared = new SharedArrayBuffer(4 * 2 * 11);
    const cells = new Int32Array(shared);
    pool = new Pool({ workers: 1, module: HANDSHAKES, initializer: 'attach', initargs: [shared] });
    const tasks = Array.from({ length: 11 }, (_, i) => pool!.applyAsync<number>('gatedAt', [i]));
    await until(() => Atomics.load(cells, 1) === 1); // task 0 runs: the other ten are queued
    expect(pool.size).toBe(10);
    expect(pool.pending).toBe(1);
    let sizeSeen = -1;
    const below5 = pool.onSizeLessThan(5).then(() => (sizeSeen = pool!.size));
    const release = async (k: number) => {
      Atomics.store(cells, 2 * k, 1);
      expect(await tasks[k].get()).toBe(k);
      await new Promise((resolve) => setImmediate(resolve)); // the watchers' promise callbacks run
    };
    for (let k = 0; k <= 4; k++) await release(k);
    expect(sizeSeen).toBe(-1);
    expect(pool.size).toBeGreaterThanOrEqual(5);
    await release(5);
    await release(6);
    expect(sizeSeen).toBeGreaterThanOrEqual(3);
    expect(sizeSeen).toBeLessThan(5);
    for (let k = 7; k <= 10; k++) await release(k);
    await below5;
    expect(pool.size + pool.pending).toBe(0);
  });

  // Kills (Stryker): onIdle() resolving at once when only `pending` (or only `size`) is 0. Before the first
  // worker has started, the unit is queued and nothing runs; then it runs (held by a gate) and nothing is queued.
  it('onIdle() waits for a unit queued before any worker started, and for one running with nothing queued', async () => {
    const shared = new SharedArrayBuffer(8);
    const cells = new Int32Array(shared);
    pool = new Pool({ workers: 1, minWorkers: 0, module: HANDSHAKES, initializer: 'attach', initargs: [shared] });
    const task = pool.applyAsync<number>('gatedAt', [0]);
    expect([pool.size, pool.pending]).toEqual([1, 0]); // no worker yet: a thread takes milliseconds to start
    let idleWhileQueued = false;
    const first = pool.onIdle().then(() => (idleWhileQueued = true));
    await until(() => Atomics.load(cells, 1) === 1); // now running, nothing queued
    expect([pool.size, pool.pending]).toEqual([0, 1]);
    let idleWhileRunning = false;
    const second = pool.onIdle().then(() => (idleWhileRunning = true));
    for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect([idleWhileQueued, idleWhileRunning]).toEqual([false, false]);
    Atomics.store(cells, 0, 1);
    expect(await task.get()).toBe(0);
    await Promise.all([first, second]);
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
      pool.onSizeLessThan(5).then(() => seen.push('below 5')),
      pool.onEmpty().then(() => seen.push('empty')),
      pool.onIdle().then(() => seen.push('idle')),
    ];
    await Promise.resolve();
    expect(seen).toEqual([]);
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
    await Promise.all(watchers);
    expect(await blocker.get()).toBe(7);
    expect(await Promise.all(queued.map((r) => r.get()))).toEqual(Array.from({ length: 10 }, (_, i) => i));
    // The order is fixed: fewer than 5 queued comes no later than empty, and idle (nothing running) last.
    expect(seen).toEqual(['below 5', 'empty', 'idle']);
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

  // A task with a SharedArrayBuffer view goes by message (no completion entry to carry its times): its run and wait
  // time still count, for a value that comes back in the slot (a number) and one that comes by message.
  it('counts the run and wait time of tasks that went by message', async () => {
    pool = new Pool({ workers: 2, module: JS_TASKS });
    const view = new Float64Array(new SharedArrayBuffer(32));
    const numbers = Array.from({ length: 4 }, (_, i) => pool!.apply('echo', [i, view]));
    const objects = Array.from({ length: 4 }, () => pool!.apply('describeValue', [view]));
    await Promise.all([...numbers, ...objects]);
    await until(() => pool!.stats().runTime.count === 8);
    const { runTime, waitTime, perWorker } = pool.stats();
    expect(waitTime.count).toBe(8);
    expect(runTime.max).toBeGreaterThan(0);
    expect(perWorker.reduce((sum, worker) => sum + worker.busyMs, 0)).toBeGreaterThan(0);
  });

  // Kills: run time recorded as wait time (or the reverse). One worker holds a gated task for at least 60 ms
  // while four 2 ms tasks wait behind it: four of five waits are >= 60 ms, four of five runs are short.
  it('books the time queued as wait time and the time in a worker as run time', async () => {
    const shared = new SharedArrayBuffer(8);
    const cells = new Int32Array(shared);
    pool = new Pool({ workers: 1, module: HANDSHAKES, initializer: 'attach', initargs: [shared] });
    const gated = pool.applyAsync('gatedAt', [0]);
    await until(() => Atomics.load(cells, 1) === 1);
    const queued = Array.from({ length: 4 }, () => pool!.applyAsync('busyFor', [2]));
    // A duration to measure, not a wait for another thread: the gated task runs, and the others wait, this long.
    await new Promise((resolve) => setTimeout(resolve, 60));
    Atomics.store(cells, 0, 1);
    await Promise.all([gated.get(), ...queued.map((r) => r.get())]);
    await pool.onIdle();
    const { runTime, waitTime } = pool.stats();
    expect([runTime.count, waitTime.count]).toEqual([5, 5]);
    expect(waitTime.p50).toBeGreaterThanOrEqual(58);
    expect(runTime.max).toBeGreaterThanOrEqual(58); // the gated task ran that long
    expect(runTime.p50).toBeLessThan(40); // the 2 ms tasks (generous: the machine may be shared)
  });

  // Kills: all busy time booked to one worker. Two items meet (one on each worker), then each stays busy 40 ms.
  it('books each worker its own busy time', async () => {
    pool = new Pool({ workers: 2, module: HANDSHAKES, initializer: 'attach', initargs: [new SharedArrayBuffer(4)] });
    const ran = await Promise.all([pool.apply<{ threadId: number }>('meetAt', [2, 40]), pool.apply<{ threadId: number }>('meetAt', [2, 40])]);
    expect(new Set(ran.map((r) => r.threadId)).size).toBe(2);
    // A result that travels by message can arrive before its completion entry (which carries the run time) is
    // read; onIdle() waits until the pool's own counts show nothing running.
    await pool.onIdle();
    const { perWorker, utilization } = pool.stats();
    expect(perWorker).toHaveLength(2);
    for (const worker of perWorker) {
      expect(worker.busyMs).toBeGreaterThanOrEqual(38);
      expect(worker.utilization).toBeGreaterThan(0);
      expect(worker.utilization).toBeLessThanOrEqual(1);
    }
    expect(new Set(perWorker.map((w) => w.id)).size).toBe(2);
    expect(utilization).toBeGreaterThan(0);
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
