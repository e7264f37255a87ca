import { AsyncResult, settleResult } from '../async-result.js';
import type { UnitMessage } from '../abi/protocol.js';
import { reportCallbackError } from './callback-errors.js';

/** One dispatched piece of work: an apply task, or one chunk of a map. */
export interface Unit {
  readonly id: number;
  readonly job: Job;
  readonly message: UnitMessage;
  /** Index of the chunk within its map (0 for apply). */
  readonly index: number;
  /** Items in this unit (1 for apply). */
  readonly size: number;
  readonly timeout: number | undefined;
  /** performance.now() after which a running timed unit is stopped. */
  deadline: number;
  /** The unit is done as far as the caller is concerned (it may still sit in a worker's queue). */
  settled: boolean;
}

/** What one AsyncResult is waiting on; settles it once every unit is in. */
export abstract class Job {
  /** Units handed to a worker and not yet given back (result, crash, or skip). */
  outstanding = 0;
  settled = false;

  constructor(
    readonly result: AsyncResult<unknown>,
    readonly slot: number,
    readonly kernel: string,
  ) {}

  abstract unitSucceeded(unit: Unit, value: unknown): void;
  abstract unitFailed(unit: Unit, error: Error): void;

  /** Settles the result with `error` now, whatever is still running (terminate, cancel). */
  abort(error: Error): void {
    if (this.settled) return;
    this.finish(false, error, undefined);
  }

  protected finish(ok: boolean, value: unknown, callback: ((value: never) => void) | undefined): void {
    this.settled = true;
    this.result[settleResult](ok, value);
    if (callback) {
      try {
        callback(value as never);
      } catch (error) {
        reportCallbackError(error);
      }
    }
  }
}

export class ApplyJob extends Job {
  constructor(
    result: AsyncResult<unknown>,
    slot: number,
    kernel: string,
    private readonly callback: ((value: unknown) => void) | undefined,
    private readonly errorCallback: ((error: Error) => void) | undefined,
  ) {
    super(result, slot, kernel);
  }

  unitSucceeded(_unit: Unit, value: unknown): void {
    if (!this.settled) this.finish(true, value, this.callback);
  }

  unitFailed(_unit: Unit, error: Error): void {
    if (!this.settled) this.finish(false, error, this.errorCallback);
  }

  override abort(error: Error): void {
    if (!this.settled) this.finish(false, error, this.errorCallback);
  }
}

/** Listens to a map's chunks as they finish: imap and imapUnordered are built on this. */
export interface ChunkListener {
  chunk(index: number, offset: number, ok: boolean, values: unknown[] | Error): void;
}

export class MapJob extends Job {
  private readonly values: unknown[];
  private unitsLeft: number;
  private itemsDone = 0;
  private firstError: Error | undefined;

  constructor(
    result: AsyncResult<unknown>,
    slot: number,
    kernel: string,
    readonly total: number,
    readonly chunksize: number,
    private readonly options: {
      callback?: (values: unknown[]) => void;
      errorCallback?: (error: Error) => void;
      onProgress?: (done: number, total: number) => void;
      listener?: ChunkListener;
    },
  ) {
    super(result, slot, kernel);
    this.values = new Array<unknown>(total);
    this.unitsLeft = Math.ceil(total / chunksize);
  }

  unitSucceeded(unit: Unit, value: unknown): void {
    const chunk = value as unknown[];
    const offset = unit.index * this.chunksize;
    for (let i = 0; i < chunk.length; i++) this.values[offset + i] = chunk[i];
    this.options.listener?.chunk(unit.index, offset, true, chunk);
    this.unitDone(unit);
  }

  unitFailed(unit: Unit, error: Error): void {
    // As Python's map: remember the first failure, but only settle once every chunk is back.
    this.firstError ??= error;
    this.options.listener?.chunk(unit.index, unit.index * this.chunksize, false, error);
    this.unitDone(unit);
  }

  override abort(error: Error): void {
    if (this.settled) return;
    this.firstError ??= error;
    this.finish(false, this.firstError, this.options.errorCallback);
  }

  /** A map over no items: Python resolves it to [] at once. */
  finishEmpty(): void {
    this.finish(true, [], this.options.callback);
  }

  private unitDone(unit: Unit): void {
    if (this.settled) return;
    this.itemsDone += unit.size;
    if (this.options.onProgress) {
      try {
        this.options.onProgress(this.itemsDone, this.total);
      } catch (error) {
        reportCallbackError(error);
      }
    }
    if (--this.unitsLeft > 0) return;
    if (this.firstError) this.finish(false, this.firstError, this.options.errorCallback);
    else this.finish(true, this.values, this.options.callback);
  }
}
