import { RING_MASK } from '../abi/layout.js';
import type { PayloadArena } from '../abi/payload-arena.js';
import { RingProducer, allocateRingBuffers } from '../abi/work-ring.js';
import { fillPayload, isInline, payloadBytes, writeDescriptor } from '../abi/descriptor.js';
import type { Dispatch, DispatchParts } from './dispatch.js';
import { PostedQueue } from './dispatch-posted.js';
import type { Unit } from './jobs.js';
import { PriorityQueue } from './priority-queue.js';
import type { WorkerNode } from './worker-node.js';

/** Marks a payload that only postMessage can carry. */
const BY_MESSAGE = 'by-message';

export interface RingParts {
  /** The pool's control block: the shared queue's cells live in it. */
  signal: SharedArrayBuffer;
  arena: PayloadArena;
  /** Serializes payloads that are not inline numbers (node:v8); without it such units are posted by message. */
  serialize: ((value: unknown) => Uint8Array) | undefined;
  /** The number descriptors carry for a kernel name (workers are told a new one). */
  kernelNumber(name: string): number;
  /** Units were published into the shared queue: this thread must watch for their completions. */
  pushed(): void;
}

/**
 * The strategy with shared memory: units are written into the shared work queue (a FIFO ring), where idle
 * workers take them themselves, and their completions come back through each worker's completion ring. Units
 * wait here, by priority with aging, only while the ring is full or behind others. Some units still go by
 * message (a SharedArrayBuffer-view argument, which postMessage shares instead of copying, or any non-number
 * payload without a serializer): they wait in the same way and go one at a time to a free worker.
 */
export class RingDispatch implements Dispatch {
  readonly #ring: RingProducer;
  /** Units waiting for room in the shared queue. */
  readonly #waiting = new PriorityQueue<Unit>();
  /** Units that travel by message. */
  readonly #posted: PostedQueue;
  /** The unit behind each untaken entry of the shared queue (by producer index), to take entries back. */
  readonly #ringUnits: Array<Unit | undefined> = [];
  /** Entries below this producer index no longer hold their unit in #ringUnits (see forgetTaken). */
  #ringForgotten = 0;
  /** Set once abandon() took every waiting unit: what the shared queue's counters still show is nobody's work. */
  #abandoned = false;

  constructor(
    private readonly parts: DispatchParts,
    private readonly ringParts: RingParts,
  ) {
    this.#ring = new RingProducer(allocateRingBuffers(ringParts.signal));
    this.#posted = new PostedQueue(parts, 'one-to-each-free', () => this.#ring.wakeAll());
  }

  /**
   * Serializes a payload for the shared queue when it cannot travel inline. Undefined when it need not be
   * (inline numbers) or cannot be (no serializer); BY_MESSAGE for values only postMessage can carry (a
   * SharedArrayBuffer, which it shares instead of copying). Throws TypeError, naming the element, for a value no
   * worker could receive at all (a function, a symbol...).
   */
  encode(value: unknown[], where: (item: number) => string, isChunk = false): Uint8Array | typeof BY_MESSAGE | undefined {
    const serialize = this.ringParts.serialize;
    if (!serialize || (!isChunk && isInline(value))) return undefined;
    try {
      return serialize(value);
    } catch (error) {
      try {
        structuredClone(value);
        return BY_MESSAGE;
      } catch {
        // Name the first element that cannot be sent, so the message says what to fix.
        let at = -1;
        for (let i = 0; i < value.length && at < 0; i++) {
          try {
            structuredClone(value[i]);
          } catch {
            at = i;
          }
        }
        const name = at >= 0 ? (isChunk ? where(at) : `${where(0)}[${at}]`) : where(0);
        throw new TypeError(
          `Expected \`${name}\` to be a value a worker can receive (numbers, strings, plain objects, arrays, typed arrays, Maps, Sets...), but it cannot be copied: ${(error as Error)?.message ?? String(error)}`,
          { cause: error },
        );
      }
    }
  }

  enqueue(units: readonly Unit[]): void {
    const ring = this.#ring;
    for (const unit of units) {
      unit.viaRing =
        unit.encoded !== BY_MESSAGE && (unit.encoded !== undefined || (unit.isApply ? isInline(unit.work as unknown[]) : unit.work instanceof Float64Array));
    }
    // A unit that outranks work already in the shared queue goes before it: take the untaken entries back and
    // push again in priority order (one pass over them; the shared queue itself stays a FIFO).
    if (units[0]!.viaRing) this.makeWayFor(units[0]!.priority);
    let direct = 0;
    for (const unit of units) {
      if (!unit.viaRing) this.#posted.push(unit);
      // Nothing waits before it and there is room: straight into the shared queue, no stop in the waiting queue.
      else if (this.#waiting.length === 0 && ring.hasRoom) {
        this.pushToRing(unit);
        direct++;
      } else this.#waiting.push(unit);
    }
    if (direct > 0) this.ringParts.pushed();
  }

  flush(): void {
    if (this.#waiting.length > 0) this.pushShared();
    if (this.#posted.length > 0) this.#posted.postSoon();
  }

  refill(): void {
    this.forgetTaken();
    if (this.#waiting.length > 0) this.pushShared();
  }

  postWaiting(): void {
    if (this.#posted.length > 0) this.#posted.postSoon();
  }

  postIfScheduled(): void {
    this.#posted.postIfScheduled();
  }

  private pushShared(): void {
    const ring = this.#ring;
    const { book, kernels } = this.parts;
    let pushed = 0;
    while (this.#waiting.length > 0 && ring.hasRoom) {
      const unit = this.#waiting.shift()!;
      if (unit.settled) {
        book.giveBack(unit); // cancelled while queued
        continue;
      }
      if (this.#waiting.lastShiftAged) unit.aged = true;
      // Queued before the module's exports were known, naming none of them: fails instead of adding its name.
      const refused = kernels.refusal(unit.job.kernel);
      if (refused) {
        book.failQueued(unit, refused);
        continue;
      }
      this.pushToRing(unit);
      pushed++;
    }
    if (pushed > 0) this.ringParts.pushed();
  }

  /** Writes one unit into the shared queue and publishes it: the first unit of a burst starts while the rest are written. */
  private pushToRing(unit: Unit): void {
    const ring = this.#ring;
    const arena = this.ringParts.arena;
    let block = unit.block; // a unit taken back out of the queue keeps its block
    if (!block && (payloadBytes(unit) > 0 || !unit.isApply)) {
      block = arena.allocate(payloadBytes(unit));
      fillPayload(arena.view(block), unit);
    }
    const kernel = this.ringParts.kernelNumber(unit.job.kernel);
    this.#ringUnits[ring.pushed & RING_MASK] = unit;
    writeDescriptor(ring.views, ring.nextEntry(), unit, kernel, block);
    this.parts.book.placeShared(unit, block);
    ring.publish(1);
  }

  /**
   * Takes back the untaken entries at the end of the shared queue that `priority` outranks, into the waiting
   * queue, in their order, as the oldest there. Entries that got in by aging, or that were taken back
   * MAX_RETRACTIONS times already, stay: otherwise a stream of higher priorities could push them back for ever.
   */
  private makeWayFor(priority: number): void {
    const ring = this.#ring;
    const taken = ring.taken;
    let from = ring.pushed;
    while (from > taken) {
      const unit = this.#ringUnits[(from - 1) & RING_MASK]!;
      if (unit.priority >= priority || unit.aged) break;
      from--;
    }
    if (from === ring.pushed) return;
    const back = this.retractFrom(from);
    if (!back) return; // LOCK held by a dead worker: this once, the new unit waits its turn
    for (const unit of back) unit.noteRetraction();
    this.#waiting.unshiftAll(back);
  }

  /**
   * Takes the untaken entries of the shared queue from producer index `from` on back out of it, in their order
   * (see RingProducer.retractFrom): they are queued here again, each keeping its payload block. Undefined if the
   * queue's lock could not be had.
   */
  private retractFrom(from: number): Unit[] | undefined {
    const range = this.#ring.retractFrom(from);
    if (!range) return undefined;
    const back: Unit[] = [];
    for (let at = range[0]; at < range[1]; at++) {
      const unit = this.#ringUnits[at & RING_MASK]!;
      this.#ringUnits[at & RING_MASK] = undefined;
      this.parts.book.requeue(unit);
      back.push(unit);
    }
    return back;
  }

  /**
   * Cancelled units still untaken in the shared queue leave it now, so `size` and `maxQueued` stop counting
   * them at once (a busy worker might not reach them for a long time): one retraction from the first of them,
   * the others pushed again in their order. Returns the units withdrawn; the rest were taken meanwhile.
   */
  withdraw(cancelled: Set<Unit>): Set<Unit> {
    const withdrawn = new Set<Unit>();
    const ring = this.#ring;
    let from = -1;
    for (let at = ring.taken; at < ring.pushed && from < 0; at++) if (cancelled.has(this.#ringUnits[at & RING_MASK]!)) from = at;
    if (from < 0) return withdrawn;
    const back = this.retractFrom(from);
    if (!back) return withdrawn;
    const requeue: Unit[] = [];
    for (const unit of back) {
      if (cancelled.has(unit)) withdrawn.add(unit);
      else requeue.push(unit);
    }
    this.#waiting.unshiftAll(requeue);
    return withdrawn;
  }

  /** Drops the shared queue's references to units workers have taken: the books of a taken unit are the unit book's. */
  private forgetTaken(): void {
    const taken = this.#ring.taken;
    while (this.#ringForgotten - taken < 0) this.#ringUnits[this.#ringForgotten++ & RING_MASK] = undefined;
  }

  remove(unit: Unit): void {
    (unit.viaRing ? this.#waiting : this.#posted).remove(unit);
  }

  requeuePosted(units: Unit[]): void {
    this.#posted.unshiftAll(units);
  }

  abandon(): Unit[] {
    this.#abandoned = true;
    return [...this.#waiting.drain(), ...this.#posted.drain()];
  }

  get waiting(): number {
    return this.#waiting.length + this.#posted.length;
  }

  get queued(): number {
    return this.#waiting.length + this.#posted.length + this.untaken;
  }

  get untaken(): number {
    return this.#abandoned ? 0 : this.#ring.waiting;
  }

  get takenUnread(): number {
    return this.#abandoned ? 0 : this.#ring.takenUnread;
  }

  get inFlight(): number {
    return this.#abandoned ? 0 : this.#ring.inFlight;
  }

  wake(): void {
    this.#ring.wakeAll();
  }

  watchTakes(on: boolean): void {
    this.#ring.watchTakes(on);
  }

  completed(count: number): void {
    this.#ring.completed(count);
  }

  forget(): void {
    this.#ring.forget();
  }

  /** Its RUNNING cell: taken units and posted ones alike. */
  runningOn(worker: WorkerNode): number {
    return worker.running;
  }

  workerRunning(unit: Unit): WorkerNode | undefined {
    return this.parts.workers.runningUnit(unit.id);
  }

  /** A compare-exchange on RUNNING: a worker that just finished the unit is not stopped. */
  stopFor(worker: WorkerNode, unit: Unit): boolean {
    return worker.stopIfRunning(unit.id);
  }

  /** Win the slot before a worker claims it: the worker then skips it. */
  tryCancelTaken(unit: Unit): boolean {
    return unit.isApply && this.parts.slots.tryCancel(unit.job.slot);
  }

  /** The worker counts down in the shared slot itself. */
  countDownPosted(): void {}

  workerExited(worker: WorkerNode): void {
    this.#ring.repairAfterDeath(worker.serial, worker.stoppedUnit || worker.running);
  }

  ringOf(worker: WorkerNode): { descriptors: SharedArrayBuffer; completions: SharedArrayBuffer } | undefined {
    return worker.completions ? { descriptors: this.#ring.buffers.descriptors, completions: worker.completions.buffer } : undefined;
  }
}
