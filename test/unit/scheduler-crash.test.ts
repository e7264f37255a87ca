import { describe, expect, it } from 'vitest';
import { QueueCell } from '../../src/abi/layout.js';
import { WorkerCrashError } from '../../src/errors.js';
import type { FakeWorker } from './fake-transport.js';
import { add, applyWatched, expectFailure, expectIdle, expectValue, makeScheduler } from './scheduler-harness.js';

/**
 * A worker dies at every point of a unit's life. Unit A is the first in the queue, B waits behind it. What the
 * dead worker reached decides A's fate: not yet its own (A runs on the replacement), inside it (A fails with
 * WorkerCrashError), or its value already in the slot (the value wins). B always succeeds, every result settles
 * exactly once, and nothing is left in the books.
 */
const points: Array<{ point: string; reach: (w: FakeWorker) => void; a: 'reruns' | 'crashes' | 'keeps value' }> = [
  { point: 'before taking', reach: () => {}, a: 'reruns' },
  { point: 'holding the queue lock', reach: (w) => w.holdLock(), a: 'reruns' },
  { point: 'holding the lock, RUNNING already marked', reach: (w) => void w.markRunning(), a: 'crashes' },
  { point: 'after taking (RUNNING set), before running', reach: (w) => void w.take(), a: 'crashes' },
  {
    point: 'mid-kernel (slot claimed)',
    reach: (w) => {
      w.take();
      w.claim();
    },
    a: 'crashes',
  },
  {
    point: 'after releasing RUNNING, before writing the value',
    reach: (w) => {
      w.take();
      w.claim();
      w.release();
    },
    a: 'crashes',
  },
  {
    point: 'after writing the value, before counting down',
    reach: (w) => {
      w.take();
      w.claim();
      w.release();
      w.writeNumber(3);
    },
    a: 'keeps value',
  },
  {
    point: 'after counting down, before publishing the completion',
    reach: (w) => {
      w.take();
      w.claim();
      w.release();
      w.writeNumber(3);
      w.countDown();
    },
    a: 'keeps value',
  },
  { point: 'after publishing', reach: (w) => void w.runNext(add), a: 'keeps value' },
];

describe('Scheduler: a worker that dies', () => {
  it.each(points)('$point: A $a, B succeeds, nothing lost or settled twice', ({ reach, a }) => {
    const { scheduler, transport } = makeScheduler();
    const first = transport.latest;
    const jobA = applyWatched(scheduler, { kernel: 'add', args: [1, 2] });
    const jobB = applyWatched(scheduler, { kernel: 'add', args: [3, 4] });
    reach(first);
    first.exit(3);

    expect(first.exited).toBe(true);
    expect(transport.workers).toHaveLength(2); // a replacement
    const replacement = transport.latest;
    expect(Atomics.load(replacement.consumer.views.cells, QueueCell.LOCK)).toBe(0); // the dead holder's lock was repaired
    if (a === 'crashes') {
      const error = expectFailure(jobA, WorkerCrashError, /kernel `add` died with exit code 3/) as WorkerCrashError;
      expect(error.exitCode).toBe(3);
      expect(error.kernel).toBe('add');
    }
    if (a === 'keeps value') expectValue(jobA, 3);
    if (a === 'reruns') expect(jobA.job.pending).toBe(true);
    expect(jobB.job.pending).toBe(true);

    const ran: number[] = [];
    for (let unit = replacement.runNext(add); unit; unit = replacement.runNext(add)) ran.push(unit.id);
    expect(ran).toHaveLength(a === 'reruns' ? 2 : 1);
    scheduler.pump();

    if (a === 'reruns') expectValue(jobA, 3);
    expectValue(jobB, 7);
    expectIdle(scheduler);
  });

  it('fails only the chunk it was running: the other chunks of the map run on the replacement', () => {
    const { scheduler, transport } = makeScheduler();
    const failed: Array<[number, boolean]> = [];
    const job = scheduler.map({
      kernel: 'double',
      chunks: [new Float64Array([1, 2]), new Float64Array([3, 4]), new Float64Array([5, 6])],
      total: 6,
      chunksize: 2,
      star: false,
      listener: { chunk: (index, _offset, ok) => failed.push([index, ok]) },
    });
    const first = transport.latest;
    first.runNext((x) => (x as number) * 2);
    first.take(); // chunk 1: dies inside it
    first.exit(9);
    const replacement = transport.latest;
    expect(replacement.runNext((x) => (x as number) * 2)?.items).toEqual(new Float64Array([10, 12]));
    expect(replacement.runNext((x) => x)).toBeUndefined();
    scheduler.pump();
    expect(failed.sort()).toEqual([
      [0, true],
      [1, false],
      [2, true],
    ]);
    expect(job.error).toBeInstanceOf(WorkerCrashError);
    expectIdle(scheduler);
  });

  it('is noticed through its EXITING cell by a pump() that runs before the exit event', () => {
    const { scheduler, transport } = makeScheduler();
    const first = transport.latest;
    const job = applyWatched(scheduler, { kernel: 'add', args: [1, 1] });
    first.take();
    Atomics.store(first.control, 2, 5); // WorkerCell.EXIT_CODE, as node-entry's exit hook writes it
    Atomics.store(first.control, 1, 1); // WorkerCell.EXITING
    scheduler.pump();
    expect(expectFailure(job, WorkerCrashError, /exit code 5/)).toBeInstanceOf(WorkerCrashError);
    expect(transport.workers).toHaveLength(2);
    first.exit(5); // the event arrives later: nothing settles twice, no second replacement
    expect(transport.workers).toHaveLength(2);
    expect(job.failures).toHaveLength(1);
    expectIdle(scheduler);
  });

  it('reports the uncaught error that killed it', () => {
    const { scheduler, transport } = makeScheduler();
    const job = applyWatched(scheduler, { kernel: 'add', args: [1, 1] });
    transport.latest.take();
    const cause = new RangeError('out of memory');
    transport.latest.exit(1, cause);
    const error = expectFailure(job, WorkerCrashError, /died: out of memory/);
    expect(error.cause).toBe(cause);
  });

  it('gives up after three workers in a row die before finishing anything, failing what is queued', () => {
    const { scheduler, transport } = makeScheduler();
    const job = applyWatched(scheduler, { kernel: 'add', args: [1, 1] });
    for (let i = 0; i < 3; i++) transport.latest.exit(1);
    expect(transport.workers).toHaveLength(3);
    expectFailure(job, WorkerCrashError, /3 in a row; last exit code 1/);
    expect(scheduler.broken).toBeInstanceOf(WorkerCrashError);
    const late = applyWatched(scheduler, { kernel: 'add', args: [1, 1] });
    expect(late.failures[0]).toBe(scheduler.broken);
  });

  it('does not count as a start-up crash once a worker finished something', () => {
    const { scheduler, transport } = makeScheduler();
    for (let i = 0; i < 4; i++) {
      const job = applyWatched(scheduler, { kernel: 'add', args: [i, 0] });
      transport.latest.runNext(add);
      transport.latest.deliver();
      scheduler.pump();
      expectValue(job, i);
      // A worker that finished a unit through the completion ring proved itself alive; dying later is a crash, not a failed start.
      transport.latest.exit(1);
    }
    expect(scheduler.broken).toBeUndefined();
    expect(transport.live).toHaveLength(1);
  });

  it('publishes a skipped completion for a unit it found cancelled, without counting it down again', () => {
    const { scheduler, transport } = makeScheduler();
    const controller = new AbortController();
    const job = applyWatched(scheduler, { kernel: 'add', args: [1, 1], signal: controller.signal });
    transport.latest.take(); // taken, the slot not yet claimed: the cancel wins the slot
    controller.abort();
    expect(scheduler.runningUnits).toBe(1); // the worker holds it
    expect(transport.latest.claim()).toBe(false); // publishes SKIPPED
    expect(scheduler.runningUnits).toBe(0); // read from shared memory: counted out before this thread reads it
    scheduler.pump();
    expect(job.failures).toHaveLength(1);
    expectIdle(scheduler); // the slot drained though nobody counted it down: squared when released
  });
});
