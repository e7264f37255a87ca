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
  RUNNING_STOPPED,
  WorkerCell,
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

  /** Main thread: reads every completion written so far, in order. Returns how many. */
  read(take: (id: number, outcome: number, startedAt: number, runMs: number) => void): number {
    const written = Atomics.load(this.cells, WRITTEN);
    let count = 0;
    while (this.#count !== written) {
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
        Atomics.notify(cells, QueueCell.PUSHED);
      }
    }
  }

  /** Counts completions read from a worker's CompletionRing: room for as many new units. */
  completed(count: number): void {
    this.#read += count;
  }

  /** A unit that left shared memory without a completion (its worker died): its room is free again. */
  forget(): void {
    this.#read++;
  }

  /** Wakes every parked worker (after posting a message they must read). */
  wakeAll(): void {
    Atomics.add(this.views.cells, QueueCell.PUSHED, 0);
    Atomics.notify(this.views.cells, QueueCell.PUSHED);
  }

  /**
   * Takes back the entries from producer index `from` on that no worker has taken yet (a unit of higher priority
   * must go before them): returns the producer indices [from, to) withdrawn, to be pushed again in a new order.
   * Holds LOCK for a handful of instructions, so no worker can be taking one meanwhile.
   */
  retractFrom(from: number): [number, number] {
    const cells = this.views.cells;
    while (Atomics.compareExchange(cells, QueueCell.LOCK, 0, MAIN_THREAD_SERIAL) !== 0);
    const taken = Math.max(from, Atomics.load(cells, QueueCell.TAKEN));
    const to = this.#pushed;
    Atomics.store(cells, QueueCell.PUSHED, taken);
    this.#pushed = taken;
    Atomics.store(cells, QueueCell.LOCK, 0);
    Atomics.notify(cells, QueueCell.LOCK);
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
    Atomics.store(cells, QueueCell.LOCK, 0);
    Atomics.notify(cells, QueueCell.LOCK);
  }
}

/** Who holds LOCK while the main thread retracts entries (worker serials count up from 1). */
const MAIN_THREAD_SERIAL = 0x7fffffff;

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
    this.lock();
    const taken = Atomics.load(cells, QueueCell.TAKEN);
    if (taken === Atomics.load(cells, QueueCell.PUSHED)) {
      this.unlock();
      return TAKE_NOTHING;
    }
    const entry = (taken & RING_MASK) * DESCRIPTOR_INT32S;
    const id = this.views.i32[entry + DescriptorCell.ID];
    if (Atomics.compareExchange(this.worker, WorkerCell.RUNNING, 0, id) !== 0) {
      this.unlock();
      return TAKE_STOPPED;
    }
    Atomics.store(this.worker, WorkerCell.LAST_TAKEN, id);
    const i32 = this.views.i32;
    for (let i = 0; i < DESCRIPTOR_INT32S; i++) scratch[i] = i32[entry + i]; // no subarray: nothing allocated per unit
    Atomics.store(cells, QueueCell.TAKEN, taken + 1);
    this.unlock();
    return 1;
  }

  /** Publishes a completion: called after the value, the slot state and the countdown are written. */
  complete(id: number, outcome: number, startedAt: number, runMs: number): void {
    this.completions.write(id, outcome, startedAt, runMs);
  }

  /** Parks until the main thread pushes (or wakes every worker); true if woken, false on timeout. */
  park(timeoutMs: number): void {
    const cells = this.views.cells;
    const seen = Atomics.load(cells, QueueCell.PUSHED);
    Atomics.add(cells, QueueCell.SLEEPERS, 1);
    Atomics.add(cells, QueueCell.PARKS, 1);
    // Re-check after announcing: a push between the last look and the add would otherwise not notify us.
    if (Atomics.load(cells, QueueCell.TAKEN) === seen) Atomics.wait(cells, QueueCell.PUSHED, seen, timeoutMs);
    Atomics.sub(cells, QueueCell.SLEEPERS, 1);
  }

  /** parkAsync for threads that must keep their event loop (a browser worker reading messages). */
  parkAsync(timeoutMs: number): Promise<unknown> | undefined {
    const cells = this.views.cells;
    const seen = Atomics.load(cells, QueueCell.PUSHED);
    if (Atomics.load(cells, QueueCell.TAKEN) !== seen) return undefined;
    const waitAsync = (Atomics as { waitAsync?: (a: Int32Array, i: number, v: number, t: number) => { async: boolean; value: unknown } }).waitAsync;
    if (!waitAsync) return new Promise((resolve) => setTimeout(resolve, 1));
    Atomics.add(cells, QueueCell.SLEEPERS, 1);
    Atomics.add(cells, QueueCell.PARKS, 1);
    if (Atomics.load(cells, QueueCell.TAKEN) !== Atomics.load(cells, QueueCell.PUSHED)) {
      Atomics.sub(cells, QueueCell.SLEEPERS, 1);
      return undefined;
    }
    const result = waitAsync(cells, QueueCell.PUSHED, seen, timeoutMs);
    const done = result.async ? (result.value as Promise<unknown>) : Promise.resolve();
    return done.then(() => Atomics.sub(cells, QueueCell.SLEEPERS, 1));
  }

  private lock(): void {
    const cells = this.views.cells;
    for (let spins = 0; ; spins++) {
      const holder = Atomics.compareExchange(cells, QueueCell.LOCK, 0, this.serial);
      if (holder === 0) return;
      // A holder that was killed is repaired by the main thread, which notifies LOCK.
      if (spins > LOCK_SPINS) Atomics.wait(cells, QueueCell.LOCK, holder, 1);
    }
  }

  private unlock(): void {
    Atomics.store(this.views.cells, QueueCell.LOCK, 0);
  }

  /** True if the main thread has stopped this worker. */
  get stopped(): boolean {
    return Atomics.load(this.worker, WorkerCell.RUNNING) === RUNNING_STOPPED;
  }
}
