// Issue 16's reproductions, each as it was found: the core used the way real programs use it (callbacks that
// call back in, elastic pools of 8, servers that map for hours, cancellation while everything is busy).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { CancelledError, Pool, TaskError, type AsyncResult } from 'wasmpool';
import { JS_TASKS, fixture, rejection, until } from '../helpers.js';

const run = promisify(execFile);

/** A real garbage collection, whatever flags the test process got (a WeakRef test that cannot collect proves nothing). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

let pool: Pool | undefined;
afterEach(async () => {
  await pool?.terminate();
  pool = undefined;
});

/** A pool over the JS task module whose `gated(ticket)` kernels wait on `gate` (cell 0: tickets let through, cell 1: arrivals). */
function gatedPool(options: { workers: number; maxQueued?: number; minWorkers?: number }): { pool: Pool; gate: Int32Array } {
  const gate = new Int32Array(new SharedArrayBuffer(8));
  return { pool: new Pool({ ...options, module: JS_TASKS, initializer: 'setGate', initargs: [gate.buffer] }), gate };
}

function open(gate: Int32Array, ticket: number): void {
  Atomics.store(gate, 0, ticket);
}

describe('callbacks that call back into the pool', () => {
  it('getSync, a new submission, getSync in onProgress and terminate, each from a callback: all settle, nothing spins', async () => {
    // A child process: on the old core the first case spun the main thread for ever, which no test timeout can stop.
    const { stdout } = await run(process.execPath, [fixture('scripts/reentrant-callbacks.mjs')], { timeout: 20_000 });
    expect(stdout.trim().split('\n')).toEqual([
      'getSync in a callback: 7',
      'submit in a callback: 12',
      'getSync in onProgress: 3',
      'terminate in a callback: terminated true false',
    ]);
  });

  it('a callback runs after the books are consistent: inside it, the task no longer counts as queued or running', async () => {
    pool = new Pool({ workers: 1, module: JS_TASKS });
    const seen = await new Promise<{ size: number; pending: number; ready: boolean }>((resolve) => {
      const result: AsyncResult<number> = pool!.applyAsync('add', [1, 2], {
        callback: () => resolve({ size: pool!.size, pending: pool!.pending, ready: result.ready() }),
      });
    });
    expect(seen).toEqual({ size: 0, pending: 0, ready: true });
  });
});

describe('elastic pools', () => {
  it('8 workers, minWorkers 1: idle workers that never ran a task retire without breaking the pool', async () => {
    pool = new Pool({ workers: 8, minWorkers: 1, idleTimeout: 50, module: JS_TASKS });
    expect(await Promise.all(Array.from({ length: 8 }, (_, i) => pool!.apply('add', [i, 1])))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    await until(() => pool!.workers === 1);
    expect(await pool.apply('add', [20, 22])).toBe(42);
    // Again: the retirements of the second wave must not add up to a "crash loop" either.
    await Promise.all(Array.from({ length: 8 }, (_, i) => pool!.apply('add', [i, 1])));
    await until(() => pool!.workers === 1);
    expect(await pool.apply('add', [1, 1])).toBe(2);
  });
});

describe('timers and references a task holds are given back when it settles', () => {
  it('a task with a 60 s timeout that finished at once does not keep the process alive after close() and join()', async () => {
    const started = performance.now();
    const { stdout } = await run(process.execPath, [fixture('scripts/timer-outlives-task.mjs')], { timeout: 20_000 });
    expect(stdout.trim().split('\n')).toEqual(['value: 3', 'map: 1,4,9', 'joined']);
    // The child exited on its own, long before the 60 s timer (and the 20 s kill) would have ended it.
    expect(performance.now() - started).toBeLessThan(15_000);
  });

  it("a map's items and results are not kept by the pool once settled (CPython's test_release_task_refs)", async () => {
    pool = new Pool({ workers: 2, module: JS_TASKS });
    const refs: WeakRef<object>[] = [];
    // In a function of its own, so that no variable of this test still holds the last round.
    const rounds = async (p: Pool): Promise<void> => {
      for (let round = 0; round < 20; round++) {
        const items = Array.from({ length: 10 }, (_, i) => ({ round, i, payload: new Array(100).fill(i) }));
        for (const item of items) refs.push(new WeakRef(item));
        const results = await p.map<object>('echo', items);
        for (const result of results) refs.push(new WeakRef(result));
      }
    };
    await rounds(pool);
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      collectGarbage();
    }
    expect(refs.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
  });
});

describe('counts are true whenever read', () => {
  it('aborted queued tasks leave size and maxQueued at once, while every worker is busy', async () => {
    const made = gatedPool({ workers: 1, maxQueued: 3 });
    pool = made.pool;
    const running = pool.applyAsync('gated', [1]);
    await until(() => Atomics.load(made.gate, 1) === 1);
    const controller = new AbortController();
    const queued = [2, 3, 4].map((n) => pool!.applyAsync('gated', [n], { signal: controller.signal }));
    expect(pool.size).toBe(3);
    controller.abort();
    expect(pool.size).toBe(0);
    for (const result of queued) expect(await rejection(result)).toBeInstanceOf(CancelledError);
    // Room again: three more fit, and they run once the gate opens.
    const more = [5, 6, 7].map((n) => pool!.applyAsync<number>('gated', [n]));
    expect(pool.size).toBe(3);
    open(made.gate, 7);
    expect(await running.get()).toBe(1);
    expect(await Promise.all(more.map((r) => r.get()))).toEqual([5, 6, 7]);
  });

  it('pending counts only what runs: finished tasks stop counting before this thread reads their completions', async () => {
    pool = new Pool({ workers: 2, module: JS_TASKS });
    await pool.apply('add', [0, 0]); // both workers may start; at least one is warm
    const results = Array.from({ length: 10 }, () => pool!.applyAsync('busy', [5]));
    // Busy without yielding until every result reads ready: the completions are in shared memory, unread.
    const giveUp = performance.now() + 20_000;
    while (!results.every((r) => r.ready()) && performance.now() < giveUp);
    expect(results.every((r) => r.ready())).toBe(true);
    expect({ size: pool.size, pending: pool.pending }).toEqual({ size: 0, pending: 0 });
  });

  it('onSizeLessThan resolves when a worker takes a unit, not when the next one finishes', async () => {
    const made = gatedPool({ workers: 1 });
    pool = made.pool;
    await pool.apply('add', [0, 0]); // the worker is up
    const results = [1, 2, 3].map((n) => pool!.applyAsync('gated', [n]));
    const below = pool.onSizeLessThan(3);
    // The gate stays shut: the only event is the worker taking the first unit.
    await below;
    expect(pool.size).toBe(2);
    expect(results[0].ready()).toBe(false); // it could not finish: the gate is shut
    open(made.gate, 3);
    expect(await Promise.all(results.map((r) => r.get()))).toEqual([1, 2, 3]);
  });
});

describe('terminate() leaves nothing waiting', () => {
  it('onIdle and onEmpty waiters resolve, and queued and running tasks fail as never started and unfinished', async () => {
    const made = gatedPool({ workers: 1 });
    pool = made.pool;
    const running = pool.applyAsync('gated', [1]);
    await until(() => Atomics.load(made.gate, 1) === 1);
    const queued = [2, 3].map((n) => pool!.applyAsync('gated', [n]));
    const idle = pool.onIdle();
    const empty = pool.onEmpty();
    await pool.terminate();
    await Promise.all([idle, empty]);
    expect({ size: pool.size, pending: pool.pending }).toEqual({ size: 0, pending: 0 });
    expect((await rejection(running)).message).toMatch(/terminated before the task finished/);
    for (const result of queued) expect((await rejection(result)).message).toMatch(/terminated before the task started/);
  });
});

describe('tasks that travel by message (a SharedArrayBuffer argument)', () => {
  it('wait in the queue until a worker is free: same counts and priorities as every other task', async () => {
    pool = new Pool({ workers: 2, module: JS_TASKS });
    await Promise.all([pool.apply('add', [0, 0]), pool.apply('add', [0, 0])]);
    const cells = [0, 1, 2, 3].map(() => new Int32Array(new SharedArrayBuffer(8)));
    const order: number[] = [];
    const results = [0, 1, 2].map((i) => pool!.applyAsync('holdUntilReleased', [cells[i].buffer], { callback: () => order.push(i) }));
    await until(() => Atomics.load(cells[0], 1) === 1 && Atomics.load(cells[1], 1) === 1);
    expect({ size: pool.size, pending: pool.pending }).toEqual({ size: 1, pending: 2 });
    const urgent = pool.applyAsync('holdUntilReleased', [cells[3].buffer], { priority: 5, callback: () => order.push(3) });
    expect(pool.size).toBe(2);
    Atomics.store(cells[0], 0, 1); // the first finishes: the urgent one goes next, not the one queued before it
    await until(() => Atomics.load(cells[3], 1) === 1);
    expect(Atomics.load(cells[2], 1)).toBe(0);
    for (const c of cells) Atomics.store(c, 0, 1);
    await Promise.all([...results, urgent].map((r) => r.get()));
    expect(order[0]).toBe(0);
  });
});

describe('cancellation keeps its reason', () => {
  it('CancelledError.cause is the signal’s reason, for a queued and for an already aborted task', async () => {
    const made = gatedPool({ workers: 1 });
    pool = made.pool;
    const running = pool.applyAsync('gated', [1]);
    await until(() => Atomics.load(made.gate, 1) === 1);
    const controller = new AbortController();
    const queued = pool.applyAsync('gated', [2], { signal: controller.signal });
    const reason = new Error('user hit stop');
    controller.abort(reason);
    const error = await rejection(queued);
    expect(error).toBeInstanceOf(CancelledError);
    expect(error.cause).toBe(reason);
    const late = await rejection(pool.applyAsync('add', [1, 2], { signal: controller.signal }));
    expect(late.cause).toBe(reason);
    open(made.gate, 2);
    expect(await running.get()).toBe(1);
  });
});

describe('priority', () => {
  it('a priority task behind 2,000 queued runs next: no lower task that had not started finishes before it', async () => {
    const made = gatedPool({ workers: 1 });
    pool = made.pool;
    const order: string[] = [];
    const first = pool.applyAsync('gated', [1], { callback: () => order.push('first') });
    await until(() => Atomics.load(made.gate, 1) === 1);
    const low = Array.from({ length: 2000 }, () => pool!.applyAsync('add', [1, 1], { callback: () => order.push('low') }));
    const high = pool.applyAsync('add', [2, 2], { priority: 10, callback: () => order.push('high') });
    open(made.gate, 1);
    await Promise.all([first.get(), high.get(), ...low.map((r) => r.get())]);
    expect(order.indexOf('high')).toBe(1);
  });
});

describe('errors keep what the kernel gave them', () => {
  it("a thrown error's cause chain and own fields reach TaskError.cause", async () => {
    pool = new Pool({ workers: 1, module: JS_TASKS });
    const error = await rejection(pool.apply('failWithDetails'));
    expect(error).toBeInstanceOf(TaskError);
    expect(error.message).toBe('could not save');
    const cause = error.cause as Error & { code?: string; details?: unknown; cause?: Error };
    expect(cause).toMatchObject({ name: 'Error', message: 'could not save', code: 'E_SAVE', details: { attempts: 3 } });
    expect(cause.cause).toBeInstanceOf(Error);
    expect(cause.cause).toMatchObject({ name: 'RangeError', message: 'disk quota' });
  });
});

describe('Pool.create waits for its workers', () => {
  it('resolves once minWorkers workers have loaded the module, and rejects when their initializer fails', async () => {
    const ready = await Pool.create({ workers: 2, module: JS_TASKS, initializer: 'setup', initargs: ['x'] });
    try {
      // Both loaded and initialised before create() resolved: the first tasks find the initializer's state at once.
      expect(await Promise.all([ready.apply('readSetup'), ready.apply('readSetup')])).toEqual([
        expect.objectContaining({ value: 'x' }),
        expect.objectContaining({ value: 'x' }),
      ]);
    } finally {
      await ready.terminate();
    }
    const error = await rejection(Pool.create({ workers: 2, module: JS_TASKS, initializer: 'setupFails' }));
    expect(error).toBeInstanceOf(TaskError);
    expect(error.message).toMatch(/initializer refused/);
  });
});

describe('pool.kernels', () => {
  it('lists the module’s kernels: at once for WASM, once a worker has loaded a JavaScript module', async () => {
    pool = new Pool({ workers: 1 });
    expect(pool.kernels).toEqual(expect.arrayContaining(['add', 'square', 'sumF64']));
    await pool.terminate();
    pool = new Pool({ workers: 1, module: JS_TASKS });
    expect(pool.kernels).toBeUndefined();
    expect(await pool.apply('add', [1, 2])).toBe(3);
    await until(() => pool!.kernels !== undefined);
    expect(pool.kernels).toEqual(expect.arrayContaining(['add', 'echo', 'gated']));
    expect(pool.kernels).not.toContain('nope');
  });
});
