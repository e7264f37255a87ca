/**
 * Shared-memory layout, shared by the main thread and every worker. Named
 * constants only: a bare offset in either side's code is a bug waiting to happen.
 *
 * Completion slots live in pages of SLOTS_PER_PAGE. One page is one
 * SharedArrayBuffer holding three parallel arrays:
 *   remaining[SLOTS_PER_PAGE]  Int32  units still to finish for this result; 0 = ready
 *   state[SLOTS_PER_PAGE]      Int32  SlotState of a single-unit (apply) result
 *   value[SLOTS_PER_PAGE]      Float64 numeric result, valid when state === NUMBER
 * Pages are only ever added, so a slot index stays valid for the pool's life.
 */
export const SLOTS_PER_PAGE = 4096;
export const SLOT_PAGE_SHIFT = 12;
export const SLOT_INDEX_MASK = SLOTS_PER_PAGE - 1;
export const SLOT_PAGE_BYTES = SLOTS_PER_PAGE * (4 + 4 + 8);

/** Life of an apply result's slot. Main and worker race on PENDING with compareExchange. */
export const SlotState = {
  /** Dispatched (or about to be); nobody has claimed it. */
  PENDING: 0,
  /** A worker claimed it and is running the kernel. */
  RUNNING: 1,
  /** Finished; the value is the Float64 in the slab: no message needed to read it. */
  NUMBER: 2,
  /** Finished; the value (or error) travels as a message posted before the flag was set. */
  MESSAGE: 3,
  /** The main thread cancelled it before a worker claimed it; the worker skips it. */
  CANCELLED: 4,
} as const;

/** A view of one slot page, identical on both sides. */
export interface SlotPageViews {
  readonly remaining: Int32Array;
  readonly state: Int32Array;
  readonly value: Float64Array;
}

export function viewSlotPage(buffer: SharedArrayBuffer): SlotPageViews {
  return {
    remaining: new Int32Array(buffer, 0, SLOTS_PER_PAGE),
    state: new Int32Array(buffer, SLOTS_PER_PAGE * 4, SLOTS_PER_PAGE),
    value: new Float64Array(buffer, SLOTS_PER_PAGE * 8, SLOTS_PER_PAGE),
  };
}

/**
 * Per-worker control block (Int32 cells). RUNNING holds the id of the unit the
 * worker is inside (0 between units), so after a crash the main thread knows
 * which in-flight unit to blame; the others are requeued, not failed. The
 * worker claims it with compareExchange(0 → id) and releases it (id → 0); the
 * main thread stops a worker with compareExchange(id → STOPPED), after which
 * the worker can neither finish that unit nor start another, so its waiting
 * units can be requeued at once, before the thread has actually exited.
 * EXITING is set by the worker's own exit hook so a thread blocked in
 * getSync() notices a dead worker without an event-loop turn.
 */
export const WorkerCell = {
  RUNNING: 0,
  EXITING: 1,
  /** The code the worker is exiting with, valid once EXITING is set. */
  EXIT_CODE: 2,
} as const;
export const WORKER_CONTROL_BYTES = 12;
export const RUNNING_STOPPED = -1;

/**
 * Pool-wide signal block (Int32 cells). Every worker bumps COMPLETIONS and
 * notifies it after each unit, so one Atomics.wait on it wakes a blocked
 * getSync() whatever finished: its own result or one that frees a worker.
 */
export const PoolCell = {
  COMPLETIONS: 0,
} as const;
export const POOL_SIGNAL_BYTES = 8;
