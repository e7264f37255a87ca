import { afterEach, describe, expect, it } from 'vitest';
import { CancelledError, Pool, TimeoutError } from 'wasmpool';
import { JS_TASKS, rejection, thrown, until } from '../helpers.js';

let pool: Pool | undefined;
afterEach(async () => {
  await pool?.terminate();
  pool = undefined;
});

describe('per-task timeout', () => {
  it('stops a runaway WASM kernel, fails it with TimeoutError, replaces the worker; the next task runs', async () => {
    pool = new Pool({ workers: 1 });
    const started = performance.now();
    const error = await rejection(pool.applyAsync('loopForever', [], { timeout: 100 }));
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.message).toMatch(/`loopForever` ran past its timeout of 100 ms/);
    expect(performance.now() - started).toBeGreaterThanOrEqual(95);
    expect(await pool.apply('add', [1, 2])).toBe(3);
    expect(pool.workers).toBe(1);
  });

  it('a timeout while other tasks run fails only the runaway one', async () => {
    pool = new Pool({ workers: 2 });
    const others = Array.from({ length: 200 }, (_, i) => pool!.applyAsync<number>('add', [i, 1]));
    const runaway = pool.applyAsync('loopForever', [], { timeout: 80 });
    const more = Array.from({ length: 200 }, (_, i) => pool!.applyAsync<number>('add', [i, 2]));
    expect(await rejection(runaway)).toBeInstanceOf(TimeoutError);
    expect(await Promise.all(others.map((r) => r.get()))).toEqual(others.map((_, i) => i + 1));
    expect(await Promise.all(more.map((r) => r.get()))).toEqual(more.map((_, i) => i + 2));
  });

  it('the timeout is counted from when the task starts, not while it waits in the queue', async () => {
    pool = new Pool({ workers: 1, module: JS_TASKS });
    const blocker = pool.applyAsync('busy', [300]);
    const timed = pool.applyAsync('busy', [50], { timeout: 200 });
    expect(await blocker).toBe(300);
    expect(await timed).toBe(50);
  });

  it('getSync enforces the task timeout without an event-loop turn', () => {
    pool = new Pool({ workers: 1 });
    const error = thrown(() => pool!.applyAsync('loopForever', [], { timeout: 60 }).getSync(10_000));
    expect(error).toBeInstanceOf(TimeoutError);
    expect(pool.applyAsync('add', [2, 2]).getSync(10_000)).toBe(4);
  });
});

describe('AbortSignal', () => {
  it('an already aborted signal fails the result at once with CancelledError', async () => {
    pool = new Pool({ workers: 1 });
    const result = pool.applyAsync('add', [1, 2], { signal: AbortSignal.abort() });
    expect(result.ready()).toBe(true);
    expect(await rejection(result)).toBeInstanceOf(CancelledError);
  });

  it('aborting before dispatch removes the queued task: it never runs, and no worker is stopped', async () => {
    pool = new Pool({ workers: 1, module: JS_TASKS });
    const worker = await pool.apply('whoAmI');
    // The only worker is held inside a kernel until the test releases it (a handshake, not a sleep): the
    // aborted task cannot have started before the abort.
    const cells = new Int32Array(new SharedArrayBuffer(8));
    const blocker = pool.applyAsync('holdUntilReleased', [cells.buffer]);
    const controller = new AbortController();
    const queued = pool.applyAsync('countedLabel', [5], { signal: controller.signal });
    await until(() => Atomics.load(cells, 1) === 1);
    controller.abort();
    const error = await rejection(queued);
    expect(error).toBeInstanceOf(CancelledError);
    expect(error.message).toMatch(/before it started/);
    Atomics.store(cells, 0, 1);
    expect(await blocker).toBe(7);
    // The same worker (not a replacement) went on, and the cancelled kernel was never called.
    expect(await pool.apply('whoAmI')).toBe(worker);
    expect(await pool.apply('takeCallCount')).toBe(0);
    expect(pool.stats()).toMatchObject({ queued: 0, running: 0, slotsInUse: 0 });
  });

  it('aborting a running task stops it and replaces the worker', async () => {
    pool = new Pool({ workers: 1, module: JS_TASKS });
    const controller = new AbortController();
    const started = new Int32Array(new SharedArrayBuffer(4));
    const running = pool.applyAsync('announceThenLoop', [started.buffer], { signal: controller.signal });
    const next = pool.applyAsync('add', [3, 4]);
    await until(() => Atomics.load(started, 0) === 1);
    controller.abort();
    const error = await rejection(running);
    expect(error).toBeInstanceOf(CancelledError);
    expect(error.message).toMatch(/while running/);
    expect(await next).toBe(7);
  });

  it('aborting after completion changes nothing', async () => {
    pool = new Pool({ workers: 1 });
    const controller = new AbortController();
    const result = pool.applyAsync('add', [1, 2], { signal: controller.signal });
    expect(await result).toBe(3);
    controller.abort();
    expect(await result).toBe(3);
    expect(result.successful()).toBe(true);
  });
});
