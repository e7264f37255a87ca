import type { SlotTable } from '../abi/slot-table.js';
import type { Unit } from './jobs.js';
import type { KernelCatalog } from './kernel-catalog.js';
import type { UnitBook } from './unit-book.js';
import type { WorkerNode } from './worker-node.js';
import type { WorkerSet } from './worker-set.js';

/** What a dispatch strategy works with: the scheduler's books, none of them its own. */
export interface DispatchParts {
  book: UnitBook;
  workers: WorkerSet;
  slots: SlotTable;
  kernels: KernelCatalog;
  maxTasksPerWorker: number | undefined;
  /** Runs one step of bookkeeping from outside (a microtask): user code it settles runs after it. */
  step(body: () => void): void;
}

/**
 * How units reach workers, chosen once when the scheduler is built: through the shared work queue, where idle
 * workers take them (RingDispatch, with shared memory), or posted by message (PostedDispatch, a page that is not
 * cross-origin isolated). The scheduler never asks which one it has. It owns the queues where units wait for a
 * worker; the unit book owns what becomes of them once they left.
 */
export interface Dispatch {
  /**
   * Serializes a payload for the shared queue when it cannot travel inline (see RingDispatch.encode); undefined
   * where payloads travel as they are. Throws TypeError, naming the element, for a value no worker could receive.
   */
  encode(value: unknown[], where: (item: number) => string, isChunk?: boolean): Uint8Array | 'by-message' | undefined;
  /** Queues units of one submission (their kernel known to exist), straight to workers where there is room. */
  enqueue(units: readonly Unit[]): void;
  /** Moves waiting units where workers can get them, as far as there is room. */
  flush(): void;
  /** Completions were read: refill the shared queue with the room they freed. */
  refill(): void;
  /** Units waiting to be posted go soon (at once for the first of a synchronous run). */
  postWaiting(): void;
  /** A post deferred to the end of a synchronous run goes now (a caller blocking in getSync never yields). */
  postIfScheduled(): void;
  /** Takes cancelled untaken units back out of the shared queue; returns those it took back (they are in no queue now). */
  withdraw(cancelled: Set<Unit>): Set<Unit>;
  /** Removes a QUEUED unit from the queue it waits in. */
  remove(unit: Unit): void;
  /** Posted units a dead worker never finished: back to the front of their queue. */
  requeuePosted(units: Unit[]): void;
  /** Every waiting unit, taken out (a broken or terminated pool fails them); the shared queue's counters are nobody's work from now on. */
  abandon(): Unit[];
  /** Units waiting here (not yet in the shared queue or posted). */
  readonly waiting: number;
  /** Units waiting for a worker: here, or in the shared queue and not yet taken. */
  readonly queued: number;
  /** Entries in the shared queue not yet taken. */
  readonly untaken: number;
  /** Entries taken from the shared queue whose completion is not yet written. */
  readonly takenUnread: number;
  /** Entries in the shared queue whose completion this thread has not read (taken or not). */
  readonly inFlight: number;
  /** Wakes workers parked on the shared queue (they then read their port). */
  wake(): void;
  /** Asks workers to bump the pool signal on each take (a size watcher waits on one). */
  watchTakes(on: boolean): void;
  /** This thread read `count` completions from the rings. */
  completed(count: number): void;
  /** A taken entry will never publish a completion (its worker is gone): its room is free. */
  forget(): void;
  /** The id of the unit `worker` is inside, 0 if none. */
  runningOn(worker: WorkerNode): number;
  /** The worker running `unit`, if one is. */
  workerRunning(unit: Unit): WorkerNode | undefined;
  /** Stops `worker` if it is still inside `unit`: afterwards it can neither finish it nor take another. */
  stopFor(worker: WorkerNode, unit: Unit): boolean;
  /** Cancels a taken apply before a worker starts it, by winning its slot; false if it cannot be had. */
  tryCancelTaken(unit: Unit): boolean;
  /** A value came by message for `unit`: count its slot down here if workers cannot. */
  countDownPosted(unit: Unit): void;
  /** `worker`'s thread has surely exited: repair a queue lock it may have died holding. */
  workerExited(worker: WorkerNode): void;
  /** The shared queue's and `worker`'s completion ring buffers, for its `init`; undefined without shared memory. */
  ringOf(worker: WorkerNode): { descriptors: SharedArrayBuffer; completions: SharedArrayBuffer } | undefined;
}
