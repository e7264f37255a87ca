import { afterEach, describe, expect, it } from 'vitest';
import { Pool, TaskError, TimeoutError, WorkerCrashError } from 'wasmpool';
import { FAULTS_WASM, JS_TASKS, rejection } from '../helpers.js';

let pool: Pool | undefined;
afterEach(async () => {
  await pool?.terminate();
  pool = undefined;
});

const ITEMS = 10_000;

/** Submits ITEMS apply tasks, `crashAt` of which crash; returns every outcome in order. */
async function runWithCrashes(kernel: string, crashAt: Set<number>): Promise<PromiseSettledResult<unknown>[]> {
  const results = Array.from({ length: ITEMS }, (_, i) => (crashAt.has(i) ? pool!.applyAsync(kernel, [7]) : pool!.applyAsync('add', [i, 1])));
  return Promise.allSettled(results.map((r) => r.get()));
}

function expectOnlyCrashed(outcomes: PromiseSettledResult<unknown>[], crashAt: Set<number>, errorClass: abstract new (...args: never[]) => Error): void {
  outcomes.forEach((outcome, i) => {
    if (crashAt.has(i)) {
      expect(outcome.status).toBe('rejected');
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(errorClass);
    } else {
      expect(outcome).toEqual({ status: 'fulfilled', value: i + 1 });
    }
  });
}

describe('worker crashes among 10,000 tasks', () => {
  it('process.exit mid-task: exactly the crashed tasks fail with WorkerCrashError; the pool is whole again', async () => {
    pool = new Pool({ workers: 2, module: JS_TASKS });
    const crashAt = new Set([17, 2_500, 5_000, 9_999]);
    expectOnlyCrashed(await runWithCrashes('exit', crashAt), crashAt, WorkerCrashError);
    expect(pool.workers).toBe(2);
    expect(await pool.apply('add', [1, 2])).toBe(3);
  });

  it('a 10,000-item map with a crashing item fails with WorkerCrashError after every chunk is back', async () => {
    pool = new Pool({ workers: 2, module: JS_TASKS });
    const progress: number[] = [];
    const items = Array.from({ length: ITEMS }, (_, i) => [i === 4_321 ? 'exit' : 'ok', i]);
    const error = await rejection(pool.starmapAsync('exitIf', items, { onProgress: (done) => progress.push(done) }));
    expect(error).toBeInstanceOf(WorkerCrashError);
    expect(progress.at(-1)).toBe(ITEMS);
    expect(pool.workers).toBe(2);
  });

  it('a worker killed by an uncaught error outside its task fails the task it was running and is replaced', async () => {
    pool = new Pool({ workers: 1, module: JS_TASKS });
    const started = new Int32Array(new SharedArrayBuffer(4));
    const victim = pool.applyAsync('announceThenDieUncaught', [started.buffer]);
    const after = Array.from({ length: 100 }, (_, i) => pool!.applyAsync<number>('add', [i, 1]));
    const error = await rejection(victim);
    expect(Atomics.load(started, 0)).toBe(1);
    expect(error).toBeInstanceOf(WorkerCrashError);
    expect(error.message).toMatch(/uncaught outside any task/);
    expect(await Promise.all(after.map((r) => r.get()))).toEqual(after.map((_, i) => i + 1));
    expect(pool.workers).toBe(1);
  });
});

describe('WASM traps, alone and mixed into a large batch', () => {
  const TRAPS: Array<[string, unknown[], RegExp]> = [
    ['unreachableTrap', [], /unreachable/],
    ['outOfBounds', [], /out of bounds/],
    ['divideByZero', [1, 0], /divide by zero/],
    ['recurse', [0], /call stack/i],
    ['aborts', [1], /x must not be positive/],
    ['throws', [], /Something bad happened/],
  ];

  it('each trap among 3,000 good tasks fails only its own result', async () => {
    pool = new Pool({ workers: 2, module: FAULTS_WASM });
    const plan = Array.from({ length: 3_000 }, (_, i) => (i % 97 === 0 ? TRAPS[(i / 97) % TRAPS.length] : undefined));
    const results = plan.map((trap, i) => (trap ? pool!.applyAsync(trap[0], trap[1]) : pool!.applyAsync('ok', [i])));
    const outcomes = await Promise.allSettled(results.map((r) => r.get()));
    outcomes.forEach((outcome, i) => {
      const trap = plan[i];
      if (trap) {
        expect(outcome.status).toBe('rejected');
        const reason = (outcome as PromiseRejectedResult).reason as TaskError;
        expect(reason).toBeInstanceOf(TaskError);
        expect(reason.kernel).toBe(trap[0]);
        expect(reason.message).toMatch(trap[2]);
      } else {
        expect(outcome).toEqual({ status: 'fulfilled', value: i + 1 });
      }
    });
  });

  it('a trapping item fails a map with TaskError, and the next map is whole', async () => {
    pool = new Pool({ workers: 2, module: FAULTS_WASM });
    const items = Array.from({ length: 5_000 }, (_, i) => (i === 2_024 ? [1, 0] : [i, 1]));
    const error = await rejection(pool.starmapAsync('divideByZero', items));
    expect(error).toBeInstanceOf(TaskError);
    expect(error.message).toMatch(/divide by zero/);
    const good = await pool.starmapAsync<number>(
      'divideByZero',
      items.filter((_, i) => i !== 2_024),
    );
    expect(good.length).toBe(4_999);
  });
});

describe('memory exhaustion', () => {
  it('a WASM kernel that grows memory until it fails gets a clear error; the worker serves on', async () => {
    pool = new Pool({ workers: 1, module: FAULTS_WASM });
    const error = await rejection(pool.applyAsync('exhaustMemory'));
    expect(error).toBeInstanceOf(TaskError);
    expect(error.message).toMatch(/^memory exhausted after growing \d+ pages/);
    expect(await pool.apply('ok', [1])).toBe(2);
  });

  it('a JS kernel that exhausts its heap under resourceLimits fails with WorkerCrashError; the pool heals', async () => {
    pool = new Pool({ workers: 1, module: JS_TASKS, resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 8 } });
    const error = (await rejection(pool.applyAsync('exhaustHeap'))) as WorkerCrashError;
    expect(error).toBeInstanceOf(WorkerCrashError);
    expect(error.message).toMatch(/out of memory/i);
    expect(await pool.apply('add', [2, 3])).toBe(5);
  });
});

describe('timeout storm', () => {
  it('100 runaway tasks with a timeout among 1,000 normal ones: exactly the runaways time out', async () => {
    pool = new Pool({ workers: 2 });
    const plan = Array.from({ length: 1_100 }, (_, i) => i % 11 === 5);
    const results = plan.map((runaway, i) => (runaway ? pool!.applyAsync('loopForever', [], { timeout: 20 }) : pool!.applyAsync('add', [i, 1])));
    const outcomes = await Promise.allSettled(results.map((r) => r.get()));
    expect(plan.filter(Boolean).length).toBe(100);
    outcomes.forEach((outcome, i) => {
      if (plan[i]) expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(TimeoutError);
      else expect(outcome).toEqual({ status: 'fulfilled', value: i + 1 });
    });
    expect(pool.workers).toBe(2);
  }, 120_000);
});
