import { SlotState } from '../abi/layout.js';
import type { Dispatch, DispatchParts } from './dispatch.js';
import type { Unit } from './jobs.js';
import { PriorityQueue } from './priority-queue.js';
import type { WorkerNode } from './worker-node.js';

/** Without shared memory, at most this many units are posted to one worker ahead of its work. */
const MAX_POSTED_PER_WORKER = 32;

/**
 * How posted units are spread: in batches, least loaded worker first (no shared memory: every unit goes this
 * way), or one at a time to free workers (shared memory: only units that must travel by message).
 */
export type PostPolicy = 'batches' | 'one-to-each-free';

/** Units that travel by message: they wait here by priority, with aging, until they are posted to a worker. */
export class PostedQueue {
  readonly #waiting = new PriorityQueue<Unit>();
  #scheduled = false;

  constructor(
    private readonly parts: DispatchParts,
    private readonly policy: PostPolicy,
    /** Called after each post: a worker parked in Atomics.wait on the shared queue reads its port only once woken. */
    private readonly wake: () => void,
  ) {}

  get length(): number {
    return this.#waiting.length;
  }

  push(unit: Unit): void {
    this.#waiting.push(unit);
  }

  unshiftAll(units: Unit[]): void {
    this.#waiting.unshiftAll(units);
  }

  remove(unit: Unit): void {
    this.#waiting.remove(unit);
  }

  drain(): Unit[] {
    return this.#waiting.drain();
  }

  /**
   * The first posted unit of a synchronous run goes at once, so it runs even if the caller then blocks without
   * yielding; the rest of the run is batched into one message per worker at the end of it (a microtask).
   */
  postSoon(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.postQueued();
    this.#scheduled = true;
    queueMicrotask(() => {
      if (this.#scheduled) this.parts.step(() => this.postQueued());
    });
  }

  postIfScheduled(): void {
    if (this.#scheduled) this.postQueued();
  }

  private postQueued(): void {
    this.#scheduled = false;
    if (this.policy === 'one-to-each-free') this.postToFreeWorkers();
    else this.postBatches();
  }

  /** Batches, least loaded first: otherwise the first worker takes every unit of a short run while another sits idle. */
  private postBatches(): void {
    const waiting = this.#waiting;
    const load = (w: WorkerNode): number => w.posted.size + (w.running > 0 ? 1 : 0);
    const active = this.parts.workers.live.filter((w) => !w.retiring && !w.gone).sort((a, b) => load(a) - load(b));
    for (const worker of active) {
      if (waiting.length === 0) break;
      let room = Math.min(MAX_POSTED_PER_WORKER - worker.posted.size, Math.ceil(waiting.length / active.length));
      const max = this.parts.maxTasksPerWorker;
      if (max !== undefined) room = Math.min(room, max - worker.postedCount);
      if (room <= 0) continue;
      const batch: Unit[] = [];
      while (batch.length < room && waiting.length > 0) {
        const unit = waiting.shift()!;
        if (unit.settled) this.parts.book.giveBack(unit);
        else batch.push(unit);
      }
      if (batch.length > 0) this.post(worker, batch);
    }
  }

  /**
   * With shared memory, a unit that must travel by message (it holds a SharedArrayBuffer) waits in the queue
   * like every other unit, with the same counts and priorities, until a worker is free; then it goes to that
   * worker, one at a time. Workers whose module is loaded come first: a unit posted to one still starting would
   * wait out its start-up while a warm worker idles. Only when no worker is ready do starting ones get one each.
   */
  private postToFreeWorkers(): void {
    const { slots, workers, book } = this.parts;
    // An apply posted earlier is finished once its slot says so, though its notice is unread.
    const finished = (unit: Unit): boolean => unit.isApply && unit.job.slot >= 0 && slots.state(unit.job.slot) >= SlotState.NUMBER;
    let free = workers.live.filter((w) => !w.retiring && !w.gone && w.isFree(finished));
    if (free.length === 0) return;
    const ready = free.filter((w) => w.ready);
    if (ready.length > 0) free = ready;
    else if (workers.live.some((w) => w.ready && !w.gone && !w.retiring)) return; // a ready worker will free up
    for (const worker of free) {
      let unit = this.#waiting.shift();
      while (unit?.settled) {
        book.giveBack(unit);
        unit = this.#waiting.shift();
      }
      if (!unit) return;
      this.post(worker, [unit]);
    }
  }

  private post(worker: WorkerNode, batch: Unit[]): void {
    const book = this.parts.book;
    const message = (unit: Unit) => ({
      id: unit.id,
      slot: unit.job.slot,
      kernel: unit.job.kernel,
      args: unit.isApply ? (unit.work as unknown[]) : undefined,
      items: unit.isApply ? undefined : unit.work,
      star: unit.star || undefined,
      timed: unit.timeout !== undefined || undefined,
    });
    try {
      worker.handle.post({ type: 'run', units: batch.map(message) });
      for (const unit of batch) book.placePosted(unit, worker);
    } catch {
      // Something in the batch cannot be cloned: post one at a time, so only the units at fault fail.
      for (const unit of batch) {
        try {
          worker.handle.post({ type: 'run', units: [message(unit)] });
          book.placePosted(unit, worker);
        } catch (error) {
          book.failQueued(
            unit,
            new TypeError(
              `Expected the ${unit.isApply ? '`args`' : 'items'} of kernel \`${unit.job.kernel}\` to be values a worker can receive, but they cannot be copied: ${(error as Error)?.message ?? String(error)}`,
              { cause: error },
            ),
          );
        }
      }
    }
    this.wake();
    // Posted units count against maxTasksPerWorker here; a worker taking from the shared queue counts its own.
    const max = this.parts.maxTasksPerWorker;
    if (max !== undefined && worker.postedCount >= max && this.policy === 'batches') worker.markRetiring();
  }
}

/**
 * The strategy without shared memory (a page that is not cross-origin isolated): every unit is posted by
 * message, in batches, and its value comes back by message; there is no shared queue and no completion ring.
 */
export class PostedDispatch implements Dispatch {
  readonly #posted: PostedQueue;

  constructor(private readonly parts: DispatchParts) {
    this.#posted = new PostedQueue(parts, 'batches', () => {});
  }

  /** Payloads are posted as they are: structured clone copies them (and says so if it cannot, at post time). */
  encode(): undefined {
    return undefined;
  }

  enqueue(units: readonly Unit[]): void {
    for (const unit of units) unit.viaRing = false;
    for (const unit of units) this.#posted.push(unit);
  }

  flush(): void {
    if (this.#posted.length > 0) this.#posted.postSoon();
  }

  refill(): void {}

  postWaiting(): void {
    if (this.#posted.length > 0) this.#posted.postSoon();
  }

  postIfScheduled(): void {
    this.#posted.postIfScheduled();
  }

  withdraw(): Set<Unit> {
    return new Set();
  }

  remove(unit: Unit): void {
    this.#posted.remove(unit);
  }

  requeuePosted(units: Unit[]): void {
    this.#posted.unshiftAll(units);
  }

  abandon(): Unit[] {
    return this.#posted.drain();
  }

  get waiting(): number {
    return this.#posted.length;
  }

  get queued(): number {
    return this.#posted.length;
  }

  get untaken(): number {
    return 0;
  }

  get takenUnread(): number {
    return 0;
  }

  get inFlight(): number {
    return 0;
  }

  wake(): void {}

  watchTakes(): void {}

  completed(): void {}

  forget(): void {}

  /** The first posted unit not settled: a worker runs its units in the order they were posted. */
  runningOn(worker: WorkerNode): number {
    for (const unit of worker.posted.values()) if (!unit.settled) return unit.id;
    return 0;
  }

  workerRunning(unit: Unit): WorkerNode | undefined {
    return this.parts.workers.bySerial(unit.worker);
  }

  /** No RUNNING cell to stop it through: terminating the worker is the only sure way. */
  stopFor(): boolean {
    return true;
  }

  /** The worker cannot see a cancelled slot. */
  tryCancelTaken(): boolean {
    return false;
  }

  /** The worker cannot count down a slot it does not share: the value's arrival does. */
  countDownPosted(unit: Unit): void {
    if (unit.job.slot >= 0 && !unit.settled) this.parts.slots.completeUnit(unit.job.slot);
  }

  workerExited(): void {}

  ringOf(): undefined {
    return undefined;
  }
}
