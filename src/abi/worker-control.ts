import { RUNNING_STOPPED, WorkerCell } from './layout.js';

/**
 * The protocols of a worker's control block (WorkerCell, in layout.ts): the RUNNING cell, and the exit notice.
 *
 * The RUNNING cell (WorkerCell.RUNNING): the id of the unit the worker is inside,
 * 0 between units, RUNNING_STOPPED once the main thread stopped it. Both halves of the protocol are here, used
 * by the worker runtime (src/worker/runtime.ts, RingConsumer.take), the scheduler (WorkerNode) and the test
 * fake (test/unit/fake-transport.ts).
 *
 *   worker  claimRunning    0 → id        before it runs a unit (inside LOCK for one taken from the shared queue)
 *           releaseRunning  id → 0        once the kernel returned, before it writes the unit's value
 *   main    stopRunning     any → STOPPED a broken or terminated pool: the worker can take nothing more
 *           stopIfRunning   id → STOPPED  a timeout or cancel of unit `id`; id 0 stops an idle worker (retirement)
 *
 * Every move is a compareExchange, so each race has one winner and both sides know who: a worker whose release
 * wins finished the unit (its value is kept, the main thread's stopIfRunning fails and it leaves the worker
 * alone); a stop that wins first makes the release fail, and the worker drops the outcome. STOPPED is final:
 * nothing moves it back. LAST_TAKEN is written by the worker right after each claim and never cleared: the unit
 * it took last, which the main thread blames or settles when the worker dies after RUNNING moved on.
 *
 * The exit notice: a worker's exit hook stores EXIT_CODE, then EXITING (the store that publishes the code), then
 * bumps the pool signal (notifyPool): a main thread blocked in getSync() sees the death without the event-loop
 * turn that would deliver the transport's exit event (isExiting, exitCode).
 */

/** Worker: claims RUNNING for `unitId`; false if the main thread stopped this worker (take nothing). */
export function claimRunning(control: Int32Array, unitId: number): boolean {
  if (Atomics.compareExchange(control, WorkerCell.RUNNING, 0, unitId) !== 0) return false;
  Atomics.store(control, WorkerCell.LAST_TAKEN, unitId);
  return true;
}

/** Worker: releases RUNNING after `unitId`; false if the main thread stopped it meanwhile (drop the outcome). */
export function releaseRunning(control: Int32Array, unitId: number): boolean {
  return Atomics.compareExchange(control, WorkerCell.RUNNING, unitId, 0) === unitId;
}

/** Either side: the unit the worker is inside, 0 if none, RUNNING_STOPPED once stopped. */
export function readRunning(control: Int32Array): number {
  return Atomics.load(control, WorkerCell.RUNNING);
}

/** Either side: whether the main thread has stopped the worker. */
export function isStopped(control: Int32Array): boolean {
  return Atomics.load(control, WorkerCell.RUNNING) === RUNNING_STOPPED;
}

/** Main: the unit the worker took last (kept after it finishes), 0 if none yet. */
export function readLastTaken(control: Int32Array): number {
  return Atomics.load(control, WorkerCell.LAST_TAKEN);
}

/** Main: stops the worker whatever it is doing; returns the id of the unit it was inside (0 if none). */
export function stopRunning(control: Int32Array): number {
  for (;;) {
    const running = Atomics.load(control, WorkerCell.RUNNING);
    if (running === RUNNING_STOPPED) return 0;
    if (Atomics.compareExchange(control, WorkerCell.RUNNING, running, RUNNING_STOPPED) === running) return running;
  }
}

/** Main: stops the worker if it is inside `unitId` (0: if it is idle); afterwards it can neither finish that unit nor take another. */
export function stopIfRunning(control: Int32Array, unitId: number): boolean {
  return Atomics.compareExchange(control, WorkerCell.RUNNING, unitId, RUNNING_STOPPED) === unitId;
}

/** Worker (its exit hook): records the exit code, then EXITING. The caller bumps the pool signal after it. */
export function announceExit(control: Int32Array, code: number): void {
  Atomics.store(control, WorkerCell.EXIT_CODE, code);
  Atomics.store(control, WorkerCell.EXITING, 1);
}

/** Main: whether the worker's exit hook ran (its thread is going, whatever the transport has said yet). */
export function isExiting(control: Int32Array): boolean {
  return Atomics.load(control, WorkerCell.EXITING) !== 0;
}

/** Main: the code the worker is exiting with, valid once isExiting. */
export function exitCode(control: Int32Array): number {
  return Atomics.load(control, WorkerCell.EXIT_CODE);
}
