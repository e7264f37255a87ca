import { WORKER_CONTROL_BYTES } from '../abi/layout.js';
import { exitCode, isExiting, readLastTaken, readRunning, stopIfRunning, stopRunning } from '../abi/worker-control.js';
import { allocateFlagBuffer } from '../abi/shared-buffer.js';
import { CompletionRing } from '../abi/work-ring.js';
import type { WorkerHandle } from '../transport/types.js';
import type { Unit } from './jobs.js';

/**
 * One live worker as the Scheduler sees it: its control cells, its completion ring, and the units posted to
 * it by message. Every change to it is one of its methods, called by the WorkerSet that owns it or by the
 * scheduler's dispatch as it posts units.
 */
export class WorkerNode {
  readonly control = allocateFlagBuffer(WORKER_CONTROL_BYTES);
  readonly cells = new Int32Array(this.control);
  /** Where its completions of shared-queue units appear (only with shared memory). */
  readonly completions: CompletionRing | undefined;
  readonly #posted = new Map<number, Unit>();
  #postedCount = 0;
  #retiring = false;
  #gone = false;
  #stoppedUnit = 0;
  #provedAlive = false;
  #handle: WorkerHandle | undefined;
  #ready = false;
  /** Resolves when its thread has exited. */
  readonly exited: Promise<void>;
  markExited: () => void = () => {};

  constructor(
    /** Unique among the pool's workers, never 0: who holds the queue lock. */
    readonly serial: number,
    shared: boolean,
  ) {
    this.completions = shared ? new CompletionRing() : undefined;
    this.exited = new Promise<void>((resolve) => (this.markExited = resolve));
  }

  get handle(): WorkerHandle {
    return this.#handle!;
  }

  /** Gives it the transport's handle to its thread (once, right after spawning it). */
  attach(handle: WorkerHandle): void {
    this.#handle = handle;
  }

  /** Units posted to it in `run` messages and not yet back, in the order it runs them. */
  get posted(): ReadonlyMap<number, Unit> {
    return this.#posted;
  }

  /** Units ever posted (maxTasksPerWorker applies to posted units; the worker counts what it takes itself). */
  get postedCount(): number {
    return this.#postedCount;
  }

  /** `unit` was posted to it in a `run` message. */
  holdPosted(unit: Unit): void {
    this.#posted.set(unit.id, unit);
    this.#postedCount++;
  }

  /** A posted unit is back. */
  releasePosted(unitId: number): void {
    this.#posted.delete(unitId);
  }

  /** Every posted unit not yet back, forgotten here (its worker is gone): the caller settles or requeues them. */
  takePosted(): Unit[] {
    const units = [...this.#posted.values()];
    this.#posted.clear();
    return units;
  }

  /** No more units go here; it is stopped once what it holds is back. */
  get retiring(): boolean {
    return this.#retiring;
  }

  markRetiring(): void {
    this.#retiring = true;
  }

  /** Set once the pool has stopped using this worker (dead, killed or retired). */
  get gone(): boolean {
    return this.#gone;
  }

  /** The pool stops using it; false if it already had. */
  markGone(): boolean {
    if (this.#gone) return false;
    this.#gone = true;
    return true;
  }

  /** The unit the pool stopped it for (timeout, cancel), 0 if none. */
  get stoppedUnit(): number {
    return this.#stoppedUnit;
  }

  markStoppedFor(unitId: number): void {
    this.#stoppedUnit = unitId;
  }

  /** It finished a unit (or retired cleanly), so a death now is not a start-up crash. */
  get provedAlive(): boolean {
    return this.#provedAlive;
  }

  markProvedAlive(): void {
    this.#provedAlive = true;
  }

  /** Id of the unit the worker is running, 0 if none, RUNNING_STOPPED once stopped. */
  get running(): number {
    return readRunning(this.cells);
  }

  get lastTaken(): number {
    return readLastTaken(this.cells);
  }

  get exitCode(): number {
    return exitCode(this.cells);
  }

  /** Its module is loaded and its task loop runs (it said so: markReady). */
  get ready(): boolean {
    return this.#ready;
  }

  markReady(): void {
    this.#ready = true;
  }

  /**
   * Holds nothing: not inside a unit, and every unit posted to it settled or finished (`finished` says so for a
   * unit whose notice is unread: a browser thread blocked in getSync() cannot read it). The last unit it took
   * (LAST_TAKEN) is finished once RUNNING has moved on.
   */
  isFree(finished: (unit: Unit) => boolean): boolean {
    if (this.running !== 0) return false;
    if (this.posted.size === 0) return true;
    const last = this.lastTaken;
    for (const unit of this.posted.values()) if (!unit.settled && unit.id !== last && !finished(unit)) return false;
    return true;
  }

  get exiting(): boolean {
    return isExiting(this.cells);
  }

  /** Stops the worker whatever it is doing; returns the id of the unit it was inside (0 if none). */
  stop(): number {
    return stopRunning(this.cells);
  }

  /** Stops the worker if it is running `unitId` (0: if it is idle): afterwards it can neither finish that unit nor take another. */
  stopIfRunning(unitId: number): boolean {
    return stopIfRunning(this.cells, unitId);
  }
}
