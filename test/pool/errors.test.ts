import { afterEach, describe, expect, it } from 'vitest';
import { Pool, TaskError, WorkerCrashError } from 'wasmpool';
import { FAULTS_WASM, JS_TASKS, rejection } from '../helpers.js';

let pool: Pool | undefined;
afterEach(async () => {
  await pool?.terminate();
  pool = undefined;
});

describe('errors from tasks', () => {
  it('a JS kernel throw fails only its result, with kernel, cause and worker stack', async () => {
    pool = new Pool({ workers: 1, module: JS_TASKS });
    const bad = pool.applyAsync('fail', ['Something bad happened']);
    const good = pool.applyAsync('add', [1, 2]);
    const error = (await rejection(bad)) as TaskError;
    expect(error).toBeInstanceOf(TaskError);
    expect(error.name).toBe('TaskError');
    expect(error.message).toBe('Something bad happened');
    expect(error.kernel).toBe('fail');
    expect((error.cause as Error).message).toBe('Something bad happened');
    expect(error.workerStack).toMatch(/tasks\.mjs/);
    expect(await good).toBe(3);
  });

  it('an AssemblyScript abort carries its message (a bare abort(msg) call passes no location)', async () => {
    pool = new Pool({ workers: 1, module: FAULTS_WASM });
    const error = (await rejection(pool.applyAsync('aborts', [1]))) as TaskError;
    expect(error).toBeInstanceOf(TaskError);
    expect(error.message).toBe('x must not be positive');
    expect(error.kernel).toBe('aborts');
    expect(await pool.apply('aborts', [-3])).toBe(-3);
  });

  it('an AssemblyScript throw carries its message', async () => {
    pool = new Pool({ workers: 1, module: FAULTS_WASM });
    const error = await rejection(pool.applyAsync('throws'));
    expect(error.message).toMatch(/^Something bad happened at test\/fixtures\/assembly\/faults\.ts:\d+:\d+$/);
  });

  it.each([
    ['unreachableTrap', [], /unreachable/],
    ['outOfBounds', [], /memory access out of bounds/],
    ['divideByZero', [1, 0], /divide by zero/],
    ['recurse', [0], /call stack/i],
  ])('a WASM trap (%s) fails only its result, and the worker keeps serving', async (kernel, args, pattern) => {
    pool = new Pool({ workers: 1, module: FAULTS_WASM });
    const error = (await rejection(pool.applyAsync(kernel, args))) as TaskError;
    expect(error).toBeInstanceOf(TaskError);
    expect(error.message).toMatch(new RegExp(`^Kernel \`${kernel}\` trapped: `));
    expect(error.message).toMatch(pattern);
    expect(error.cause).toBeInstanceOf(Error);
    expect(await pool.apply('ok', [41])).toBe(42);
  });

  it('failures and successes interleaved keep every value with its own task (slots are not reused early)', async () => {
    pool = new Pool({ workers: 2, module: FAULTS_WASM });
    const results = Array.from({ length: 2_000 }, (_, i) => (i % 3 === 0 ? pool!.applyAsync('divideByZero', [i, 0]) : pool!.applyAsync('ok', [i])));
    const settled = await Promise.allSettled(results.map((r) => r.get()));
    settled.forEach((outcome, i) => {
      if (i % 3 === 0) expect(outcome.status).toBe('rejected');
      else expect(outcome).toEqual({ status: 'fulfilled', value: i + 1 });
    });
  });

  it('an unknown kernel fails the result with the list of kernels', async () => {
    pool = new Pool({ workers: 1 });
    const error = await rejection(pool.applyAsync('nope'));
    expect(error).toBeInstanceOf(TaskError);
    expect(error.message).toMatch(/Unknown kernel `nope`; the module exports: .*add.*square/);
  });

  it('a worker that exits mid-task fails that task with WorkerCrashError; the pool heals', async () => {
    pool = new Pool({ workers: 1, module: JS_TASKS });
    const crash = pool.applyAsync('exit', [3]);
    const after = [pool.applyAsync('add', [1, 1]), pool.applyAsync('add', [2, 2])];
    const error = (await rejection(crash)) as WorkerCrashError;
    expect(error).toBeInstanceOf(WorkerCrashError);
    expect(error.kernel).toBe('exit');
    expect(error.exitCode).toBe(3);
    expect(await Promise.all(after)).toEqual([2, 4]);
    expect(pool.workers).toBe(1);
  });

  it('getSync on a task whose worker exits does not hang', () => {
    pool = new Pool({ workers: 1, module: JS_TASKS });
    const crash = pool.applyAsync('exit', [5]);
    let error: unknown;
    try {
      crash.getSync(10_000);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WorkerCrashError);
    expect(pool.applyAsync('add', [2, 3]).getSync(10_000)).toBe(5);
  });

  it('a crash during a large map fails only the crashed chunk', async () => {
    pool = new Pool({ workers: 2, module: JS_TASKS });
    const chunksize = 100;
    const runs = new SharedArrayBuffer(2_000 * 4);
    // The crash is in the last chunk, so iterating in order reaches every other chunk before it.
    const crashAt = 1_950;
    const items = Array.from({ length: 2_000 }, (_, i) => [i === crashAt ? 'exit' : 'ok', i, runs]);
    const seen: number[] = [];
    let error: unknown;
    try {
      for await (const value of pool.imap<number>('countOrExit', items, { chunksize })) seen.push(value);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(WorkerCrashError);
    expect((error as WorkerCrashError).exitCode).toBe(7);
    // Every other chunk succeeded, with its own values.
    expect(seen).toEqual(Array.from({ length: 1_900 }, (_, i) => i));
    // Each item outside the crashed chunk ran exactly once (none lost, none rerun); in the crashed chunk the items
    // before the crash ran once and the rest never (a crashed chunk is failed, not retried).
    const expected = Array.from({ length: 2_000 }, (_, i) => (i < crashAt ? 1 : 0));
    expect(Array.from(new Int32Array(runs))).toEqual(expected);
    expect(pool.workers).toBe(2);
  });

  // Forces one outcome (it used to accept a crash or a success for the task after). An idle Node worker parks
  // in Atomics.wait, so its event loop (and the timer that throws) runs only when a task yields to it:
  // `addLater` awaits a 1 ms timer, so the 0 ms timer set by crashLater fires first, inside that task.
  it('a crash outside any kernel (uncaught error on a later turn) fails the task that yields to it, and the pool heals', async () => {
    pool = new Pool({ workers: 1, module: JS_TASKS });
    const before = await pool.apply<number>('whoAmI');
    expect(await pool.apply('crashLater')).toBe('scheduled');
    const error = await rejection(pool.apply('addLater', [20, 22]));
    expect(error).toBeInstanceOf(WorkerCrashError);
    expect(error.message).toMatch(/`addLater` died: uncaught outside the kernel/);
    expect(await pool.apply('add', [1, 2])).toBe(3);
    expect(await pool.apply<number>('whoAmI')).not.toBe(before);
    expect(pool.workers).toBe(1);
  });
});
