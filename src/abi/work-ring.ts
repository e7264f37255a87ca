import { notifyPool } from './pool-signal.js';
import { claimRunning, isStopped } from './worker-control.js';
import {
  COMPLETION_HEADER_INT32S,
  COMPLETION_INT32S,
  COMPLETION_RING_BYTES,
  DESCRIPTOR_BYTES,
  DESCRIPTOR_INT32S,
  DescriptorCell,
  QueueCell,
  RING_CAPACITY,
  RING_MASK,
} from './layout.js';

/** The buffers of the shared work queue, as every thread sees them. */
export interface RingBuffers {
  /** The pool's control block (PoolCell and QueueCell cells). */
  control: SharedArrayBuffer;
  descriptors: SharedArrayBuffer;
}

export function allocateRingBuffers(control: SharedArrayBuffer): RingBuffers {
  return { control, descriptors: new SharedArrayBuffer(RING_CAPACITY * DESCRIPTOR_BYTES) };
}

/** Views of the descriptor ring, identical on both sides. */
export class DescriptorViews {
  readonly cells: Int32Array;
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  readonly i64: BigInt64Array;

  constructor(buffers: RingBuffers) {
    this.cells = new Int32Array(buffers.control);
    this.i32 = new Int32Array(buffers.descriptors);
    this.f64 = new Float64Array(buffers.descriptors);
    this.i64 = new BigInt64Array(buffers.descriptors);
  }
}

const WRITTEN = 0;

/** One worker's completion ring: the worker writes, the main thread reads (see COMPLETION_HEADER_INT32S). */
export class CompletionRing {
  readonly cells: Int32Array;
  readonly #times: Float64Array;
  /** Entries read (main thread) or written (worker): each side keeps its own. */
  #count = 0;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(COMPLETION_RING_BYTES)) {
    this.cells = new Int32Array(buffer);
    this.#times = new Float64Array(buffer);
  }

  /** Worker: publishes a completion, after the value, the slot state and the countdown are written. */
  write(id: number, outcome: number, startedAt: number, runMs: number): void {
    const at = COMPLETION_HEADER_INT32S + (this.#count & RING_MASK) * COMPLETION_INT32S;
    this.cells[at] = id;
    this.cells[at + 1] = outcome;
    this.#times[at / 2 + 1] = startedAt;
    this.#times[at / 2 + 2] = runMs;
    Atomics.store(this.cells, WRITTEN, ++this.#count);
  }

  /** Main thread: whether completions are waiting to be read. */
  get unread(): boolean {
    return Atomics.load(this.cells, WRITTEN) !== this.#count;
  }

  /** Main thread: completions written and not read yet: units that finished though this thread has not looked. */
  get unreadCount(): number {
    return (Atomics.load(this.cells, WRITTEN) - this.#count) | 0;
  }

  /**
   * Main thread: reads every completion written so far, in order. Returns how many. `take` must not read this
   * ring again (the scheduler runs no user code inside it); each entry is counted as read before it is handed
   * over, so even then no entry would be read twice.
   */
  read(take: (id: number, outcome: number, startedAt: number, runMs: number) => void): number {
    const written = Atomics.load(this.cells, WRITTEN);
    let count = 0;
    while (((written - this.#count) | 0) > 0) {
      const at = COMPLETION_HEADER_INT32S + (this.#count & RING_MASK) * COMPLETION_INT32S;
      this.#count++;
      count++;
      take(this.cells[at], this.cells[at + 1], this.#times[at / 2 + 1], this.#times[at / 2 + 2]);
    }
    return count;
  }
}

/**
 * The main thread's side: the only producer of descriptors and the only consumer of completions. It never
 * takes LOCK; it reads TAKEN to know how much room is left.
 */
export class RingProducer {
  readonly views: DescriptorViews;
  /** Entries pushed (mirror of PUSHED, which only this thread writes). */
  #pushed = 0;
  /** Completions read, from every worker's ring. */
  #read = 0;
  /** PARKS when this thread last woke the parked workers. */
  #parksWoken = -1;

  constructor(readonly buffers: RingBuffers) {
    this.views = new DescriptorViews(buffers);
  }

  /** Units pushed whose completion has not been read: they are in shared memory. */
  get inFlight(): number {
    return this.#pushed - this.#read;
  }

  /** Entries taken by workers whose completion this thread has not read (some may be written already). */
  get takenUnread(): number {
    return Atomics.load(this.views.cells, QueueCell.TAKEN) - this.#read;
  }

  /** Entries pushed but not yet taken by a worker. */
  get waiting(): number {
    return this.#pushed - Atomics.load(this.views.cells, QueueCell.TAKEN);
  }

  /** Whether another unit fits: its descriptor and, later, its completion. */
  get hasRoom(): boolean {
    return this.#pushed - this.#read < RING_CAPACITY;
  }

  /** Int32 index of the next descriptor to fill; call publish() once it is written. */
  nextEntry(): number {
    return (this.#pushed & RING_MASK) * DESCRIPTOR_INT32S;
  }

  /** Makes every entry written since the last publish visible to workers, and wakes one if any sleeps. */
  publish(count: number): void {
    if (count === 0) return;
    this.#pushed += count;
    const cells = this.views.cells;
    // The store of PUSHED is the release: every descriptor write before it is visible to a worker that reads it.
    Atomics.store(cells, QueueCell.PUSHED, this.#pushed);
    // Wake parked workers once per park, not once per push: in a burst, a woken worker takes a while to
    // announce it is awake, and a notify per unit would cost more than the unit. A worker bumps PARKS before
    // its last look at PUSHED, so either it sees this push or this thread sees its park.
    if (Atomics.load(cells, QueueCell.SLEEPERS) > 0) {
      const parks = Atomics.load(cells, QueueCell.PARKS);
      if (parks !== this.#parksWoken) {
        this.#parksWoken = parks;
        wake(cells);
      }
    }
  }

  /** Asks workers to tell this thread of every take (bump PoolCell.COMPLETIONS), or to stop doing so. */
  watchTakes(on: boolean): void {
    Atomics.store(this.views.cells, QueueCell.WATCH_TAKES, on ? 1 : 0);
  }

  /** Counts completions read from a worker's CompletionRing: room for as many new units. */
  completed(count: number): void {
    this.#read += count;
  }

  /** A unit that left shared memory without a completion (its worker died): its room is free again. */
  forget(): void {
    this.#read++;
  }

  /** Wakes every parked worker (after posting a message they must read, or stopping one). */
  wakeAll(): void {
    wake(this.views.cells);
  }

  /**
   * Takes back the entries from producer index `from` on that no worker has taken yet (a unit of higher priority
   * must go before them, or they were cancelled): returns the producer indices [first, to) withdrawn, to be
   * pushed again in a new order; `first` is above `from` when workers took some meanwhile. Holds LOCK for a
   * handful of instructions, so no worker can be taking one meanwhile. Undefined if LOCK stays held (by a
   * worker that died holding it, repaired only once its exit is seen): nothing is withdrawn then.
   */
  retractFrom(from: number): [number, number] | undefined {
    const cells = this.views.cells;
    // A live holder keeps LOCK for nanoseconds; this bound (well under a millisecond) only ever ends a wait on a dead one.
    for (let spins = 0; Atomics.compareExchange(cells, QueueCell.LOCK, 0, MAIN_THREAD_SERIAL) !== 0; spins++) {
      if (spins > MAIN_LOCK_SPINS) return undefined;
    }
    const taken = Math.max(from, Atomics.load(cells, QueueCell.TAKEN));
    const to = this.#pushed;
    Atomics.store(cells, QueueCell.PUSHED, taken);
    this.#pushed = taken;
    unlock(cells);
    return [taken, to];
  }

  /** Consumer index: entries below it are taken. */
  get taken(): number {
    return Atomics.load(this.views.cells, QueueCell.TAKEN);
  }

  /** Producer index of the next entry pushed. */
  get pushed(): number {
    return this.#pushed;
  }

  /**
   * A worker died holding LOCK (killed from outside between taking and releasing it). If it had already marked
   * the entry at TAKEN as its running unit, that entry is consumed on its behalf; then the lock is freed.
   * Call only once the worker's thread is known to have exited.
   */
  repairAfterDeath(serial: number, running: number): void {
    const cells = this.views.cells;
    if (Atomics.load(cells, QueueCell.LOCK) !== serial) return;
    const taken = Atomics.load(cells, QueueCell.TAKEN);
    if (taken !== this.#pushed && running !== 0) {
      const entry = (taken & RING_MASK) * DESCRIPTOR_INT32S;
      if (this.views.i32[entry + DescriptorCell.ID] === running) Atomics.store(cells, QueueCell.TAKEN, taken + 1);
    }
    unlock(cells);
  }
}

/** Who holds LOCK while the main thread retracts entries (worker serials count up from 1). */
const MAIN_THREAD_SERIAL = 0x7fffffff;
/** How often the main thread tries for LOCK before giving up on a retraction (see retractFrom). */
const MAIN_LOCK_SPINS = 20_000;

/** The wake-up protocol's writer half: change WAKES, then notify, so no parked or parking worker misses it. */
function wake(cells: Int32Array): void {
  Atomics.add(cells, QueueCell.WAKES, 1);
  Atomics.notify(cells, QueueCell.WAKES);
}

/** Frees LOCK, waking a thread that went to sleep on it. */
function unlock(cells: Int32Array): void {
  Atomics.store(cells, QueueCell.LOCK, 0);
  if (Atomics.load(cells, QueueCell.LOCK_WAITERS) > 0) Atomics.notify(cells, QueueCell.LOCK);
}

/** What take() found. */
export const TAKE_NOTHING = 0;
export const TAKE_STOPPED = -1;

/** How long a worker spins for LOCK before sleeping on it (another worker holds it for nanoseconds). */
const LOCK_SPINS = 64;

/**
 * A worker's side: takes one descriptor at a time. Inside LOCK it claims its RUNNING cell for the unit and
 * advances TAKEN, then copies the descriptor into `into` (the entry may be reused once TAKEN has moved past it,
 * so the copy happens first).
 */
export class RingConsumer {
  readonly views: DescriptorViews;

  private readonly completions: CompletionRing;

  constructor(
    buffers: RingBuffers,
    completions: SharedArrayBuffer,
    private readonly worker: Int32Array,
    private readonly serial: number,
  ) {
    this.views = new DescriptorViews(buffers);
    this.completions = new CompletionRing(completions);
  }

  get hasWork(): boolean {
    const cells = this.views.cells;
    return Atomics.load(cells, QueueCell.TAKEN) !== Atomics.load(cells, QueueCell.PUSHED);
  }

  /**
   * Takes the next descriptor: returns its Int32 index into `scratch` (a copy), TAKE_NOTHING if the queue is
   * empty, or TAKE_STOPPED if the main thread stopped this worker.
   */
  take(scratch: Int32Array): number {
    const cells = this.views.cells;
    if (!this.hasWork) return TAKE_NOTHING;
    if (this.stopped) return TAKE_STOPPED; // a stopped worker need not touch LOCK again
    this.lock();
    const taken = Atomics.load(cells, QueueCell.TAKEN);
    if (taken === Atomics.load(cells, QueueCell.PUSHED)) {
      this.unlock();
      return TAKE_NOTHING;
    }
    const entry = (taken & RING_MASK) * DESCRIPTOR_INT32S;
    const id = this.views.i32[entry + DescriptorCell.ID];
    if (!claimRunning(this.worker, id)) {
      this.unlock();
      return TAKE_STOPPED;
    }
    const i32 = this.views.i32;
    for (let i = 0; i < DESCRIPTOR_INT32S; i++) scratch[i] = i32[entry + i]; // no subarray: nothing allocated per unit
    Atomics.store(cells, QueueCell.TAKEN, taken + 1);
    this.unlock();
    // The main thread waits to hear of takes (a queue watcher): a take is the event it waits for.
    if (Atomics.load(cells, QueueCell.WATCH_TAKES) !== 0) {
      notifyPool(cells);
    }
    return 1;
  }

  /** Publishes a completion: called after the value, the slot state and the countdown are written. */
  complete(id: number, outcome: number, startedAt: number, runMs: number): void {
    this.completions.write(id, outcome, startedAt, runMs);
  }

  /**
   * Parks until the main thread pushes or wakes every worker, or `timeoutMs` pass. The wake-up protocol's
   * reader half: read WAKES, announce the park (SLEEPERS, PARKS), look at the queue once more, then wait for
   * WAKES to change. A push after the last look sees the park and changes WAKES; one before it is seen by it.
   */
  park(timeoutMs: number): void {
    const cells = this.views.cells;
    const seen = Atomics.load(cells, QueueCell.WAKES);
    Atomics.add(cells, QueueCell.SLEEPERS, 1);
    Atomics.add(cells, QueueCell.PARKS, 1);
    if (!this.hasWork && !this.stopped) Atomics.wait(cells, QueueCell.WAKES, seen, timeoutMs);
    Atomics.sub(cells, QueueCell.SLEEPERS, 1);
  }

  /**
   * park() for threads that must keep their event loop (a browser worker reading messages). A message that
   * arrives meanwhile ends the park through wakeParked(). Undefined when there is work already.
   */
  parkAsync(timeoutMs: number): Promise<unknown> | undefined {
    const cells = this.views.cells;
    if (this.hasWork || this.stopped) return undefined;
    const waitAsync = (Atomics as { waitAsync?: (a: Int32Array, i: number, v: number, t: number) => { async: boolean; value: unknown } }).waitAsync;
    if (!waitAsync) return new Promise((resolve) => setTimeout(resolve, 1));
    const seen = Atomics.load(cells, QueueCell.WAKES);
    Atomics.add(cells, QueueCell.SLEEPERS, 1);
    Atomics.add(cells, QueueCell.PARKS, 1);
    if (this.hasWork || this.stopped) {
      Atomics.sub(cells, QueueCell.SLEEPERS, 1);
      return undefined;
    }
    const result = waitAsync(cells, QueueCell.WAKES, seen, timeoutMs);
    const done = result.async ? (result.value as Promise<unknown>) : Promise.resolve();
    return done.then(() => Atomics.sub(cells, QueueCell.SLEEPERS, 1));
  }

  /**
   * Ends a parkAsync() of this thread (a message arrived that the loop must handle). It changes WAKES as the
   * main thread does, so other parked workers wake too, look, and park again: cheap, and messages are rare.
   */
  wakeParked(): void {
    wake(this.views.cells);
  }

  private lock(): void {
    const cells = this.views.cells;
    for (let spins = 0; ; spins++) {
      const holder = Atomics.compareExchange(cells, QueueCell.LOCK, 0, this.serial);
      if (holder === 0) return;
      if (spins > LOCK_SPINS) {
        // Sleep until the holder unlocks (it notifies when LOCK_WAITERS > 0); one that was killed is repaired by
        // the main thread, which unlocks the same way. The bound only covers a notify between the two loads.
        Atomics.add(cells, QueueCell.LOCK_WAITERS, 1);
        Atomics.wait(cells, QueueCell.LOCK, holder, 1);
        Atomics.sub(cells, QueueCell.LOCK_WAITERS, 1);
      }
    }
  }

  private unlock(): void {
    unlock(this.views.cells);
  }

  /** True if the main thread has stopped this worker. */
  get stopped(): boolean {
    return isStopped(this.worker);
  }
}
