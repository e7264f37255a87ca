import { describe, expect, it } from 'vitest';
import { Outcome } from '../../src/abi/layout.js';
import { CancelledError, WorkerCrashError } from '../../src/errors.js';
import { applyWatched, expectFailure, expectIdle, expectValue, makeScheduler, settleMicrotasks } from './scheduler-harness.js';

/**
 * Units whose arguments only postMessage can carry (a SharedArrayBuffer, shared rather than copied) are posted
 * to one worker in `run` messages instead of going through the shared queue.
 */
describe('Scheduler: units posted by message', () => {
  it('spreads a run over idle workers instead of queueing it all behind the first', async () => {
    const { scheduler, transport } = makeScheduler({ workers: 2 });
    const buffer = new SharedArrayBuffer(8);
    applyWatched(scheduler, { kernel: 'touch', args: [buffer, 0] });
    applyWatched(scheduler, { kernel: 'touch', args: [buffer, 1] });
    await settleMicrotasks(); // the rest of a synchronous run is posted at its end
    expect(transport.workers.map((w) => w.inbox.map((unit) => unit.args![1]))).toEqual([[0], [1]]);
  });

  it('posts one unit at a time to a free worker; the rest wait in the queue, counted as queued', async () => {
    const { scheduler, transport } = makeScheduler({ workers: 2 });
    const buffer = new SharedArrayBuffer(8);
    const jobs = [0, 1, 2].map((i) => applyWatched(scheduler, { kernel: 'touch', args: [buffer, i] }));
    await settleMicrotasks();
    expect(transport.workers.map((w) => w.inbox.map((unit) => unit.args![1]))).toEqual([[0], [1]]);
    expect({ size: scheduler.queuedUnits, pending: scheduler.runningUnits }).toEqual({ size: 1, pending: 2 });
    const [first] = transport.workers;
    first.takePosted();
    first.claim();
    first.release();
    first.writeNumber(5);
    first.publish(Outcome.NUMBER);
    scheduler.pump(); // its `done` notice: that worker is free again, and the waiting unit goes to it
    expectValue(jobs[0], 5);
    expect(first.inbox.map((unit) => unit.args![1])).toEqual([2]);
    expect({ size: scheduler.queuedUnits, pending: scheduler.runningUnits }).toEqual({ size: 0, pending: 2 });
  });

  it('on a crash: recovers what the worker finished from its slot, fails the unit it was inside, the rest run on the replacement', async () => {
    const { scheduler, transport } = makeScheduler();
    const buffer = new SharedArrayBuffer(8);
    const jobs = [0, 1, 2, 3].map((i) => applyWatched(scheduler, { kernel: 'touch', args: [buffer, i] }));
    await settleMicrotasks();
    const worker = transport.latest;
    expect(worker.inbox.map((unit) => unit.args![1])).toEqual([0]);
    expect(scheduler.queuedUnits).toBe(3);
    expect(scheduler.runningUnits).toBe(1);
    const finish = (w: typeof worker, value: number): void => {
      w.takePosted();
      w.claim();
      w.release();
      w.writeNumber(value);
      w.publish(Outcome.NUMBER);
    };
    finish(worker, 10);
    scheduler.pump();
    expectValue(jobs[0], 10);
    finish(worker, 11); // its `done` notice dies with the worker: the slot says it finished
    worker.exit(4);
    expectValue(jobs[1], 11);

    const replacement = transport.latest;
    expect(replacement).not.toBe(worker);
    expect(replacement.inbox.map((unit) => unit.args![1])).toEqual([2]);
    replacement.takePosted();
    replacement.claim();
    replacement.exit(5); // inside the unit
    expectFailure(jobs[2], WorkerCrashError, /exit code 5/);
    await settleMicrotasks(); // within one synchronous run, posting after the first is batched at its end

    const third = transport.latest;
    expect(third.inbox.map((unit) => unit.args![1])).toEqual([3]);
    third.takePosted();
    third.claim();
    third.release();
    third.writeMessage({ value: 'touched' });
    third.publish(Outcome.MESSAGE);
    scheduler.pump();
    expectValue(jobs[3], 'touched');
    expectIdle(scheduler);
  });

  it('cancelling a posted unit that runs stops its worker; the units queued behind it go to the replacement', async () => {
    const { scheduler, transport } = makeScheduler();
    const buffer = new SharedArrayBuffer(8);
    const controller = new AbortController();
    const running = applyWatched(scheduler, { kernel: 'touch', args: [buffer, 0], signal: controller.signal });
    const behind = applyWatched(scheduler, { kernel: 'touch', args: [buffer, 1] });
    await settleMicrotasks();
    const worker = transport.latest;
    worker.takePosted();
    worker.claim();
    controller.abort();
    expectFailure(running, CancelledError, /while running/);
    expect(worker.terminateRequested).toBe(true);
    expect(worker.inbox).toHaveLength(0); // the unit behind waited in the queue, not in this worker's inbox
    const replacement = transport.latest;
    expect(replacement.inbox.map((unit) => unit.args![1])).toEqual([1]);
    replacement.takePosted();
    replacement.claim();
    replacement.release();
    replacement.writeNumber(1);
    replacement.publish(Outcome.NUMBER);
    scheduler.pump();
    expectValue(behind, 1);
    worker.exit(1);
    await settleMicrotasks();
    expectIdle(scheduler);
  });
});
