import { WORKER_CONTROL_BYTES, WorkerCell } from '../abi/layout.js';
import { allocateFlagBuffer } from '../abi/shared-buffer.js';
import type { WorkerHandle } from '../transport/types.js';
import type { Unit } from './jobs.js';

/** The pool's bookkeeping for one live worker. */
export class WorkerSlot {
  readonly control = allocateFlagBuffer(WORKER_CONTROL_BYTES);
  readonly cells = new Int32Array(this.control);
  /** Units posted to this worker and not yet given back, in the order it runs them. */
  readonly inFlight = new Map<number, Unit>();
  /** Units ever posted (for maxTasksPerWorker). */
  assigned = 0;
  /** Slot pages already sent. */
  pagesSent = 0;
  /** No more units go here; replaced once its in-flight units are back. */
  retiring = false;
  /** Set once the pool has stopped using this worker (dead, killed or retired). */
  gone = false;
  handle!: WorkerHandle;
  /** Resolves the promise join() waits on. */
  exited: () => void = () => {};

  /** Id of the unit the worker is running, 0 if none. */
  get running(): number {
    return Atomics.load(this.cells, WorkerCell.RUNNING);
  }

  get exitCode(): number {
    return Atomics.load(this.cells, WorkerCell.EXIT_CODE);
  }

  get exiting(): boolean {
    return Atomics.load(this.cells, WorkerCell.EXITING) !== 0;
  }
}
