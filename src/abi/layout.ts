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
 * getSync() notices a dead worker without an event-loop turn. Both sides of
 * these protocols are in worker-control.ts.
 */
export const WorkerCell = {
  RUNNING: 0,
  EXITING: 1,
  /** The code the worker is exiting with, valid once EXITING is set. */
  EXIT_CODE: 2,
  /** Id of the unit this worker took last from the shared queue (kept after it finishes): crash triage. */
  LAST_TAKEN: 3,
} as const;
export const WORKER_CONTROL_BYTES = 16;
export const RUNNING_STOPPED = -1;

/**
 * Pool-wide signal block (Int32 cells). Every worker bumps COMPLETIONS and
 * notifies it after each unit, so one Atomics.wait on it wakes a blocked
 * getSync() whatever finished: its own result or one that frees a worker.
 * Both sides of the protocol are in pool-signal.ts.
 */
export const PoolCell = {
  COMPLETIONS: 0,
} as const;

/**
 * The shared work queue: one ring of unit descriptors. The main thread is its only producer (it writes an
 * entry, then bumps PUSHED); workers are its consumers and take entries one at a time under LOCK, so taking a
 * unit and marking it as running (the worker's RUNNING cell) happen together: a worker that dies at any point
 * leaves either an untaken entry or a RUNNING cell that names its unit, never a unit nobody owns.
 *
 * Queue cells (Int32, in the pool's control block, after PoolCell):
 *   PUSHED    entries ever pushed (producer index; the ring position is PUSHED & RING_MASK)
 *   TAKEN     entries ever taken (consumer index, written under LOCK)
 *   LOCK      0 when free, else the serial of the worker holding it
 *   SLEEPERS  workers parked (the main thread notifies only when > 0)
 *   PARKS     times a worker went to park: the main thread notifies once per new park, not once per push
 *   WATCH_TAKES  1 while the main thread waits to hear of takes (an `onSizeLessThan` waiter with entries
 *             untaken): a worker that takes an entry then bumps and notifies PoolCell.COMPLETIONS
 *   WAKES     the wake-up counter parked workers wait on: every push to a sleeper and every wakeAll() adds 1
 *             before notifying, so a worker between its last look and its wait cannot miss a wake-up
 *   LOCK_WAITERS  threads sleeping on LOCK: unlock() notifies only when > 0
 */
export const QueueCell = {
  PUSHED: 1,
  TAKEN: 2,
  LOCK: 3,
  SLEEPERS: 4,
  PARKS: 5,
  WATCH_TAKES: 6,
  WAKES: 7,
  LOCK_WAITERS: 8,
} as const;
export const CONTROL_BYTES = 64;

/** Entries in the work ring (and the completion ring): also the most units that can be in shared memory at once. */
export const RING_CAPACITY = 1 << 14;
export const RING_MASK = RING_CAPACITY - 1;

/**
 * One descriptor: 16 Int32 header cells, then up to MAX_INLINE_ARGS arguments as Float64 (BigInt64 where the
 * BIGINT mask says so). Everything a worker needs to run a unit whose arguments are numbers.
 */
export const DESCRIPTOR_INT32S = 32;
export const DESCRIPTOR_BYTES = DESCRIPTOR_INT32S * 4;
export const DescriptorCell = {
  ID: 0,
  SLOT: 1,
  KERNEL: 2,
  /** UnitKind in the low byte, UnitFlag bits above. */
  KIND: 3,
  /** Apply: argument count. Chunk: item count. */
  COUNT: 4,
  /** Bit i set: inline argument i is a bigint (i64). */
  BIGINTS: 5,
  /** Payload block in the arena (kinds that have one). */
  PAYLOAD_PAGE: 6,
  PAYLOAD_OFFSET: 7,
  PAYLOAD_BYTES: 8,
} as const;
/** Index of the first inline argument in the descriptor's Float64 view. */
export const DESCRIPTOR_ARGS_F64 = 8;
export const MAX_INLINE_ARGS = 8;

export const UnitKind = {
  /** Apply whose arguments are inline numbers. */
  APPLY_INLINE: 1,
  /** Apply whose argument list is serialized in the arena. */
  APPLY_PAYLOAD: 2,
  /** Chunk of numbers: Float64 items in the arena; numeric results are written back in place. */
  CHUNK_NUMBERS: 3,
  /** Chunk of anything: the item list serialized in the arena. */
  CHUNK_PAYLOAD: 4,
} as const;
export const UnitFlag = {
  /** The main thread wants a `started` message (it runs a timer for this unit). */
  TIMED: 1 << 8,
  /** Each item is an argument list (starmap). */
  STAR: 1 << 9,
} as const;

/**
 * Each worker's completion ring (one producer: the worker; one consumer: the main thread). The worker writes
 * an entry (unit id, Outcome, start time, run time), then stores WRITTEN + 1; the main thread reads entries below WRITTEN. A worker
 * that dies mid-write leaves no half-written entry visible. It cannot overflow: the main thread keeps at most
 * RING_CAPACITY units in shared memory until their completions are read.
 */
export const COMPLETION_HEADER_INT32S = 2;
/** An entry: unit id and Outcome (Int32), then when it started (epoch ms) and how long it ran (ms), as Float64. */
export const COMPLETION_INT32S = 8;
export const COMPLETION_RING_BYTES = (COMPLETION_HEADER_INT32S + RING_CAPACITY * COMPLETION_INT32S) * 4;
export const Outcome = {
  /** The number is in the unit's slot. */
  NUMBER: 1,
  /** Chunk: numeric results were written over the items, in the arena. */
  IN_PLACE: 2,
  /** The value or error was posted as a message before this entry was written. */
  MESSAGE: 3,
  /** The unit was cancelled before a worker took it; nothing ran. */
  SKIPPED: 4,
} as const;
