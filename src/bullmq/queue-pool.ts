/**
 * QueuePool: the submitting side of wasmpool/bullmq. The same methods as a local Pool, over a BullMQ queue that
 * one or more hosts serve with serveQueue(). It validates at the call, hands each submission to its client thread
 * (which owns the Redis connections) and returns AsyncResults that read through QueueResults.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { MessageChannel, Worker } from 'node:worker_threads';
import { AsyncResult, ResultState } from '../async-result.js';
import { CancelledError, PoolStateError, QueueFullError } from '../errors.js';
import { collectItems, ItemReader } from '../scheduling/map-items.js';
import { ItemStream, type StreamSubmission } from '../scheduling/iterate.js';
import type { ChunkListener } from '../scheduling/jobs.js';
import { reportCallbackError } from '../scheduling/callback-errors.js';
import { settle, validateMapOptions, validateTaskOptions, type Submitter } from '../submission.js';
import { checkKernelName, checkKnownKeys, checkMilliseconds, checkOptionsObject, checkPositiveInteger, expected, MAX_TIMER_MS } from '../validate.js';
import { encode, isNumberList, type Encoded } from './codec.js';
import { connectionSpec } from './connection.js';
import { FlagTable } from './flags.js';
import type { ClientSetup, KeepJobs, PlainJobOptions, ToClient } from './protocol.js';
import { QueueResults, type ChunkSink, type ResultHooks } from './results.js';
import { DEFAULT_PREFIX } from './job-data.js';

export interface QueuePoolOptions {
  /** The BullMQ queue name the serving hosts serve (no `:`). */
  queue: string;
  /**
   * BullMQ's connection, as ioredis takes it: `{ host, port, password?, db?, tls? }`, Sentinel's `{ sentinels, name }`,
   * or an ioredis `Redis` / `Cluster` instance (its settings are used; functions in them, such as `retryStrategy`,
   * cannot reach the client thread and are replaced by its own).
   */
  connection: object;
  /** BullMQ key prefix; must match the serving hosts'. With a Redis Cluster, a hash tag: `'{bull}'`. @default 'bull' */
  prefix?: string;
  /** Runs of a job before it fails for good when its host crashes or vanishes (a TaskError is never retried). @default 3 */
  attempts?: number;
  /** First delay in ms before a retry; it doubles with every attempt (BullMQ's exponential backoff). @default 1000 */
  backoff?: number;
  /**
   * Which finished jobs' records BullMQ keeps (its `removeOnComplete` shapes: `true`, `false`, a count, or
   * `{ age: seconds, count }`). Results never stay in them: they come back on this QueuePool's own reply stream and
   * are deleted once received. @default true (a completed job is removed at once)
   */
  removeOnComplete?: KeepJobs;
  /** Which failed jobs' records BullMQ keeps (same shapes). @default { age: 86400, count: 1000 } */
  removeOnFail?: KeepJobs;
  /** ms to establish a connection to Redis (ioredis' connectTimeout). @default 5000 */
  connectTimeout?: number;
  /**
   * ms any Redis command may take. A Redis that accepts connections but does not answer (frozen, overloaded) fails
   * every pending result with RedisConnectionError within this bound, instead of leaving it waiting. @default 5000
   */
  commandTimeout?: number;
  /** Jobs that may wait for a host at once (an apply is one, a map one per chunk); more throws QueueFullError. @default Infinity */
  maxQueued?: number;
}

export interface QueueTaskOptions<T = unknown> {
  /** Called with the value when the task succeeds. */
  callback?: (value: T) => void;
  /** Called with the error when the task fails. */
  errorCallback?: (error: Error) => void;
  /** Hard limit in ms, applied by the serving pool from the moment the task starts there; the result fails with TimeoutError. */
  timeout?: number;
  /** Cancels the task: a queued job is removed, a running one is stopped on its host; the result fails with CancelledError. */
  signal?: AbortSignal;
  /** Queue order (BullMQ's priorities underneath): larger first, FIFO within a priority, from -1048575 to 1048575. @default 0 */
  priority?: number;
}

export interface QueueMapOptions<T = unknown> {
  /**
   * Items per job (each job goes to whichever host takes it first; that host spreads it over its workers).
   * @default ceil(items / 64): enough jobs to spread over many hosts, few enough that Redis is not the bottleneck
   */
  chunksize?: number;
  /** Called once with the whole result array when every item succeeds. */
  callback?: (values: T[]) => void;
  /** Called once with the first error when any item fails. */
  errorCallback?: (error: Error) => void;
  /** Called as items finish on any host: `done` never decreases, the last call has `done === total`. */
  onProgress?: (done: number, total: number) => void;
  /** Cancels every job of the map; the result fails with CancelledError. */
  signal?: AbortSignal;
  /** Hard limit in ms per job (chunk), applied by the serving pool. */
  timeout?: number;
  /** Queue order of every job of the map, as `QueueTaskOptions.priority`. @default 0 */
  priority?: number;
}

/** Options of the imap family (`imap`, `imapUnordered`, `istarmap`, `istarmapUnordered`). */
export interface QueueLazyMapOptions<T = unknown> extends QueueMapOptions<T> {
  /**
   * Items per job. @default for an array, as `mapAsync` (ceil(items / 64)); for any other iterable 1, as Python's
   * imap (it may be endless): pass a larger one for throughput, since every job is a Redis round trip
   */
  chunksize?: number;
  /**
   * The most jobs (chunks) read from `items` and not yet handed to the loop: the input is read as room frees up,
   * so an endless or huge generator streams through the hosts in constant memory. A positive integer.
   * @default 64 chunks, and at least 256 items
   */
  readAhead?: number;
}

/** A QueuePool result: an AsyncResult that also names its job, so `queuePool.result(jobId)` can find it again. */
export type QueueAsyncResult<T> = AsyncResult<T> & {
  /** Opaque id of the submission: pass it to `QueuePool.result()` in this process or another to reattach. */
  readonly jobId: string;
};

/** What `QueuePool.stats()` reports. */
export interface QueuePoolStats {
  /** Jobs of this QueuePool no host has taken yet (`size`). */
  queued: number;
  /** Jobs of this QueuePool a host is running (`pending`). */
  running: number;
  /** Results not settled yet. */
  unsettled: number;
  /** Results handed out since the QueuePool was created, and how they ended so far. */
  submitted: number;
  succeeded: number;
  failed: number;
}

const POOL_KEYS = [
  'queue',
  'connection',
  'prefix',
  'attempts',
  'backoff',
  'removeOnComplete',
  'removeOnFail',
  'connectTimeout',
  'commandTimeout',
  'maxQueued',
] as const;
/** Jobs a map is split into by default. */
const DEFAULT_MAP_JOBS = 64;
/** BullMQ's priority for our 0; ours p becomes PRIORITY_ZERO - p (BullMQ runs 1 first, up to 2^21 - 1). */
const PRIORITY_ZERO = 1 << 20;
const MAX_PRIORITY = PRIORITY_ZERO - 1;
/** A result's jobId: `<reply>.<uuid>` for an apply, `<reply>.<uuid>.m<chunks>` for a map. */
const HANDLE = /^([0-9a-f-]{36})\.([0-9a-f-]{36})(?:\.m([1-9]\d{0,8}))?$/;

/** BullMQ's priority for ours (already checked as an integer by the shared option checks). */
function bullPriority(priority: number | undefined): number {
  if (priority === undefined) return PRIORITY_ZERO;
  if (priority < -MAX_PRIORITY || priority > MAX_PRIORITY) {
    throw new RangeError(expected('priority', `an integer from ${-MAX_PRIORITY} to ${MAX_PRIORITY} (BullMQ's priority range)`, priority));
  }
  return PRIORITY_ZERO - priority;
}

function checkKeepJobs(name: string, value: unknown): KeepJobs {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) throw new RangeError(expected(name, 'true, false, a count (an integer ≥ 0) or { age, count }', value));
    return value;
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    checkKnownKeys(name, value, ['age', 'count']);
    const { age, count } = value as { age?: unknown; count?: unknown };
    if (age !== undefined) checkPositiveInteger(`${name}.age`, age);
    if (count !== undefined && (typeof count !== 'number' || !Number.isInteger(count) || count < 0)) {
      throw new RangeError(expected(`${name}.count`, 'an integer ≥ 0', count));
    }
    return { ...(age !== undefined && { age: age as number }), ...(count !== undefined && { count: count as number }) };
  }
  throw new TypeError(expected(name, "true, false, a count or { age (s), count } (BullMQ's shapes)", value));
}

export function checkQueueName(queue: unknown): string {
  if (typeof queue !== 'string' || queue === '' || queue.includes(':'))
    throw new TypeError(expected('queue', 'a BullMQ queue name (a non-empty string without `:`)', queue));
  return queue;
}

type SubmitWork = Omit<Extract<ToClient, { type: 'submit' }>, 'type' | 'id' | 'flag' | 'uuid' | 'secret'>;

/** An imap batch as the shared ItemStream tracks it. */
interface QueueSubmission extends StreamSubmission {
  cancel(error: Error): void;
}

/** Items an imap reads ahead at least, by default (as the local pool's). */
const DEFAULT_READ_AHEAD_ITEMS = 256;

/** A map's submission: numbers only (the common numeric map) as one Float64Array packed per chunk, else each item encoded here. */
function mapWork(
  kernel: string,
  list: readonly unknown[],
  star: boolean,
  chunksize: number,
  timeout: number | undefined,
  priority: number,
  report: { stream: boolean; progress: boolean },
): SubmitWork {
  let encoded: Encoded[] | Float64Array;
  if (!star && isNumberList(list as unknown[])) encoded = Float64Array.from(list as number[]);
  else {
    encoded = new Array<Encoded>(list.length);
    for (let i = 0; i < list.length; i++) encoded[i] = encode(list[i], 'items');
  }
  return { kernel, kind: 'map', args: null, items: encoded, star, chunksize, timeout, priority, ...report };
}

export class QueuePool implements Submitter {
  readonly #worker: Worker;
  readonly #results: QueueResults;
  readonly #flags: FlagTable;
  readonly #reply = randomUUID();
  readonly #maxQueued: number;
  /** jobId → the unsettled result of this QueuePool, so result(jobId) here gives the same one. */
  readonly #byHandle = new Map<string, QueueAsyncResult<unknown>>();
  #nextId = 1;
  #state: 'open' | 'closing' | 'closed' = 'open';
  #terminated = false;
  /** imap iterators that still have input to read: close() waits for them before it waits for the results. */
  #holds = 0;
  #holdsReleased: Array<() => void> = [];
  #closed: Promise<void> | undefined;
  readonly #exited: Promise<void>;
  readonly #counts = { submitted: 0, succeeded: 0, failed: 0 };

  constructor(options: QueuePoolOptions) {
    const valid = checkOptionsObject('options', options) as QueuePoolOptions;
    checkKnownKeys('QueuePoolOptions', valid, POOL_KEYS);
    checkQueueName(valid.queue);
    const connection = connectionSpec(valid.connection);
    if (valid.prefix !== undefined && (typeof valid.prefix !== 'string' || valid.prefix === ''))
      throw new TypeError(expected('prefix', 'a non-empty string', valid.prefix));
    if (valid.attempts !== undefined) checkPositiveInteger('attempts', valid.attempts, 1000);
    if (valid.backoff !== undefined) checkMilliseconds('backoff', valid.backoff);
    if (valid.connectTimeout !== undefined) checkPositiveInteger('connectTimeout', valid.connectTimeout, MAX_TIMER_MS);
    if (valid.commandTimeout !== undefined) checkPositiveInteger('commandTimeout', valid.commandTimeout, MAX_TIMER_MS);
    if (valid.maxQueued !== undefined && valid.maxQueued !== Infinity) checkPositiveInteger('maxQueued', valid.maxQueued);
    this.#maxQueued = valid.maxQueued ?? Infinity;
    const jobOptions: PlainJobOptions = {
      attempts: valid.attempts ?? 3,
      backoff: { type: 'exponential', delay: valid.backoff ?? 1000 },
      removeOnComplete: valid.removeOnComplete === undefined ? true : checkKeepJobs('removeOnComplete', valid.removeOnComplete),
      removeOnFail: valid.removeOnFail === undefined ? { age: 24 * 3600, count: 1000 } : checkKeepJobs('removeOnFail', valid.removeOnFail),
    };
    const signal = new SharedArrayBuffer(4);
    const { port1, port2 } = new MessageChannel();
    const setup: ClientSetup = {
      queue: valid.queue,
      prefix: valid.prefix ?? DEFAULT_PREFIX,
      connection,
      timeouts: { connectTimeout: valid.connectTimeout ?? 5000, commandTimeout: valid.commandTimeout ?? 5000 },
      jobOptions,
      reply: this.#reply,
      signal,
    };
    try {
      this.#worker = new Worker(new URL('./client-thread.js', import.meta.url), { workerData: { setup, port: port2 }, transferList: [port2] });
    } catch (error) {
      throw new TypeError(expected('connection', 'options that can be copied to a thread (plain data)', valid.connection), { cause: error });
    }
    this.#worker.unref();
    this.#flags = new FlagTable((segment, buffer) => this.#send({ type: 'flags', segment, buffer }));
    this.#results = new QueueResults(port1, new Int32Array(signal), this.#flags);
    this.#exited = new Promise((resolve) => this.#worker.once('exit', () => resolve()));
    this.#worker.on('error', (error) =>
      this.#results.failAll(new PoolStateError(`The QueuePool's client thread failed (${error.message}); create a new QueuePool`, { cause: error })),
    );
    this.#worker.on('exit', () => {
      if (this.#results.unsettled > 0)
        this.#results.failAll(new PoolStateError("The QueuePool's client thread stopped before these results arrived; create a new QueuePool"));
    });
  }

  /** Runs `kernel(...args)` on whichever serving host takes the job. Returns at once. */
  applyAsync<T = unknown>(kernel: string, args: readonly unknown[] = [], options?: QueueTaskOptions<T>): QueueAsyncResult<T> {
    checkKernelName(kernel);
    if (!Array.isArray(args)) throw new TypeError(expected('args', 'an array of arguments', args));
    const opts = validateTaskOptions(options) as QueueTaskOptions<T>;
    const priority = bullPriority(opts.priority);
    this.#checkOpen();
    this.#checkRoom(1);
    // Encoded at the call: a value that cannot travel (a cycle, a function) is the caller's TypeError, here.
    const encoded = encode(args, 'args');
    const work: SubmitWork = {
      kernel,
      kind: 'apply',
      args: encoded,
      items: [],
      star: false,
      chunksize: 1,
      timeout: opts.timeout,
      priority,
      stream: false,
      progress: false,
    };
    return this.#submit<T>(work, 1, opts, {}).result;
  }

  /** Runs `kernel(item)` for every item, in jobs of `chunksize` items spread over the serving hosts; results in input order. */
  mapAsync<T = unknown>(kernel: string, items: Iterable<unknown>, options?: QueueMapOptions<T>): QueueAsyncResult<T[]> {
    return this.#map<T>(kernel, items, options, false);
  }

  /** Runs `kernel(...args)` for every argument list in `items`. */
  starmapAsync<T = unknown>(kernel: string, items: Iterable<readonly unknown[]>, options?: QueueMapOptions<T>): QueueAsyncResult<T[]> {
    return this.#map<T>(kernel, items, options, true);
  }

  apply<T = unknown>(kernel: string, args?: readonly unknown[], options?: QueueTaskOptions<T>): Promise<T> {
    return settle(() => this.applyAsync<T>(kernel, args, options));
  }

  map<T = unknown>(kernel: string, items: Iterable<unknown>, options?: QueueMapOptions<T>): Promise<T[]> {
    return settle(() => this.mapAsync<T>(kernel, items, options));
  }

  starmap<T = unknown>(kernel: string, items: Iterable<readonly unknown[]>, options?: QueueMapOptions<T>): Promise<T[]> {
    return settle(() => this.starmapAsync<T>(kernel, items, options));
  }

  /** Results in input order as their jobs finish. */
  imap<T = unknown>(kernel: string, items: Iterable<unknown>, options?: QueueLazyMapOptions<T>): AsyncIterable<T> {
    return this.#stream<T>(kernel, items, options, true, false);
  }

  /** Results in completion order. */
  imapUnordered<T = unknown>(kernel: string, items: Iterable<unknown>, options?: QueueLazyMapOptions<T>): AsyncIterable<T> {
    return this.#stream<T>(kernel, items, options, false, false);
  }

  /** imap with argument lists: `kernel(...args)` for every `args` in `items`, results in input order. */
  istarmap<T = unknown>(kernel: string, items: Iterable<readonly unknown[]>, options?: QueueLazyMapOptions<T>): AsyncIterable<T> {
    return this.#stream<T>(kernel, items, options, true, true);
  }

  /** istarmap, in completion order. */
  istarmapUnordered<T = unknown>(kernel: string, items: Iterable<readonly unknown[]>, options?: QueueLazyMapOptions<T>): AsyncIterable<T> {
    return this.#stream<T>(kernel, items, options, false, true);
  }

  /**
   * The result of a job submitted earlier, by its `jobId`: the same AsyncResult if this QueuePool submitted it and it
   * has not settled, otherwise a new one that follows the job to its outcome (from another process too, after a
   * restart). A job whose result was already delivered and removed fails with JobLostError.
   */
  result<T = unknown>(jobId: string): QueueAsyncResult<T> {
    const match = typeof jobId === 'string' ? HANDLE.exec(jobId) : null;
    if (!match) throw new TypeError(expected('jobId', 'the jobId of a QueuePool result', jobId));
    this.#checkOpen();
    const live = this.#byHandle.get(jobId);
    if (live) return live as QueueAsyncResult<T>;
    const [, reply, uuid, chunks] = match;
    const state = new ResultState<T>();
    const result = this.#resultOf(state, jobId);
    const id = this.#nextId++;
    const flag = this.#flags.allocate();
    this.#send({ type: 'reattach', id, flag, reply, uuid, chunks: chunks === undefined ? 0 : Number(chunks) });
    this.#track(id, flag, state, {}, chunks === undefined ? 1 : Number(chunks), jobId, result);
    return result;
  }

  /** Jobs of this QueuePool no host has taken yet. */
  get size(): number {
    return this.#results.queuedJobs;
  }

  /** Jobs of this QueuePool a host is running now. */
  get pending(): number {
    return this.#results.runningJobs;
  }

  /** Resolves once fewer than `limit` of this QueuePool's jobs wait for a host (p-queue's onSizeLessThan). */
  onSizeLessThan(limit: number): Promise<void> {
    checkPositiveInteger('limit', limit);
    return this.#results.whenLoad(() => this.#results.queuedJobs < limit);
  }

  /** Resolves once no job of this QueuePool waits for a host. */
  onEmpty(): Promise<void> {
    return this.#results.whenLoad(() => this.#results.queuedJobs === 0);
  }

  /** Resolves once every result of this QueuePool has settled (nothing queued or running). */
  onIdle(): Promise<void> {
    return this.#results.whenIdle();
  }

  stats(): QueuePoolStats {
    return { queued: this.size, running: this.pending, unsettled: this.#results.unsettled, ...this.#counts };
  }

  /** Resolves once connected to Redis; rejects with RedisConnectionError (naming host:port) if it cannot be reached. */
  waitUntilReady(): Promise<void> {
    return this.#results.whenConnected();
  }

  /**
   * No new submissions (they throw PoolStateError); resolves once every pending result has settled and the
   * Redis connections are closed. Jobs already in the queue keep running on their hosts.
   */
  close(): Promise<void> {
    if (this.#closed) return this.#closed;
    this.#state = 'closing';
    this.#closed = (async () => {
      if (this.#holds > 0) await new Promise<void>((resolve) => this.#holdsReleased.push(resolve));
      await this.#results.whenIdle();
      this.#worker.ref();
      this.#send({ type: 'close' });
      await this.#exited;
      this.#state = 'closed';
    })();
    return this.#closed;
  }

  /**
   * Stops now: every unsettled result fails with CancelledError, every job of this QueuePool still waiting leaves
   * the queue and every running one is stopped on its host; then the connections close.
   */
  terminate(): Promise<void> {
    if (this.#state === 'closed') return this.#closed ?? Promise.resolve();
    this.#state = 'closing';
    this.#terminated = true;
    const reason = 'The task was cancelled: its QueuePool was terminated';
    this.#results.failAll(new CancelledError(reason));
    this.#worker.ref();
    this.#send({ type: 'terminate', reason });
    this.#closed = (async () => {
      await this.#exited;
      this.#state = 'closed';
    })();
    return this.#closed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #map<T>(kernel: string, items: Iterable<unknown>, options: QueueMapOptions<T> | undefined, star: boolean): QueueAsyncResult<T[]> {
    checkKernelName(kernel);
    const opts = validateMapOptions(options, 'queue') as QueueMapOptions<T>;
    const priority = bullPriority(opts.priority);
    // A string is iterable, but mapping it character by character is never what was meant.
    if (typeof items === 'string') throw new TypeError(expected('items', 'an iterable of items (an array, not a string)', items));
    const list = collectItems(items, star);
    this.#checkOpen();
    const chunksize = opts.chunksize ?? Math.max(1, Math.ceil(list.length / DEFAULT_MAP_JOBS));
    if (list.length === 0) {
      const state = new ResultState<T[]>();
      const result = this.#resultOf(state, `${this.#reply}.${randomUUID()}.m1`);
      this.#callbacks(state, opts);
      state.settle(true, []);
      return result;
    }
    const units = Math.ceil(list.length / chunksize);
    this.#checkRoom(units);
    const work = mapWork(kernel, list, star, chunksize, opts.timeout, priority, { stream: false, progress: opts.onProgress !== undefined });
    return this.#submit<T[]>(work, units, opts, { onProgress: opts.onProgress }).result;
  }

  /**
   * The imap family: the local pool's ItemStream (one implementation for both pools) over this QueuePool. It reads
   * the input as the loop consumes results, `readAhead` chunks ahead, and submits what it read as maps of
   * `chunksize`-item jobs, so an endless generator streams through the hosts in bounded memory.
   */
  #stream<T>(kernel: string, items: Iterable<unknown>, options: QueueLazyMapOptions<T> | undefined, ordered: boolean, star: boolean): AsyncIterable<T> {
    checkKernelName(kernel);
    const opts = validateMapOptions(options, 'queue-lazy') as QueueLazyMapOptions<unknown>;
    const priority = bullPriority(opts.priority);
    const reader = new ItemReader(items, star);
    this.#checkOpen();
    // An array's size is known: the same jobs as map. Any other iterable may be endless: Python's 1 per job.
    const chunksize = opts.chunksize ?? (reader.length !== undefined ? Math.max(1, Math.ceil(reader.length / DEFAULT_MAP_JOBS)) : 1);
    return new ItemStream<T, QueueSubmission>(
      {
        submit: (batch, _firstItem, listener) => {
          if (this.#terminated) throw new CancelledError('The QueuePool was terminated before these items were read');
          const units = Math.ceil(batch.length / chunksize);
          this.#checkRoom(units);
          const work = mapWork(kernel, batch, star, chunksize, opts.timeout, priority, { stream: true, progress: false });
          return this.#submitBatch(work, units, chunksize, listener);
        },
        cancelJob: (submission, error) => submission.cancel(error),
        holdOpen: () => this.#holdOpen(),
        room: () => this.#maxQueued - this.#results.queuedJobs,
        onRoom: () => this.#results.whenLoad(() => this.#results.queuedJobs < this.#maxQueued),
      },
      reader,
      {
        ordered,
        chunksize,
        readAhead: opts.readAhead ?? Math.max(DEFAULT_MAP_JOBS, Math.ceil(DEFAULT_READ_AHEAD_ITEMS / chunksize)),
        signal: opts.signal,
        callback: opts.callback,
        errorCallback: opts.errorCallback,
        onProgress: opts.onProgress,
      },
    );
  }

  /** One map of an imap's batch: its chunks go to `listener` (a failure at the first chunk not yet delivered). */
  #submitBatch(work: SubmitWork, units: number, chunksize: number, listener: ChunkListener): QueueSubmission {
    const delivered = new Set<number>();
    const sink: ChunkSink = {
      chunk(offset, values) {
        const index = offset / chunksize;
        delivered.add(index);
        listener.chunk(index, offset, true, values);
      },
      end(error) {
        if (!error) return;
        let index = 0;
        while (delivered.has(index)) index++;
        listener.chunk(index, index * chunksize, false, error);
      },
    };
    const { state, id } = this.#submit<unknown[]>(work, units, {}, { stream: sink }, false);
    return {
      whenSettled: (callback) => state.onSettled(callback),
      cancel: (error) => {
        this.#results.failNow(state as ResultState, error);
        this.#send({ type: 'cancel', id, reason: error.message });
      },
    };
  }

  /** Keeps close() waiting (an imap still has input to read) until the returned function is called. */
  #holdOpen(): () => void {
    this.#holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.#holds === 0) for (const resolve of this.#holdsReleased.splice(0)) resolve();
    };
  }

  /** `counted`: a result handed to the caller (an imap's internal batches are not: its items are). */
  #resultOf<T>(state: ResultState<T>, jobId: string, counted = true): QueueAsyncResult<T> {
    const result = new AsyncResult<T>(state, this.#results);
    Object.defineProperty(result, 'jobId', { value: jobId, enumerable: true });
    if (!counted) return result as QueueAsyncResult<T>;
    this.#counts.submitted++;
    state.onSettled(() => {
      if (state.fulfilled) this.#counts.succeeded++;
      else this.#counts.failed++;
    });
    return result as QueueAsyncResult<T>;
  }

  #submit<T>(
    work: SubmitWork,
    units: number,
    opts: { callback?: (value: T) => void; errorCallback?: (error: Error) => void; signal?: AbortSignal },
    hooks: ResultHooks,
    counted = true,
  ): { result: QueueAsyncResult<T>; state: ResultState<T>; id: number } {
    const uuid = randomUUID();
    const handle = work.kind === 'apply' ? `${this.#reply}.${uuid}` : `${this.#reply}.${uuid}.m${units}`;
    const state = new ResultState<T>();
    const result = this.#resultOf(state, handle, counted);
    this.#callbacks(state, opts);
    const id = this.#nextId++;
    if (opts.signal?.aborted) {
      const error = new CancelledError('The task was cancelled: its AbortSignal had already fired when it was submitted', { cause: opts.signal.reason });
      hooks.stream?.end(error);
      state.settle(false, error);
      return { result, state, id };
    }
    const flag = this.#flags.allocate();
    const secret = randomBytes(18).toString('base64url');
    try {
      this.#send({ type: 'submit', id, flag, uuid, secret, ...work });
    } catch (error) {
      this.#flags.release(flag);
      throw new TypeError(
        `Expected \`${work.kind === 'apply' ? 'args' : 'items'}\` to hold only data that can be sent to another host: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    this.#track(id, flag, state as ResultState, hooks, units, handle, result);
    if (opts.signal) {
      const signal = opts.signal;
      const onAbort = (): void => {
        const reason = 'The task was cancelled: its AbortSignal fired';
        this.#results.failNow(state as ResultState, new CancelledError(reason, { cause: signal.reason }));
        this.#send({ type: 'cancel', id, reason });
      };
      signal.addEventListener('abort', onAbort, { once: true });
      // Everything a task takes is given back when it settles: here, the abort listener.
      state.onSettled(() => signal.removeEventListener('abort', onAbort));
    }
    return { result, state, id };
  }

  #track<T>(id: number, flag: number, state: ResultState<T>, hooks: ResultHooks, units: number, handle: string, result: QueueAsyncResult<T>): void {
    this.#byHandle.set(handle, result as QueueAsyncResult<unknown>);
    state.onSettled(() => this.#byHandle.delete(handle));
    this.#results.track(id, flag, state as ResultState, hooks, units);
  }

  #callbacks<T>(state: ResultState<T>, opts: { callback?: (value: T) => void; errorCallback?: (error: Error) => void }): void {
    const { callback, errorCallback } = opts;
    if (!callback && !errorCallback) return;
    state.onSettled(() => {
      try {
        if (state.fulfilled) callback?.(state.value as T);
        else errorCallback?.(state.error!);
      } catch (error) {
        reportCallbackError(error);
      }
    });
  }

  #send(message: ToClient): void {
    this.#worker.postMessage(message);
  }

  #checkOpen(): void {
    if (this.#state !== 'open') throw new PoolStateError('The QueuePool is closed; no new tasks can be submitted. Create a new QueuePool.');
  }

  #checkRoom(units: number): void {
    const queued = this.#results.queuedJobs;
    if (queued + units > this.#maxQueued) throw new QueueFullError({ maxQueued: this.#maxQueued, queued, units });
  }
}
