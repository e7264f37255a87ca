import { describe, expect, it } from 'vitest';
import { CancelledError, TaskError, WorkerCrashError } from '../../src/errors.js';
import type { Job } from '../../src/scheduling/jobs.js';
import type { Scheduler, SchedulerConfig } from '../../src/scheduling/scheduler.js';
import { RuntimeTransport } from './fake-transport.js';
import { applyWatched, expectFailure, expectIdle, expectValue, schedulerOver } from './scheduler-harness.js';

/**
 * The Scheduler and the real WorkerRuntime, in one thread: the whole protocol (init, catalog, the shared queue,
 * slots, the arena, completion rings, messages, retirement) with no thread in between.
 */
const kernels = {
  add: (a: number, b: number) => a + b,
  double: (x: number) => x * 2,
  greet: (name: string) => `hello ${name}`,
  wide: (a: bigint, b: number) => a * BigInt(b),
  later: (x: number) => Promise.resolve(x + 1),
  fail: (message: string) => {
    throw new RangeError(message);
  },
  returnsFunction: () => () => 42,
  hang: () => new Promise(() => {}),
  setupFails: () => {
    throw new Error('no database');
  },
};

function start(options: Partial<SchedulerConfig> = {}): { scheduler: Scheduler; transport: RuntimeTransport } {
  const transport = new RuntimeTransport(kernels as never);
  return { scheduler: schedulerOver(transport, options), transport };
}

/** One event-loop turn: what the in-process runtimes need to make progress (no time passes on purpose). */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const settled = (job: Job): Promise<void> => new Promise((resolve) => job.onSettled(resolve));

describe('Scheduler + WorkerRuntime in one thread', () => {
  it('runs inline numeric applies through the slot, bigints included', async () => {
    const { scheduler, transport } = start();
    const sum = applyWatched(scheduler, { kernel: 'add', args: [20, 22] });
    const wide = applyWatched(scheduler, { kernel: 'wide', args: [2n ** 40n, 3] });
    await settled(sum.job);
    await settled(wide.job);
    expectValue(sum, 42);
    expectValue(wide, 3n * 2n ** 40n);
    // The number travelled in the slot: the runtime posted no message for it.
    expect(transport.workers[0].posted.filter((m) => m.type === 'result')).toHaveLength(1); // the bigint only
    expectIdle(scheduler);
  });

  it('runs a numeric map in place in the arena, and a map of strings serialized into it', async () => {
    const { scheduler } = start({ workers: 2 });
    const numbers = scheduler.map({ kernel: 'double', chunks: [new Float64Array([1, 2]), new Float64Array([3])], total: 3, chunksize: 2, star: false });
    const words = scheduler.map({ kernel: 'greet', chunks: [['a', 'b'], ['c']], total: 3, chunksize: 2, star: false });
    await settled(numbers);
    await settled(words);
    expect(numbers.value).toEqual([2, 4, 6]);
    expect(words.value).toEqual(['hello a', 'hello b', 'hello c']);
    expectIdle(scheduler);
  });

  it('settles promises a kernel returns, and fails a throw with TaskError', async () => {
    const { scheduler } = start();
    const later = applyWatched(scheduler, { kernel: 'later', args: [1] });
    const fail = applyWatched(scheduler, { kernel: 'fail', args: ['bad input'] });
    const unknown = applyWatched(scheduler, { kernel: 'nope', args: [] });
    await Promise.all([settled(later.job), settled(fail.job), settled(unknown.job)]);
    expectValue(later, 2);
    const error = expectFailure(fail, TaskError, /bad input/) as TaskError;
    expect((error.cause as Error).name).toBe('RangeError');
    expectFailure(unknown, TaskError, /Unknown kernel `nope`; the module exports: .*add/);
    expectIdle(scheduler);
  });

  it('fails a result that cannot be sent back with TaskError instead of never settling', async () => {
    const { scheduler } = start();
    const job = applyWatched(scheduler, { kernel: 'returnsFunction', args: [] });
    const next = applyWatched(scheduler, { kernel: 'add', args: [1, 1] });
    await settled(job.job);
    expectFailure(job, TaskError, /`returnsFunction` returned a value that cannot be sent back/);
    await settled(next.job);
    expectValue(next, 2);
    expectIdle(scheduler);
  });

  it('maxTasksPerWorker: the runtime retires, the scheduler replaces it, after close() too; join() waits for all', async () => {
    const { scheduler, transport } = start({ workers: 2, maxTasksPerWorker: 1 });
    const jobs = [1, 2, 3, 4, 5, 6].map((n) => applyWatched(scheduler, { kernel: 'later', args: [n] }));
    scheduler.close();
    await scheduler.join();
    jobs.forEach((job, i) => expectValue(job, i + 2));
    expect(transport.workers.length).toBeGreaterThanOrEqual(6); // every worker ran one unit
    expect(transport.workers.every((w) => w.posted.filter((m) => m.type === 'retired').length <= 1)).toBe(true);
    expect(transport.live).toHaveLength(0);
    expect(scheduler.broken).toBeUndefined();
    expectIdle(scheduler);
  });

  it('a failing initializer breaks the pool: what is queued fails with the initializer error', async () => {
    const { scheduler } = start({ initializer: 'setupFails' });
    const job = applyWatched(scheduler, { kernel: 'add', args: [1, 1] });
    await settled(job.job);
    expectFailure(job, TaskError, /The initializer `setupFails` failed in a worker: no database/);
  });

  it('a worker that dies mid-kernel fails only that task; the replacement runs the next', async () => {
    const { scheduler, transport } = start();
    const hung = applyWatched(scheduler, { kernel: 'hang', args: [] });
    const next = applyWatched(scheduler, { kernel: 'add', args: [2, 3] });
    // The runtime takes one unit at a time: `hang` is running, `add` waits in the shared queue.
    while (scheduler.runningUnits === 0) await nextTurn();
    transport.workers[0].exit(9);
    expectFailure(hung, WorkerCrashError, /exit code 9/);
    await settled(next.job);
    expectValue(next, 5);
    expect(transport.workers).toHaveLength(2);
    expectIdle(scheduler);
  });

  it('an abort that wins the slot before the runtime takes the unit: the runtime skips it', async () => {
    const { scheduler, transport } = start();
    const controller = new AbortController();
    const job = applyWatched(scheduler, { kernel: 'add', args: [1, 2], signal: controller.signal });
    controller.abort(); // the runtime has not even loaded its module yet
    expectFailure(job, CancelledError, /before it started/);
    const after = applyWatched(scheduler, { kernel: 'add', args: [3, 4] });
    await settled(after.job);
    expectValue(after, 7);
    expect(transport.workers).toHaveLength(1); // nobody was stopped
    expectIdle(scheduler);
  });

  it('terminate() stops the runtimes and fails what they hold; join() resolves once they exited', async () => {
    const { scheduler, transport } = start({ workers: 2 });
    const hung = [applyWatched(scheduler, { kernel: 'hang', args: [] }), applyWatched(scheduler, { kernel: 'hang', args: [] })];
    const queued = applyWatched(scheduler, { kernel: 'add', args: [1, 1] });
    while (scheduler.runningUnits < 2) await nextTurn();
    await scheduler.terminate();
    for (const job of [...hung, queued]) expectFailure(job, CancelledError, /terminated/);
    expect(transport.live).toHaveLength(0);
    expectIdle(scheduler);
  });
});
