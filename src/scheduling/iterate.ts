import { CancelledError } from '../errors.js';
import { reportCallbackError } from './callback-errors.js';
import type { ChunkListener } from './jobs.js';
import type { ItemReader } from './map-items.js';

/** One submitted map of an ItemStream, as its pool tracks it (a local Job, a QueuePool submission). */
export interface StreamSubmission {
  /** Calls `callback` once the map has settled (at once if it has). */
  whenSettled(callback: () => void): void;
}

/**
 * What an ItemStream needs from the pool (kept narrow, so this file imports neither Pool nor Scheduler): a local
 * Pool and a QueuePool each provide one, and share this one implementation of the imap family.
 */
export interface StreamHost<S extends StreamSubmission = StreamSubmission> {
  /**
   * Lowers and queues `items` (input indices from `firstItem`) as one map of `chunksize` chunks reporting to
   * `listener`. Throws for an item no worker can receive, a full queue or a terminated pool; then nothing is queued.
   */
  submit(items: unknown[], firstItem: number, listener: ChunkListener): S;
  /** Cancels what of `job` has not run (running units too when `stopRunning`) and settles it with `error`. */
  cancelJob(job: S, error: Error, stopRunning: boolean): void;
  /** Keeps close() from finishing (the stream still has input to read) until the returned function is called. */
  holdOpen(): () => void;
  /** Units the queue takes now before `maxQueued` (Infinity without a limit). */
  room(): number;
  /** Resolves once the queue has room again. */
  onRoom(): Promise<void>;
}

export interface StreamOptions {
  /** In input order (imap) or completion order (imapUnordered). */
  ordered: boolean;
  chunksize: number;
  /** Most chunks read and not yet handed to the loop. */
  readAhead: number;
  signal?: AbortSignal;
  callback?: (values: unknown[]) => void;
  errorCallback?: (error: Error) => void;
  onProgress?: (done: number, total: number) => void;
}

interface Chunk {
  ok: boolean;
  values: ArrayLike<unknown> | Error;
}

/** Releases the pool's hold of an iterator dropped without being finished or left (no for-await ever ran it). */
const dropped = new FinalizationRegistry<() => void>((release) => release());

/**
 * The imap family: reads its input as the loop consumes results, at most `readAhead` chunks ahead, and submits
 * what it read as small maps; their chunk completions become an async iterator of items, in input order or in
 * completion order. A failed chunk throws when the iteration reaches it, as in Python; leaving the loop early
 * (break, return, throw) cancels every chunk that has not started and stops reading the input.
 */
export class ItemStream<T, S extends StreamSubmission = StreamSubmission> implements AsyncIterable<T> {
  readonly #host: StreamHost<S>;
  readonly #reader: ItemReader;
  readonly #options: StreamOptions;
  /** Chunks submitted (the next one's index) and chunks handed to the loop. */
  #submitted = 0;
  #delivered = 0;
  /** Done chunks the loop has not taken, in the order it takes them; and (imap) done chunks waiting for an earlier one. */
  readonly #ready: Chunk[] = [];
  readonly #early = new Map<number, Chunk>();
  #nextInOrder = 0;
  /** Submitted maps not yet settled. */
  readonly #jobs = new Set<S>();
  /** Thrown once `#failAt` chunks have been handed out: the input failed there, or the signal fired. */
  #failure: Error | undefined;
  #failAt = Infinity;
  #failureReported = false;
  /** Items finished, for onProgress; all values, only when a `callback` wants them. */
  #itemsDone = 0;
  readonly #values: unknown[] | undefined;
  #wake: (() => void) | undefined;
  /** The loop was left, or the signal fired: nothing more is read or delivered. */
  #stopped = false;
  #release: (() => void) | undefined;
  /** The constructor's first read is done (a full queue then waits instead of throwing); a wait for room is on. */
  #started = false;
  #waitingForRoom = false;
  #iterated = false;
  readonly #onAbort = (): void => this.#abort();

  constructor(host: StreamHost<S>, reader: ItemReader, options: StreamOptions) {
    this.#host = host;
    this.#reader = reader;
    this.#options = options;
    this.#values = options.callback ? [] : undefined;
    if (options.signal?.aborted) {
      this.#abort(); // the loop throws CancelledError at once; nothing is read
      return;
    }
    this.#refill();
    this.#started = true;
    // Bad input at the call throws there, as the other map forms do; later it fails the loop at its position.
    if (this.#failure && this.#submitted === 0) {
      this.#failureReported = true;
      throw this.#failure;
    }
    if (!reader.done) {
      this.#release = host.holdOpen();
      dropped.register(this, this.#release, this);
    }
    if (options.signal && this.#working) options.signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.#iterated) {
      throw new TypeError('This imap result was already iterated: it yields each result once (call imap again to run the items again)');
    }
    this.#iterated = true;
    return this.#items();
  }

  async *#items(): AsyncGenerator<T> {
    try {
      for (;;) {
        if (this.#failure && this.#delivered >= this.#failAt) throw this.#failure;
        const next = this.#ready.shift();
        if (!next) {
          if (this.#reader.done && this.#delivered === this.#submitted) return;
          await new Promise<void>((resolve) => (this.#wake = resolve));
          this.#wake = undefined;
          continue;
        }
        this.#delivered++;
        this.#refill();
        if (!next.ok) throw next.values as Error;
        const values = next.values as ArrayLike<T>;
        for (let i = 0; i < values.length; i++) yield values[i];
      }
    } finally {
      this.#stop(new CancelledError('The imap loop was left early; the items it had not started were cancelled'), false);
    }
  }

  /** Input left to read, or submitted maps not yet settled: the signal still has something to cancel. */
  get #working(): boolean {
    return !this.#reader.done || this.#jobs.size > 0;
  }

  /** Reads and submits more input, once half the read-ahead is free (fewer, larger submissions). */
  #refill(): void {
    const reader = this.#reader;
    if (this.#stopped || reader.done) return;
    const { readAhead, chunksize } = this.#options;
    let room = readAhead - (this.#submitted - this.#delivered);
    if (room < Math.max(1, readAhead >> 1)) return;
    // maxQueued: read only what the queue takes now; at the call a full queue throws QueueFullError, as for map.
    room = Math.min(room, this.#host.room());
    if (room <= 0) {
      if (this.#started) this.#waitForRoom();
      room = 1;
      if (this.#started) return;
    }
    const items = reader.read(room * chunksize);
    if (items.length > 0) {
      const first = this.#submitted;
      let job: S;
      try {
        job = this.#host.submit(items, first * chunksize, { chunk: (index, _offset, ok, values) => this.#chunkDone(first + index, ok, values) });
      } catch (error) {
        reader.close();
        this.#fail(error as Error);
        this.#afterWork();
        return;
      }
      this.#submitted += Math.ceil(items.length / chunksize);
      this.#jobs.add(job);
      job.whenSettled(() => {
        this.#jobs.delete(job);
        this.#afterWork();
      });
    }
    if (reader.error) this.#fail(reader.error);
    if (reader.done) this.#afterWork();
  }

  #waitForRoom(): void {
    if (this.#waitingForRoom) return;
    this.#waitingForRoom = true;
    void this.#host.onRoom().then(() => {
      this.#waitingForRoom = false;
      this.#refill();
    });
  }

  #chunkDone(index: number, ok: boolean, values: ArrayLike<unknown> | Error): void {
    if (this.#stopped) return;
    const chunk = { ok, values };
    if (!this.#options.ordered) this.#ready.push(chunk);
    else {
      this.#early.set(index, chunk);
      for (let next = this.#early.get(this.#nextInOrder); next; next = this.#early.get(this.#nextInOrder)) {
        this.#early.delete(this.#nextInOrder++);
        this.#ready.push(next);
      }
    }
    if (!ok) this.#reportFailure(values as Error);
    else {
      const done = values as ArrayLike<unknown>;
      this.#itemsDone += done.length;
      if (this.#values) {
        const offset = index * this.#options.chunksize;
        for (let i = 0; i < done.length; i++) this.#values[offset + i] = done[i];
      }
      const { onProgress } = this.#options;
      if (onProgress) call(() => onProgress(this.#itemsDone, this.#reader.length ?? this.#reader.count));
    }
    this.#wake?.();
  }

  /** The input failed: thrown once every chunk read before it has been handed out. */
  #fail(error: Error): void {
    if (this.#failure) return;
    this.#failure = error;
    this.#failAt = this.#submitted;
    this.#reportFailure(error);
    this.#wake?.();
  }

  #reportFailure(error: Error): void {
    if (this.#failureReported) return;
    this.#failureReported = true;
    const { errorCallback } = this.#options;
    if (errorCallback) call(() => errorCallback(error));
  }

  /** The signal fired: what has not finished is cancelled (running chunks stopped), and the loop throws at once. */
  #abort(): void {
    const reason = this.#options.signal!.reason as unknown;
    const error = new CancelledError('The imap was cancelled by its AbortSignal', reason === undefined ? undefined : { cause: reason });
    this.#failure = error;
    this.#failAt = this.#delivered;
    this.#reportFailure(error);
    this.#stop(error, true);
    this.#wake?.();
  }

  #stop(error: Error, stopRunning: boolean): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#reader.close();
    for (const job of [...this.#jobs]) this.#host.cancelJob(job, error, stopRunning);
    this.#ready.length = 0;
    this.#early.clear();
    this.#afterWork();
  }

  /** Gives back the pool's hold once nothing is left to read, and the signal listener once nothing is left to cancel. */
  #afterWork(): void {
    if (this.#reader.done && this.#release) {
      dropped.unregister(this);
      this.#release();
      this.#release = undefined;
    }
    if (this.#working) return;
    this.#options.signal?.removeEventListener('abort', this.#onAbort);
    const { callback } = this.#options;
    if (callback && !this.#stopped && !this.#failureReported && this.#itemsDone === this.#reader.count) {
      const values = this.#values!;
      call(() => callback(values));
    }
  }
}

/** Runs a user callback; one that throws is reported, never breaks the stream. */
function call(callback: () => void): void {
  try {
    callback();
  } catch (error) {
    reportCallbackError(error);
  }
}
