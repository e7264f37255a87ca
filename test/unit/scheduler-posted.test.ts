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

  it('on a crash: recovers what the worker finished from its slot, fails the unit it was inside, requeues the rest', async () => {
    const { scheduler, transport } = makeScheduler();
    const buffer = new SharedArrayBuffer(8);
    const jobs = [0, 1, 2].map((i) => applyWatched(scheduler, { kernel: 'touch', args: [buffer, i] }));
    await settleMicrotasks();
    const worker = transport.latest;
    expect(worker.inbox.map((unit) => unit.args![1])).toEqual([0, 1, 2]);
    expect(scheduler.queuedUnits).toBe(0);
    expect(scheduler.runningUnits).toBe(3);

    worker.takePosted();
    worker.claim();
    worker.release();
    worker.writeNumber(10);
    worker.publish(Outcome.NUMBER); // its `done` notice dies with the worker: the slot says it finished
    worker.takePosted();
    worker.claim();
    worker.exit(4);

    expectValue(jobs[0], 10);
    expectFailure(jobs[1], WorkerCrashError, /exit code 4/);
    expect(jobs[2].job.pending).toBe(true);
    const replacement = transport.latest;
    expect(replacement).not.toBe(worker);
    expect(replacement.inbox.map((unit) => unit.args![1])).toEqual([2]); // requeued, at once
    replacement.takePosted();
    replacement.claim();
    replacement.release();
    replacement.writeMessage({ value: 'touched' });
    replacement.publish(Outcome.MESSAGE);
    scheduler.pump();
    expectValue(jobs[2], 'touched');
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
    expect(() => worker.takePosted()).toThrow(/was stopped/); // RUNNING is STOPPED: it can start nothing else
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
