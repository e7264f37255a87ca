import type { ArenaBlock } from '../abi/payload-arena.js';
import { ResultState } from '../result-state.js';
import type { Outbox } from './outbox.js';
import { errorOfItem, itemsOf } from './task-error.js';

/** Where a unit is; only the Scheduler moves it. */
export const Place = {
  /** Waiting in the scheduler's queue. */
  QUEUED: 0,
  /** Its descriptor is in the shared work queue, or a worker took it from there. */
  SHARED: 1,
  /** Posted to one worker in a `run` message. */
  POSTED: 2,
  /** Back: no worker holds it any more (finished, skipped, or its worker is gone). */
  RETURNED: 3,
} as const;

/** Bits of Unit.flags; the place (see Place) sits above them. Packed: a million pending tasks are a million units. */
const SETTLED = 1;
const STAR = 2;
const VIA_RING = 4;
const AGED = 8;
const AWAITING_COMPLETION = 16;
/** Bits 5-7: times the unit was taken back out of the shared queue for higher-priority work. */
const RETRACTIONS_SHIFT = 5;
const RETRACTIONS_MASK = 7 << RETRACTIONS_SHIFT;
/** After this many times it stays where it is (aging: a steady stream of higher priorities cannot starve it). */
export const MAX_RETRACTIONS = 7;
const PLACE_SHIFT = 8;

/** The clock `submittedUs` counts from: integer microseconds fit a small integer (no boxed double per unit). */
const CLOCK_ORIGIN = performance.now();

/** Microseconds since CLOCK_ORIGIN, wrapping at 2^32 (differences stay right for waits under 35 minutes). */
export function clockUs(now = performance.now()): number {
  return ((now - CLOCK_ORIGIN) * 1000) | 0;
}

/** clockUs() of an epoch time in ms (a worker's performance.timeOrigin + performance.now()). */
export function clockUsOfEpoch(epochMs: number): number {
  return clockUs(epochMs - performance.timeOrigin);
}

/** One dispatched piece of work: an apply task, or one chunk of a map. Owned by the Scheduler. */
export class Unit {
  private flags: number;
  /** Its payload in the arena while in shared memory. */
  block: ArenaBlock | undefined = undefined;
  /** The worker a POSTED unit was posted to. */
  worker: number = -1;
  /** When it was submitted (clockUs): queue wait time. */
  readonly submittedUs = clockUs();

  constructor(
    readonly id: number,
    readonly job: Job,
    /** Apply: the argument list. Chunk: its items (all-number chunks as a Float64Array). */
    readonly work: unknown[] | Float64Array,
    /** Chunk index within its map, or -1 for an apply. */
    readonly index: number,
    star: boolean,
    readonly timeout: number | undefined,
    /**
     * The payload already serialized for the shared queue (arguments or items that are not inline numbers), or
     * 'by-message' for one only postMessage can carry.
     */
    readonly encoded: Uint8Array | 'by-message' | undefined,
    /** Larger runs first (TaskOptions/MapOptions.priority). */
    readonly priority: number,
  ) {
    this.flags = (star ? STAR : 0) | (Place.QUEUED << PLACE_SHIFT);
  }

  /** Where it is (Place). */
  get place(): number {
    return this.flags >>> PLACE_SHIFT;
  }

  set place(place: number) {
    this.flags = (this.flags & ((1 << PLACE_SHIFT) - 1)) | (place << PLACE_SHIFT);
  }

  /** The unit is done as far as its result is concerned (a worker may still hold it). */
  get settled(): boolean {
    return (this.flags & SETTLED) !== 0;
  }

  set settled(on: boolean) {
    this.set(SETTLED, on);
  }

  /** Each item is an argument list (starmap). */
  get star(): boolean {
    return (this.flags & STAR) !== 0;
  }

  /** Goes through the shared work queue (else it is posted to one worker); set once, when queued. */
  get viaRing(): boolean {
    return (this.flags & VIA_RING) !== 0;
  }

  set viaRing(on: boolean) {
    this.set(VIA_RING, on);
  }

  /** It reached the shared queue by aging, or was passed over MAX_RETRACTIONS times: never taken back again. */
  get aged(): boolean {
    return (this.flags & AGED) !== 0;
  }

  set aged(on: boolean) {
    this.set(AGED, on);
  }

  /** Records that it was taken back out of the shared queue; after MAX_RETRACTIONS it counts as aged. */
  noteRetraction(): void {
    const count = ((this.flags & RETRACTIONS_MASK) >>> RETRACTIONS_SHIFT) + 1;
    this.flags = (this.flags & ~RETRACTIONS_MASK) | (Math.min(count, MAX_RETRACTIONS) << RETRACTIONS_SHIFT);
    if (count >= MAX_RETRACTIONS) this.aged = true;
  }

  /** Back (its value came by message) but its completion entry has not been read yet. */
  get awaitingCompletion(): boolean {
    return (this.flags & AWAITING_COMPLETION) !== 0;
  }

  set awaitingCompletion(on: boolean) {
    this.set(AWAITING_COMPLETION, on);
  }

  get isApply(): boolean {
    return this.index < 0;
  }

  /** Items in this unit (1 for an apply). */
  get size(): number {
    return this.index < 0 ? 1 : this.work.length;
  }

  private set(bit: number, on: boolean): void {
    this.flags = on ? this.flags | bit : this.flags & ~bit;
  }
}

/** What a submission holds besides its units, given back as it settles and once no worker holds a unit of it. */
export interface JobResources {
  /** Before the result is visible to anyone: e.g. copy temporaries back into the caller's arrays. */
  settling?(ok: boolean, value: unknown): void;
  /**
   * A map chunk of `size` items from the map's item `offset` succeeded, before its listener sees it (a lazy map
   * hands each chunk out as it finishes). A throw fails that chunk with the error.
   */
  chunkSucceeded?(offset: number, size: number): void;
  /** Once settled and every unit is back: e.g. free temporary blocks, remove an abort listener. */
  release?(): void;
}

/**
 * What one AsyncResult is waiting on: its state (the job is the ResultState the AsyncResult reads), its
 * completion slot, and its units' books. Settles once every unit is in; only the Scheduler calls it.
 */
export abstract class Job extends ResultState<unknown> {
  /** Units not yet back from workers (queued, in shared memory or posted). */
  outstanding = 0;
  /** Completion slot; -1 when the job has none (or once released). */
  slot: number;
  /**
   * Units this thread settled itself that no worker counted down in the slot (cancelled, crashed, stopped,
   * failed while queued). Only workers count down while a job is pending, so `remaining` can never reach 0
   * early; these are taken off the slot when it is released (SlotTable.release).
   */
  uncounted = 0;
  /** Units back (their value came by message) whose worker has still to count them down: the slot waits for them. */
  owed = 0;
  /**
   * Units in the shared queue or taken from it (Place.SHARED): each has a completion entry to come. A worker counts
   * a slot down before it writes that entry, so a finished slot with such a unit is not yet readable; without one,
   * what is missing can only come by message.
   */
  inShared = 0;

  constructor(
    slot: number,
    readonly kernel: string,
    readonly resources: JobResources | undefined,
  ) {
    super();
    this.slot = slot;
  }

  /** Settlements deliver user callbacks to `outbox`, which runs them once the scheduler's books are consistent. */
  abstract unitSucceeded(unit: Unit, value: unknown, outbox: Outbox): void;
  abstract unitFailed(unit: Unit, error: Error, outbox: Outbox): void;

  /** Settles the result with `error` now, whatever is still running (terminate, cancel, a broken pool). */
  abstract abort(error: Error, outbox: Outbox): void;

  protected finish(
    ok: boolean,
    value: unknown,
    outbox: Outbox,
    callback: ((value: never) => void) | undefined,
    errorCallback: ((error: Error) => void) | undefined,
  ): void {
    if (!this.pending) return;
    if (this.resources?.settling) {
      try {
        this.resources.settling(ok, value);
      } catch (error) {
        // E.g. the caller detached an argument's buffer while the task ran: the copy-back cannot happen, and the
        // task fails with why, instead of an exception escaping from the pool's message handler.
        if (ok) return this.finish(false, error instanceof Error ? error : new Error(String(error)), outbox, undefined, errorCallback);
      }
    }
    this.settle(ok, value);
    const call = ok ? callback : errorCallback;
    if (call) outbox.defer(() => call(value as never));
  }
}

export class ApplyJob extends Job {
  constructor(
    slot: number,
    kernel: string,
    resources: JobResources | undefined,
    private readonly callback: ((value: unknown) => void) | undefined,
    private readonly errorCallback: ((error: Error) => void) | undefined,
  ) {
    super(slot, kernel, resources);
  }

  unitSucceeded(_unit: Unit, value: unknown, outbox: Outbox): void {
    this.finish(true, value, outbox, this.callback, this.errorCallback);
  }

  unitFailed(_unit: Unit, error: Error, outbox: Outbox): void {
    this.finish(false, error, outbox, this.callback, this.errorCallback);
  }

  abort(error: Error, outbox: Outbox): void {
    this.finish(false, error, outbox, this.callback, this.errorCallback);
  }
}

/** Listens to a map's chunks as they finish: imap and imapUnordered are built on this. */
export interface ChunkListener {
  chunk(index: number, offset: number, ok: boolean, values: ArrayLike<unknown> | Error): void;
}

export interface MapJobOptions {
  callback?: (values: unknown[]) => void;
  errorCallback?: (error: Error) => void;
  onProgress?: (done: number, total: number) => void;
  listener?: ChunkListener;
  /** The input index of this map's first item (an imap submits its input in several maps): errors name items by it. */
  firstItem?: number;
}

export class MapJob extends Job {
  private readonly values: unknown[];
  private unitsLeft: number;
  private itemsDone = 0;
  private firstError: Error | undefined;

  constructor(
    slot: number,
    kernel: string,
    resources: JobResources | undefined,
    readonly total: number,
    readonly chunksize: number,
    private readonly options: MapJobOptions,
  ) {
    super(slot, kernel, resources);
    this.values = new Array<unknown>(total);
    this.unitsLeft = total === 0 ? 0 : Math.ceil(total / chunksize);
  }

  /** A map over nothing: resolves to [] at once, as Python's does. */
  finishEmpty(outbox: Outbox): void {
    this.finishMap(true, this.values, outbox);
  }

  unitSucceeded(unit: Unit, value: unknown, outbox: Outbox): void {
    const chunk = value as ArrayLike<unknown>;
    const offset = unit.index * this.chunksize;
    if (this.pending && this.resources?.chunkSucceeded) {
      try {
        this.resources.chunkSucceeded(offset, unit.size);
      } catch (error) {
        return this.unitFailed(unit, error instanceof Error ? error : new Error(String(error)), outbox);
      }
    }
    for (let i = 0; i < chunk.length; i++) this.values[offset + i] = chunk[i];
    this.options.listener?.chunk(unit.index, offset, true, chunk);
    this.unitDone(unit, outbox);
  }

  unitFailed(unit: Unit, failure: Error, outbox: Outbox): void {
    const offset = unit.index * this.chunksize;
    const error = errorOfItem(failure, (this.options.firstItem ?? 0) + offset);
    // As Python's map: remember the first failure, but only settle once every chunk is back.
    this.firstError ??= error;
    this.options.listener?.chunk(unit.index, offset, false, error);
    this.unitDone(unit, outbox);
  }

  abort(error: Error, outbox: Outbox): void {
    this.firstError ??= error;
    this.finishMap(false, this.firstError, outbox);
  }

  /** " (items 8-15)": the input items of `unit`, for the message of its timeout or crash. */
  itemsOf(unit: Unit): string {
    return itemsOf((this.options.firstItem ?? 0) + unit.index * this.chunksize, unit.size);
  }

  private unitDone(unit: Unit, outbox: Outbox): void {
    if (!this.pending) return;
    this.itemsDone += unit.size;
    const onProgress = this.options.onProgress;
    if (onProgress) {
      const done = this.itemsDone;
      outbox.defer(() => onProgress(done, this.total));
    }
    if (--this.unitsLeft > 0) return;
    if (this.firstError) this.finishMap(false, this.firstError, outbox);
    else this.finishMap(true, this.values, outbox);
  }

  private finishMap(ok: boolean, value: unknown, outbox: Outbox): void {
    this.finish(ok, value, outbox, this.options.callback as ((value: never) => void) | undefined, this.options.errorCallback);
  }
}
