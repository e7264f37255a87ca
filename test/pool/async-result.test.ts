import { afterEach, describe, expect, it } from 'vitest';
import { NotReadyError, Pool, TaskError, TimeoutError } from 'wasmpool';
import { JS_TASKS, rejection, thrown, until } from '../helpers.js';

let pool: Pool | undefined;
afterEach(async () => {
  await pool?.terminate();
  pool = undefined;
});

describe('AsyncResult', () => {
  // Kills: get(ms) waiting several times as long as asked. A tolerance window in CPython's style: at least 0.9
  // of the timeout, and well under 5 times it; the task is held open by a gate, so it cannot finish first.
  it('get(100) rejects with TimeoutError after 90 to 500 ms, and the task still completes', async () => {
    pool = new Pool({ workers: 1, module: JS_TASKS });
    const gate = new Int32Array(new SharedArrayBuffer(8));
    const result = pool.applyAsync<number>('holdUntilReleased', [gate.buffer]);
    await until(() => Atomics.load(gate, 1) === 1);
    const started = performance.now();
    const error = await rejection(result.get(100));
    const waited = performance.now() - started;
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.message).toMatch(/within 100 ms/);
    expect(waited).toBeGreaterThanOrEqual(90);
    expect(waited).toBeLessThan(500);
    Atomics.store(gate, 0, 1);
    expect(await result.get()).toBe(7);
  });

  it('wait(timeout) resolves without a value when time runs out and never rejects for a failed task', async () => {
    pool = new Pool({ workers: 1, module: JS_TASKS });
    const slow = pool.applyAsync('busy', [300]);
    await expect(slow.wait(20)).resolves.toBeUndefined();
    expect(slow.ready()).toBe(false);
    const failing = pool.applyAsync('fail', ['boom']);
    await expect(failing.wait()).resolves.toBeUndefined();
    expect(failing.ready()).toBe(true);
    expect(failing.successful()).toBe(false);
  });

  it('successful() throws NotReadyError before completion, then tells success from failure', async () => {
    pool = new Pool({ workers: 1, module: JS_TASKS });
    const result = pool.applyAsync('busy', [200]);
    const error = thrown(() => result.successful());
    expect(error).toBeInstanceOf(NotReadyError);
    expect(error.name).toBe('NotReadyError');
    expect(error.message).toMatch(/not ready yet; call successful\(\) after ready\(\) is true or after wait\(\)/);
    await result.wait();
    expect(result.successful()).toBe(true);
    const failed = pool.applyAsync('fail', ['x']);
    await failed.wait();
    expect(failed.successful()).toBe(false);
  });

  it('ready() turns true inside a synchronous busy loop that never yields', () => {
    pool = new Pool({ workers: 1 });
    const result = pool.applyAsync('spin', [20]);
    const giveUp = performance.now() + 10_000;
    let polls = 0;
    while (!result.ready() && performance.now() < giveUp) polls++;
    expect(result.ready()).toBe(true);
    expect(polls).toBeGreaterThan(0);
    // Still in the same synchronous run: the value is readable without an event-loop turn.
    expect(result.successful()).toBe(true);
    expect(result.getSync()).toBeGreaterThan(0);
  });

  it('ready() of a task queued behind others also turns true without yielding', () => {
    pool = new Pool({ workers: 1 });
    const results = [pool.applyAsync('spin', [30]), pool.applyAsync('spin', [30]), pool.applyAsync('spin', [30])];
    const last = results[2];
    const giveUp = performance.now() + 10_000;
    while (!last.ready() && performance.now() < giveUp);
    expect(results.map((r) => r.ready())).toEqual([true, true, true]);
  });

  it('a caller that only ever awaits microtasks keeps getting its tasks started (workers freed by the slot, not the notice)', async () => {
    pool = new Pool({ workers: 2, module: JS_TASKS });
    for (let i = 0; i < 20; i++) {
      const cells = new Int32Array(new SharedArrayBuffer(8));
      const result = pool.applyAsync<number>('holdUntilReleased', [cells.buffer]);
      await null;
      const giveUp = performance.now() + 10_000;
      while (Atomics.load(cells, 1) === 0 && performance.now() < giveUp);
      expect(Atomics.load(cells, 1)).toBe(1);
      Atomics.store(cells, 0, 1);
      while (!result.ready() && performance.now() < giveUp);
      expect(await result.get()).toBe(7);
    }
  });

  it('getSync(60) throws TimeoutError after 54 to 300 ms, and a later getSync still succeeds', async () => {
    pool = new Pool({ workers: 1, module: JS_TASKS });
    const gate = new Int32Array(new SharedArrayBuffer(8));
    const result = pool.applyAsync<number>('holdUntilReleased', [gate.buffer]);
    await until(() => Atomics.load(gate, 1) === 1);
    const started = performance.now();
    expect(thrown(() => result.getSync(60))).toBeInstanceOf(TimeoutError);
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(54);
    expect(waited).toBeLessThan(300);
    Atomics.store(gate, 0, 1);
    expect(result.getSync()).toBe(7);
  });

  it('getSync throws the task error; waitSync only waits', () => {
    pool = new Pool({ workers: 1, module: JS_TASKS });
    const result = pool.applyAsync('fail', ['Something bad happened']);
    result.waitSync();
    expect(result.ready()).toBe(true);
    const error = thrown(() => result.getSync());
    expect(error).toBeInstanceOf(TaskError);
    expect(error.message).toBe('Something bad happened');
    expect((error as TaskError).kernel).toBe('fail');
  });

  it('waitSync(60) returns after 54 to 300 ms when the task is still running', async () => {
    pool = new Pool({ workers: 1, module: JS_TASKS });
    const gate = new Int32Array(new SharedArrayBuffer(8));
    const result = pool.applyAsync<number>('holdUntilReleased', [gate.buffer]);
    await until(() => Atomics.load(gate, 1) === 1);
    const started = performance.now();
    result.waitSync(60);
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(54);
    expect(waited).toBeLessThan(300);
    expect(result.ready()).toBe(false);
    Atomics.store(gate, 0, 1);
    result.waitSync();
    expect(result.ready()).toBe(true);
  });

  // Kills (Stryker): get(timeout) throwing TimeoutError even when the task finished in time.
  it('get(timeout) resolves with the value when the task finishes in time', async () => {
    pool = new Pool({ workers: 1, module: JS_TASKS });
    expect(await pool.applyAsync('add', [1, 2]).get(10_000)).toBe(3);
    await expect(pool.applyAsync('fail', ['late']).get(10_000)).rejects.toThrow('late');
  });

  it('rejects a bad timeout at the call', async () => {
    pool = new Pool({ workers: 1 });
    const result = pool.applyAsync('add', [1, 2]);
    expect(thrown(() => result.getSync(-1))).toBeInstanceOf(RangeError);
    expect(() => result.get(Number.NaN)).toThrow(/`timeout`/);
    // Kills (Stryker): wait(timeout) without its check. wait() is async, so a bad timeout rejects.
    await expect(result.wait(-1)).rejects.toThrow(/`timeout`/);
    expect(thrown(() => result.waitSync(-1))).toBeInstanceOf(RangeError);
  });
});
