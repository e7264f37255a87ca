import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CancelledError, Pool, PoolStateError } from 'wasmpool';
import { JS_TASKS, fixture, rejection, thrown, until } from '../helpers.js';

describe('lifecycle', () => {
  it('close() lets queued and running tasks finish, then join() resolves', async () => {
    const pool = new Pool({ workers: 2, module: JS_TASKS });
    const results = Array.from({ length: 10 }, (_, i) => pool.applyAsync('busy', [10 + i]));
    pool.close();
    expect(pool.state).toBe('closing');
    await pool.join();
    expect(results.every((r) => r.ready() && r.successful())).toBe(true);
    expect(pool.workers).toBe(0);
  });

  it('submitting after close() or terminate() throws PoolStateError (and the Promise forms reject)', async () => {
    const pool = new Pool({ workers: 1 });
    pool.close();
    const error = thrown(() => pool.applyAsync('add', [1, 2]));
    expect(error).toBeInstanceOf(PoolStateError);
    expect(error.message).toMatch(/closed/);
    expect(() => pool.mapAsync('square', [1])).toThrow(PoolStateError);
    expect(await rejection(pool.apply('add', [1, 2]))).toBeInstanceOf(PoolStateError);
    await pool.terminate();
    expect(() => pool.starmapAsync('add', [[1, 2]])).toThrow(/terminated/);
  });

  it('join() before close() or terminate() rejects with PoolStateError', async () => {
    const pool = new Pool({ workers: 1 });
    const error = await rejection(pool.join());
    expect(error).toBeInstanceOf(PoolStateError);
    expect(error.message).toMatch(/before close\(\) or terminate\(\)/);
    await pool.terminate();
  });

  it('terminate() with a queue of work fails every unfinished result with CancelledError', async () => {
    const pool = new Pool({ workers: 1, module: JS_TASKS });
    const done = pool.applyAsync('add', [1, 2]);
    await done;
    const running = pool.applyAsync('busy', [5_000]);
    const queued = Array.from({ length: 20 }, () => pool.applyAsync('add', [1, 1]));
    const map = pool.mapAsync('echo', [1, 2, 3]);
    await pool.terminate();
    for (const result of [running, ...queued, map]) {
      expect(result.ready()).toBe(true);
      expect(await rejection(result)).toBeInstanceOf(CancelledError);
    }
    expect(await done).toBe(3);
    expect(pool.state).toBe('terminated');
  });

  it('await using terminates the pool at the end of the block', async () => {
    let escaped: Pool | undefined;
    {
      await using pool = new Pool({ workers: 1 });
      escaped = pool;
      expect(await pool.apply('add', [1, 2])).toBe(3);
    }
    expect(escaped.state).toBe('terminated');
    await escaped.join();
  });

  // Kills: join() resolving without awaiting the workers' exits. A unit still running at terminate() keeps its
  // completion slot until its worker has exited (it may still be writing), so the slot count tells the two apart.
  it('join() after terminate() resolves once every worker has exited: the slots they held are back', async () => {
    const pool = new Pool({ workers: 2, module: JS_TASKS });
    const flags = [new SharedArrayBuffer(4), new SharedArrayBuffer(4)];
    const running = flags.map((flag) => pool.applyAsync('announceThenLoop', [flag]));
    await until(() => flags.every((flag) => Atomics.load(new Int32Array(flag), 0) === 1)); // both workers inside a task
    expect(pool.stats().slotsInUse).toBe(2);
    void pool.terminate();
    await expect(pool.join()).resolves.toBeUndefined();
    expect(pool.stats().slotsInUse).toBe(0);
    for (const result of running) expect(await rejection(result)).toBeInstanceOf(CancelledError);
  });

  // Kills the same mutation on the graceful path: close() lets the running task finish, then stops the workers.
  it('join() after close() resolves only after the running task has finished and its worker exited', async () => {
    const pool = new Pool({ workers: 1, module: JS_TASKS });
    const gate = new Int32Array(new SharedArrayBuffer(8));
    const held = pool.applyAsync('holdUntilReleased', [gate.buffer]);
    await until(() => Atomics.load(gate, 1) === 1);
    pool.close();
    let joined = false;
    const join = pool.join().then(() => (joined = true));
    for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve)); // event-loop turns, not a timed wait
    expect(joined).toBe(false); // the task is still held open by the gate
    Atomics.store(gate, 0, 1);
    await join;
    expect(held.ready() && held.successful()).toBe(true);
    expect(pool.stats()).toMatchObject({ workers: 0, slotsInUse: 0 });
  });

  it('a pool that is never closed keeps the process alive only while it has work', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [fixture('scripts/never-closed.mjs')], { timeout: 20_000 });
    expect(stdout.split('\n').filter(Boolean).sort()).toEqual(['spun: true', 'sum: 3']);
  });
});
