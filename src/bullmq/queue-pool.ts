/**
 * QueuePool: the submitting side of wasmpool/bullmq. The same methods as a local Pool, over a BullMQ queue that
 * one or more hosts serve with serveQueue(). It validates at the call, hands each submission to its client thread
 * (which owns the Redis connections) and returns AsyncResults that read through QueueResults.
 */
import { MessageChannel, Worker } from 'node:worker_threads';
import { AsyncResult, ResultState } from '../async-result.js';
import { CancelledError, PoolStateError } from '../errors.js';
import { collectItems } from '../scheduling/map-items.js';
import { reportCallbackError } from '../scheduling/callback-errors.js';
import { checkFunction, checkKernelName, checkKnownKeys, checkMilliseconds, checkOptionsObject, checkPositiveInteger, expected } from '../validate.js';
import { plainConnection } from './connection.js';
import { FlagTable } from './flags.js';
import { ItemStream } from './item-stream.js';
import type { ClientSetup, PlainJobOptions, ToClient } from './protocol.js';
import { QueueResults, type ResultHooks } from './results.js';
import { DEFAULT_PREFIX } from './job-data.js';

// Node 20 without explicit-resource-management still gets a callable dispose method.
(Symbol as { asyncDispose?: symbol }).asyncDispose ??= Symbol.for('Symbol.asyncDispose');

export interface QueuePoolOptions {
  /** The BullMQ queue name the serving hosts serve (no `:`). */
  queue: string;
  /** BullMQ's connection: `{ host, port, password?, db?, tls? }`, or an ioredis instance (its settings are used). */
  connection: object;
  /** BullMQ key prefix; must match the serving hosts'. @default 'bull' */
  prefix?: string;
  /** Runs of a job before it fails for good when its host crashes or vanishes (a TaskError is never retried). @default 3 */
  attempts?: number;
  /** First delay in ms before a retry; it doubles with every attempt (BullMQ's exponential backoff). @default 1000 */
  backoff?: number;
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
}

const POOL_KEYS = ['queue', 'connection', 'prefix', 'attempts', 'backoff'] as const;
const TASK_KEYS = ['callback', 'errorCallback', 'timeout', 'signal'] as const;
const MAP_KEYS = ['chunksize', 'callback', 'errorCallback', 'onProgress', 'signal'] as const;
/** Jobs a map is split into by default. */
const DEFAULT_MAP_JOBS = 64;

function checkSignal(signal: unknown): void {
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError(expected('signal', 'an AbortSignal', signal));
}

function checkCallbacks(options: { callback?: unknown; errorCallback?: unknown }): void {
  if (options.callback !== undefined) checkFunction('callback', options.callback);
  if (options.errorCallback !== undefined) checkFunction('errorCallback', options.errorCallback);
}

export function checkQueueName(queue: unknown): string {
  if (typeof queue !== 'string' || queue === '' || queue.includes(':'))
    throw new TypeError(expected('queue', 'a BullMQ queue name (a non-empty string without `:`)', queue));
  return queue;
}

export class QueuePool {
  readonly #worker: Worker;
  readonly #results: QueueResults;
  readonly #flags: FlagTable;
  #nextId = 1;
  #state: 'open' | 'closing' | 'closed' = 'open';
  #closed: Promise<void> | undefined;
  readonly #exited: Promise<void>;

  constructor(options: QueuePoolOptions) {
    const valid = checkOptionsObject('options', options) as QueuePoolOptions;
    checkKnownKeys('QueuePoolOptions', valid, POOL_KEYS);
    checkQueueName(valid.queue);
    const connection = plainConnection(valid.connection);
    if (valid.prefix !== undefined && (typeof valid.prefix !== 'string' || valid.prefix === ''))
      throw new TypeError(expected('prefix', 'a non-empty string', valid.prefix));
    if (valid.attempts !== undefined) checkPositiveInteger('attempts', valid.attempts, 1000);
    if (valid.backoff !== undefined) checkMilliseconds('backoff', valid.backoff);
    const jobOptions: PlainJobOptions = {
      attempts: valid.attempts ?? 3,
      backoff: { type: 'exponential', delay: valid.backoff ?? 1000 },
      // Kept an hour, not removed at once: a result whose event was missed is still read from the job itself.
      removeOnComplete: { age: 3600 },
      removeOnFail: { age: 24 * 3600 },
    };
    const signal = new SharedArrayBuffer(4);
    const { port1, port2 } = new MessageChannel();
    const setup: ClientSetup = { queue: valid.queue, prefix: valid.prefix ?? DEFAULT_PREFIX, connection, jobOptions, signal };
    this.#worker = new Worker(new URL('./client-thread.js', import.meta.url), { workerData: { setup, port: port2 }, transferList: [port2] });
    this.#worker.unref();
    this.#flags = new FlagTable((segment, buffer) => this.#send({ type: 'flags', segment, buffer }));
    this.#results = new QueueResults(port1, new Int32Array(signal), this.#flags);
    this.#exited = new Promise((resolve) => this.#worker.once('exit', () => resolve()));
    this.#worker.on('error', (error) =>
      this.#results.failAll(new PoolStateError(`The QueuePool's client thread failed (${error.message}); create a new QueuePool`, { cause: error })),
    );
    this.#worker.on('exit', () => {
      if (this.#results.pending > 0)
        this.#results.failAll(new PoolStateError("The QueuePool's client thread stopped before these results arrived; create a new QueuePool"));
    });
  }

  /** Runs `kernel(...args)` on whichever serving host takes the job. Returns at once. */
  applyAsync<T = unknown>(kernel: string, args: readonly unknown[] = [], options?: QueueTaskOptions<T>): AsyncResult<T> {
    checkKernelName(kernel);
    if (!Array.isArray(args)) throw new TypeError(expected('args', 'an array of arguments', args));
    const opts = checkOptionsObject('options', options) as QueueTaskOptions<T>;
    checkKnownKeys('TaskOptions', opts, TASK_KEYS);
    checkCallbacks(opts);
    checkSignal(opts.signal);
    if (opts.timeout !== undefined) {
      checkMilliseconds('timeout', opts.timeout);
      if (opts.timeout > 2 ** 31 - 1) throw new RangeError(expected('timeout', 'at most 2147483647 ms', opts.timeout));
    }
    return this.#submit<T>({ kernel, kind: 'apply', args, star: false, chunksize: 1, timeout: opts.timeout, stream: false, progress: false }, opts, {});
  }

  /** Runs `kernel(item)` for every item, in jobs of `chunksize` items spread over the serving hosts; results in input order. */
  mapAsync<T = unknown>(kernel: string, items: Iterable<unknown>, options?: QueueMapOptions<T>): AsyncResult<T[]> {
    return this.#map<T>(kernel, items, options, false, undefined);
  }

  /** Runs `kernel(...args)` for every argument list in `items`. */
  starmapAsync<T = unknown>(kernel: string, items: Iterable<readonly unknown[]>, options?: QueueMapOptions<T>): AsyncResult<T[]> {
    return this.#map<T>(kernel, items, options, true, undefined);
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
  imap<T = unknown>(kernel: string, items: Iterable<unknown>, options?: QueueMapOptions<T>): AsyncIterable<T> {
    const stream = new ItemStream<T>(true);
    this.#map<T>(kernel, items, options, false, stream);
    return stream;
  }

  /** Results in completion order. */
  imapUnordered<T = unknown>(kernel: string, items: Iterable<unknown>, options?: QueueMapOptions<T>): AsyncIterable<T> {
    const stream = new ItemStream<T>(false);
    this.#map<T>(kernel, items, options, false, stream);
    return stream;
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
      await this.#results.whenIdle();
      this.#worker.ref();
      this.#send({ type: 'close' });
      await this.#exited;
      this.#state = 'closed';
    })();
    return this.#closed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #map<T>(
    kernel: string,
    items: Iterable<unknown>,
    options: QueueMapOptions<T> | undefined,
    star: boolean,
    stream: ItemStream<T> | undefined,
  ): AsyncResult<T[]> {
    checkKernelName(kernel);
    const opts = checkOptionsObject('options', options) as QueueMapOptions<T>;
    checkKnownKeys('MapOptions', opts, MAP_KEYS);
    if (opts.chunksize !== undefined) checkPositiveInteger('chunksize', opts.chunksize);
    checkCallbacks(opts);
    if (opts.onProgress !== undefined) checkFunction('onProgress', opts.onProgress);
    checkSignal(opts.signal);
    const list = collectItems(items, star);
    const chunksize = opts.chunksize ?? Math.max(1, Math.ceil(list.length / DEFAULT_MAP_JOBS));
    const hooks: ResultHooks = { onProgress: opts.onProgress, stream: stream as ItemStream<unknown> | undefined };
    if (list.length === 0) {
      this.#checkOpen();
      const state = new ResultState<T[]>();
      const result = new AsyncResult<T[]>(state, this.#results);
      this.#callbacks(state, opts);
      state.settle(true, []);
      stream?.end(undefined);
      return result;
    }
    return this.#submit<T[]>(
      { kernel, kind: 'map', args: list, star, chunksize, stream: stream !== undefined, progress: opts.onProgress !== undefined },
      opts,
      hooks,
    );
  }

  #submit<T>(
    work: Omit<Extract<ToClient, { type: 'submit' }>, 'type' | 'id' | 'flag'>,
    opts: { callback?: (value: T) => void; errorCallback?: (error: Error) => void; signal?: AbortSignal },
    hooks: ResultHooks,
  ): AsyncResult<T> {
    this.#checkOpen();
    const state = new ResultState<T>();
    const result = new AsyncResult<T>(state, this.#results);
    this.#callbacks(state, opts);
    if (opts.signal?.aborted) {
      hooks.stream?.end(new CancelledError('The task was cancelled: its AbortSignal had already fired when it was submitted'));
      state.settle(false, new CancelledError('The task was cancelled: its AbortSignal had already fired when it was submitted'));
      return result;
    }
    const id = this.#nextId++;
    const flag = this.#flags.allocate();
    try {
      this.#send({ type: 'submit', id, flag, ...work });
    } catch (error) {
      this.#flags.release(flag);
      // postMessage refuses what structured clone cannot copy (a function, a symbol): bad input, reported at the call.
      throw new TypeError(
        `Expected \`${work.kind === 'apply' ? 'args' : 'items'}\` to hold only data that can be sent to another host: ${(error as Error).message}`,
        { cause: error },
      );
    }
    this.#results.track(id, flag, state as ResultState, hooks);
    if (opts.signal) {
      const signal = opts.signal;
      const onAbort = (): void => {
        const reason = 'The task was cancelled: its AbortSignal fired';
        this.#results.failNow(state as ResultState, new CancelledError(reason));
        this.#send({ type: 'cancel', id, reason });
      };
      signal.addEventListener('abort', onAbort, { once: true });
      // Everything a task takes is given back when it settles: here, the abort listener.
      state.onSettled(() => signal.removeEventListener('abort', onAbort));
    }
    return result;
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
}

function settle<T>(submit: () => AsyncResult<T>): Promise<T> {
  try {
    return submit().get();
  } catch (error) {
    return Promise.reject(error);
  }
}
