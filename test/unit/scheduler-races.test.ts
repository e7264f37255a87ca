import { afterEach, describe, expect, it, vi } from 'vitest';
import { Outcome, RING_CAPACITY, WorkerCell } from '../../src/abi/layout.js';
import { CancelledError, PoolStateError, TaskError, TimeoutError } from '../../src/errors.js';
import { WorkerNode } from '../../src/scheduling/worker-node.js';
import { FakeTransport } from './fake-transport.js';
import { add, applyWatched, books, expectFailure, expectIdle, expectValue, makeScheduler, schedulerOver, settleMicrotasks } from './scheduler-harness.js';

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('Scheduler: cancel races a worker for the slot', () => {
  it('cancel while the unit is still untaken in the shared queue: it leaves the queue at once, the next unit moves up', () => {
    const { scheduler, transport } = makeScheduler();
    const controller = new AbortController();
    const job = applyWatched(scheduler, { kernel: 'add', args: [1, 2], signal: controller.signal });
    const next = applyWatched(scheduler, { kernel: 'add', args: [2, 2] });
    expect(scheduler.queuedUnits).toBe(2);
    controller.abort();
    expectFailure(job, CancelledError, /before it started/);
    expect(scheduler.queuedUnits).toBe(1); // no longer counted, though no worker has looked at the queue
    const worker = transport.latest;
    expect(worker.runNext(add)?.args).toEqual([2, 2]);
    scheduler.pump();
    expectValue(next, 4);
    expect(worker.terminateRequested).toBe(false); // nobody had to be stopped
    expect(transport.workers).toHaveLength(1);
    expect(job.failures).toHaveLength(1);
    expectIdle(scheduler);
  });

  it('cancel wins after the worker took the unit but before it claimed the slot', () => {
    const { scheduler, transport } = makeScheduler();
    const controller = new AbortController();
    const job = applyWatched(scheduler, { kernel: 'add', args: [1, 2], signal: controller.signal });
    const worker = transport.latest;
    worker.take();
    controller.abort();
    expectFailure(job, CancelledError, /before it started/);
    expect(worker.claim()).toBe(false);
    expect(Atomics.load(worker.control, WorkerCell.RUNNING)).toBe(0);
    scheduler.pump();
    expect(worker.terminateRequested).toBe(false);
    expectIdle(scheduler);
  });

  it('the worker wins (slot claimed): the cancel stops that worker instead, and its late value is dropped', () => {
    const { scheduler, transport } = makeScheduler();
    const controller = new AbortController();
    const job = applyWatched(scheduler, { kernel: 'add', args: [1, 2], signal: controller.signal });
    const other = applyWatched(scheduler, { kernel: 'add', args: [5, 5] });
    const worker = transport.latest;
    worker.take();
    expect(worker.claim()).toBe(true);
    controller.abort();
    expectFailure(job, CancelledError, /while running; its worker was stopped/);
    expect(worker.terminateRequested).toBe(true);
    expect(worker.release()).toBe(false); // RUNNING was stopped under it: the outcome is dropped
    expect(() => worker.take()).toThrow(/was stopped/);
    const replacement = transport.latest;
    expect(replacement).not.toBe(worker);
    replacement.runNext(add);
    scheduler.pump();
    expectValue(other, 10);
    expect(books(scheduler).units).toBe(1); // the stopped unit is held until its worker has exited
    worker.exit(1);
    return settleMicrotasks().then(() => expectIdle(scheduler));
  });

  it('adds one AbortSignal listener for every task sharing the signal, and removes it once the last one settles', () => {
    const { scheduler, transport } = makeScheduler();
    const controller = new AbortController();
    const added = vi.spyOn(controller.signal, 'addEventListener');
    const removed = vi.spyOn(controller.signal, 'removeEventListener');
    const jobs = [1, 2, 3].map((n) => applyWatched(scheduler, { kernel: 'add', args: [n, 0], signal: controller.signal }));
    expect(added).toHaveBeenCalledTimes(1);
    transport.latest.runNext(add);
    scheduler.pump();
    expectValue(jobs[0], 1);
    expect(removed).not.toHaveBeenCalled(); // two tasks still hold it
    while (transport.latest.runNext(add));
    scheduler.pump();
    jobs.forEach((job, i) => expectValue(job, i + 1));
    expect(added).toHaveBeenCalledTimes(1);
    expect(removed).toHaveBeenCalledTimes(1);
    expect(removed.mock.calls[0][1]).toBe(added.mock.calls[0][1]);
  });
});

describe('Scheduler: an abort while the unit waits in the scheduler (shared queue full)', () => {
  it('fails that unit alone, and the rest flow into the queue as room frees', () => {
    const { scheduler, transport } = makeScheduler();
    const controller = new AbortController();
    for (let i = 0; i < RING_CAPACITY; i++) scheduler.apply('add', [i, 0], {});
    const waiting = applyWatched(scheduler, { kernel: 'add', args: [1, 1], signal: controller.signal });
    const after = applyWatched(scheduler, { kernel: 'add', args: [2, 2] });
    expect(scheduler.queuedUnits).toBe(RING_CAPACITY + 2);
    controller.abort();
    expectFailure(waiting, CancelledError, /before it started/);
    const worker = transport.latest;
    let ran = 0;
    for (;;) {
      if (!worker.runNext(add)) {
        scheduler.pump(); // reads completions: room for `after`
        if (!worker.runNext(add)) break;
      }
      ran++;
    }
    scheduler.pump();
    expect(ran).toBe(RING_CAPACITY + 1);
    expectValue(after, 4);
    expectIdle(scheduler);
  });
});

describe('Scheduler: timeouts', () => {
  it('fails a unit that runs past its deadline with TimeoutError, stops its worker, and frees its resources only once that worker exited', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const { scheduler, transport } = makeScheduler();
    const release = vi.fn();
    const job = applyWatched(scheduler, { kernel: 'spin', args: [1], timeout: 100, resources: { release } });
    const worker = transport.latest;
    const unit = worker.take()!;
    expect(unit.timed).toBe(true);
    worker.claim(); // posts `started`: the clock starts now, not at submission
    vi.advanceTimersByTime(500);
    expect(job.job.pending).toBe(true); // `started` not read yet: queue time does not count
    scheduler.pump();
    vi.advanceTimersByTime(99);
    expect(job.job.pending).toBe(true);
    vi.advanceTimersByTime(5);
    expectFailure(job, TimeoutError, /`spin` ran past its timeout of 100 ms/);
    expect(worker.terminateRequested).toBe(true);
    expect(transport.workers).toHaveLength(2);
    await settleMicrotasks();
    expect(release).not.toHaveBeenCalled(); // the stopped thread may still write into its temporaries
    worker.exit(1);
    await settleMicrotasks();
    expect(release).toHaveBeenCalledTimes(1);
    expectIdle(scheduler);
  });

  it('frees the arena block of a chunk stopped mid-run only after its worker exited', async () => {
    const { scheduler, transport } = makeScheduler();
    const job = scheduler.map({ kernel: 'double', chunks: [new Float64Array([1, 2, 3])], total: 3, chunksize: 3, star: false });
    expect(books(scheduler).liveBlocks).toBe(1);
    const worker = transport.latest;
    worker.take();
    // Chunks carry no timeout of their own: terminate() stops the worker running it.
    const done = scheduler.terminate();
    expect(job.error).toBeInstanceOf(CancelledError);
    await settleMicrotasks();
    expect(books(scheduler).liveBlocks).toBe(1);
    transport.exitTerminated();
    await done;
    expectIdle(scheduler);
  });

  it('loses the stop compare-and-swap to a unit that finishes between the look and the swap: the value wins', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const { scheduler, transport } = makeScheduler();
    const job = applyWatched(scheduler, { kernel: 'add', args: [40, 2], timeout: 50 });
    const worker = transport.latest;
    const unit = worker.take()!;
    worker.claim();
    scheduler.pump();
    // The main thread finds the worker by its RUNNING cell, then swaps RUNNING id → STOPPED. A real thread can
    // finish in between; here the finish is scripted into that very read.
    const running = Object.getOwnPropertyDescriptor(WorkerNode.prototype, 'running')!.get!;
    let armed = true;
    vi.spyOn(WorkerNode.prototype, 'running', 'get').mockImplementation(function (this: WorkerNode) {
      const value = running.call(this) as number;
      if (armed && value === unit.id) {
        armed = false;
        expect(worker.release()).toBe(true);
        worker.writeNumber(42);
        worker.publish(Outcome.NUMBER);
      }
      return value;
    });
    vi.advanceTimersByTime(60);
    expect(armed).toBe(false); // the deadline fired and looked
    expectValue(job, 42);
    expect(worker.terminateRequested).toBe(false);
    expect(Atomics.load(worker.control, WorkerCell.RUNNING)).toBe(0); // not STOPPED: the swap failed
    expect(transport.workers).toHaveLength(1);
    vi.restoreAllMocks();
    expectIdle(scheduler);
  });

  it('loses to a unit that finished just before its deadline: the stop finds nothing running and the value wins', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const { scheduler, transport } = makeScheduler();
    const job = applyWatched(scheduler, { kernel: 'add', args: [20, 22], timeout: 50 });
    const worker = transport.latest;
    worker.take();
    worker.claim();
    scheduler.pump(); // `started`: the deadline runs
    expect(worker.release()).toBe(true); // finished: the main thread's stop CAS (id → STOPPED) can no longer succeed
    worker.writeNumber(42);
    vi.advanceTimersByTime(60); // deadline passes before the completion is published
    expect(job.job.pending).toBe(true);
    expect(worker.terminateRequested).toBe(false);
    worker.countDown();
    worker.complete(1);
    vi.advanceTimersByTime(60);
    scheduler.pump();
    expectValue(job, 42);
    expect(worker.terminateRequested).toBe(false);
    expect(transport.workers).toHaveLength(1);
    expectIdle(scheduler);
  });
});

describe('Scheduler: maxTasksPerWorker', () => {
  it('replaces a retired worker after close() while work remains, and join() waits for the replacement', async () => {
    const { scheduler, transport } = makeScheduler({ maxTasksPerWorker: 1 });
    const a = applyWatched(scheduler, { kernel: 'add', args: [1, 0] });
    const b = applyWatched(scheduler, { kernel: 'add', args: [2, 0] });
    scheduler.close();
    let joined = false;
    const join = scheduler.join().then(() => (joined = true));
    const first = transport.latest;
    first.runNext(add);
    first.post({ type: 'retired', reason: 'tasks' });
    scheduler.pump();
    expectValue(a, 1);
    expect(first.terminateRequested).toBe(true);
    expect(transport.workers).toHaveLength(2);
    first.exit(0);
    await settleMicrotasks();
    expect(joined).toBe(false); // the replacement has b
    const second = transport.latest;
    second.runNext(add);
    second.post({ type: 'retired', reason: 'tasks' });
    scheduler.pump();
    expectValue(b, 2);
    expect(transport.workers).toHaveLength(2); // no work left: not replaced again
    transport.exitTerminated();
    await join;
    expect(joined).toBe(true);
    expectIdle(scheduler);
  });

  it('keeps retiring and replacing without ever taking retirements for start-up crashes', () => {
    const { scheduler, transport } = makeScheduler({ maxTasksPerWorker: 1 });
    const jobs = [0, 1, 2, 3, 4].map((n) => applyWatched(scheduler, { kernel: 'add', args: [n, 0] }));
    for (let i = 0; i < jobs.length; i++) {
      const worker = transport.latest;
      worker.runNext(add);
      worker.post({ type: 'retired', reason: 'tasks' });
      scheduler.pump();
      worker.exit(0);
    }
    jobs.forEach((job, i) => expectValue(job, i));
    expect(scheduler.broken).toBeUndefined();
    expect(transport.workers).toHaveLength(6);
  });
});

describe('Scheduler: lifecycle', () => {
  it('terminate() with work queued and running fails all of it, stops every worker, and returns every slot and block', async () => {
    const { scheduler, transport } = makeScheduler({ workers: 2 });
    const running = applyWatched(scheduler, { kernel: 'add', args: [1, 1] });
    const queued = applyWatched(scheduler, { kernel: 'add', args: [2, 2] });
    const chunks = scheduler.map({ kernel: 'double', chunks: [new Float64Array([1]), new Float64Array([2])], total: 2, chunksize: 1, star: false });
    transport.workers[0].take();
    const done = scheduler.terminate();
    expectFailure(running, CancelledError, /terminated before the task finished/);
    expectFailure(queued, CancelledError);
    expect(chunks.error).toBeInstanceOf(CancelledError);
    expect(transport.workers.every((w) => w.terminateRequested)).toBe(true);
    expect(transport.workers).toHaveLength(2); // nothing replaced
    transport.exitTerminated();
    await done;
    expect(scheduler.state).toBe('terminated');
    expect(() => scheduler.close()).not.toThrow();
    expectIdle(scheduler);
  });

  it('join() before close() or terminate() is a PoolStateError', async () => {
    const { scheduler } = makeScheduler();
    await expect(scheduler.join()).rejects.toThrow(PoolStateError);
  });

  it('close() lets queued work finish, then stops the workers', async () => {
    const { scheduler, transport } = makeScheduler();
    const job = applyWatched(scheduler, { kernel: 'add', args: [1, 2] });
    scheduler.close();
    expect(transport.latest.terminateRequested).toBe(false);
    transport.latest.runNext(add);
    scheduler.pump();
    expectValue(job, 3);
    expect(transport.workers[0].terminateRequested).toBe(true);
    transport.exitTerminated();
    await scheduler.join();
    expectIdle(scheduler);
  });

  it('init-failed breaks the pool: every task, queued or later, fails with the loader error', () => {
    const { scheduler, transport } = makeScheduler({ initializer: 'setup' });
    const queued = applyWatched(scheduler, { kernel: 'add', args: [1, 2] });
    transport.latest.post({ type: 'init-failed', error: { name: 'Error', message: 'no database', origin: 'init' } });
    scheduler.pump();
    expectFailure(queued, TaskError, /initializer `setup` failed in a worker: no database/);
    const later = applyWatched(scheduler, { kernel: 'add', args: [1, 2] });
    expect(later.failures[0]).toBe(scheduler.broken);
  });

  it('takes values that are not numbers by message, after their completion', () => {
    const { scheduler, transport } = makeScheduler();
    const job = applyWatched(scheduler, { kernel: 'greet', args: ['ada'] });
    const failing = applyWatched(scheduler, { kernel: 'boom', args: [1] });
    const worker = transport.latest;
    const unit = worker.runNext((name) => `hello ${name as string}`)!;
    expect(unit.args).toEqual(['ada']); // not inline: serialized into the arena
    worker.take();
    worker.claim();
    worker.release();
    worker.writeMessage({ error: new RangeError('bad input') });
    worker.publish(3);
    expect(worker.unread.length).toBe(2);
    scheduler.pump();
    expectValue(job, 'hello ada');
    expectFailure(failing, TaskError, /bad input/);
    expectIdle(scheduler);
  });
});

describe('Scheduler: getSync on a thread that cannot read messages while it blocks (a browser worker)', () => {
  /** The fake transport, as a browser Web Worker's: it may block, but reads no message meanwhile. */
  class BlockingWithoutMessages extends FakeTransport {
    override readonly readsMessagesSync = false;
  }

  // The race CI met in Chromium: the worker counts the slot down, then writes the completion entry. Between the two
  // the slot reads finished while nothing has settled; the value is in the slot, not in a message, so getSync
  // must wait for the entry instead of refusing the result as one that "travels by message".
  it('a number whose worker counted down but has not written its completion entry yet: getSync waits for the entry', () => {
    const transport = new BlockingWithoutMessages();
    const scheduler = schedulerOver(transport);
    const { job } = applyWatched(scheduler, { kernel: 'add', args: [40, 2] });
    const worker = transport.latest;
    expect(worker.take()?.args).toEqual([40, 2]);
    expect(worker.claim()).toBe(true);
    expect(worker.release()).toBe(true);
    worker.writeNumber(42);
    worker.countDown();
    expect(scheduler.finished(job)).toBe(true);
    expect(scheduler.block(job, 5, true)).toBe(false); // timed out waiting, not refused
    worker.complete(Outcome.NUMBER);
    expect(scheduler.block(job, 5, true)).toBe(true);
    expect(job.value).toBe(42);
    expectIdle(scheduler);
  });
});
