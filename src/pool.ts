import { AsyncResult } from './async-result.js';
import { CancelledError, PoolStateError, QueueFullError } from './errors.js';
import {
  resolveElasticOptions,
  validateMapOptions,
  validatePoolOptions,
  validateTaskOptions,
  type MapOptions,
  type PoolOptions,
  type TaskOptions,
} from './options.js';
import type { MetricsStats } from './scheduling/metrics.js';
import { platform } from './platform.js';
import { defaultChunksize, splitIntoChunks } from './scheduling/chunking.js';
import { SHARED_MEMORY_AVAILABLE } from './abi/shared-buffer.js';
import { ItemStream } from './scheduling/iterate.js';
import type { JobResources, MapJob, MapJobOptions } from './scheduling/jobs.js';
import { collectItems, ItemReader } from './scheduling/map-items.js';
import { Scheduler } from './scheduling/scheduler.js';
import { checkKernelName, describe, expected, explainUnreadable, readOptions } from './validate.js';
import { SharedArrays, type Lowered } from './shared/shared-arrays.js';
import type { SharedArrayConstructor, SharedTypedArray } from './shared/typed-arrays.js';
import { runParallel, type ParallelOptions } from './parallel/split.js';
import type { WasmModuleInfo } from './wasm/inspect.js';
import { createSharedMemory, type PreparedModule } from './wasm/prepare-module.js';

// Browsers without explicit-resource-management still get a callable dispose method.
(Symbol as { asyncDispose?: symbol }).asyncDispose ??= Symbol.for('Symbol.asyncDispose');

/** Options of `pool.alloc`. */
export interface AllocOptions {
  /**
   * Clear the array. `false` skips clearing a reused block (faster for scratch space that is fully
   * overwritten; it then holds whatever its last owner left). @default true
   */
  zero?: boolean;
}

/**
 * What a function given as `PoolOptions.initargs` is called with, once, while the pool is being created: its
 * shared memory exists, its workers do not yet. Tables allocated here reach every worker's initializer.
 */
export interface InitContext {
  /** The pool's shared memory (undefined for a module without one). */
  readonly memory: WebAssembly.Memory | undefined;
  /** `pool.alloc`: keep the views you need; they belong to the pool as any other alloc() view. */
  alloc<C extends SharedArrayConstructor>(type: C, length: number, options?: AllocOptions): InstanceType<C>;
}

/** What `pool.stats()` reports: load and footprint now, and timings over the last minute (see MetricsStats). */
export interface PoolStats extends MetricsStats {
  /** Live worker threads. */
  workers: number;
  /** Units (apply tasks or map chunks) waiting for a worker. */
  queued: number;
  /** Units handed to workers and not yet back. */
  running: number;
  /** Completion slots held by unsettled results (0 when idle: nothing leaks). */
  slotsInUse: number;
  /** Shared memory held by completion slots, in bytes (grows by 64 KiB pages, never shrinks). */
  slotBytes: number;
}

/**
 * A pool of workers running kernels from one task module: Python's multiprocessing.pool.Pool for numeric
 * JavaScript. A facade: it validates every input at the call, then hands the work to its Scheduler, which owns
 * all task state; results are AsyncResults over that state.
 */
export class Pool {
  readonly #scheduler: Scheduler;
  readonly #module: PreparedModule;
  /** The shared WebAssembly.Memory of a module built with `--sharedMemory`, else undefined. */
  readonly memory: WebAssembly.Memory | undefined;
  /** Zero-copy arrays in `memory`, and the lowering of typed-array arguments to (byteOffset, length). */
  readonly #arrays: SharedArrays;
  /** PoolOptions.maxQueued (Infinity: no limit), for an imap to read no more than the queue takes. */
  readonly #maxQueued: number;

  constructor(options?: PoolOptions) {
    const valid = validatePoolOptions(options);
    const { transport, prepareModule, serialize } = platform();
    const workers = valid.workers ?? transport.defaultWorkers();
    this.#maxQueued = resolveElasticOptions(valid, workers).maxQueued; // a bad minWorkers throws before any module is loaded
    this.#module = prepareModule(valid.module);
    this.memory = createSharedMemory(this.#module.info, this.#module.label);
    this.#arrays = new SharedArrays(this.memory, () => this.#module.info, this.#module.label);
    if (valid.initializer !== undefined && this.#module.info && !this.#module.info.kernels.has(valid.initializer)) {
      throw new TypeError(
        `Expected \`initializer\` to name an export of the task module, got ${JSON.stringify(valid.initializer)}; it exports: ${[...this.#module.info.kernels.keys()].join(', ')}`,
      );
    }
    const initargs = valid.initializer === undefined ? undefined : this.#lowerInitargs(valid.initializer, valid.initargs);
    const spec = this.#module.spec.kind === 'wasm' && this.memory ? { ...this.#module.spec, memory: this.memory } : this.#module.spec;
    this.#scheduler = new Scheduler({
      transport,
      shared: SHARED_MEMORY_AVAILABLE,
      serialize,
      module: spec,
      workers,
      ...resolveElasticOptions(valid, workers),
      maxTasksPerWorker: valid.maxTasksPerWorker,
      initializer: valid.initializer,
      initargs,
      // Known here for plain WASM (as a worker lists them: runtime helpers such as `__new` are no kernels); else
      // the first worker to load the module reports them.
      exports: this.#signatures ? [...this.#signatures.kernels.keys()].filter((name) => !name.startsWith('__')) : undefined,
      spawnOptions: valid.resourceLimits ? { resourceLimits: { ...valid.resourceLimits } } : undefined,
    });
  }

  /**
   * The initializer's arguments as every worker gets them: `initargs` called first when it is a function (the
   * shared memory exists by then, so its tables can come from alloc), then lowered like apply arguments. A plain
   * typed array is copied into the shared memory once and the copy kept for the pool's life (replacement
   * workers run the initializer too); a pool.alloc view is passed as it is.
   */
  #lowerInitargs(initializer: string, given: PoolOptions['initargs']): unknown[] {
    let args: unknown = given ?? [];
    if (typeof args === 'function') {
      const context: InitContext = { memory: this.memory, alloc: (type, length, options) => this.alloc(type, length, options) };
      try {
        args = (args as (context: InitContext) => unknown)(context);
      } catch (error) {
        throw new Error(`\`initargs\` threw while the pool was being created: ${(error as Error)?.message ?? String(error)}`, { cause: error });
      }
      if (!Array.isArray(args)) throw new TypeError(`Expected \`initargs()\` to return an array of arguments, got ${describe(args)}`);
    }
    try {
      return this.#arrays.lower(this.#signatures, initializer, args as unknown[], 'initargs').args.slice();
    } catch (error) {
      explainUnreadable(error, 'initargs', args);
    }
  }

  /**
   * Signatures to check arguments against: plain WASM only (bindings convert arguments themselves).
   * Read per call, not once: a browser compiles a module given by URL after the Pool exists.
   */
  get #signatures(): WasmModuleInfo | undefined {
    const { spec, info } = this.#module;
    return spec.kind === 'wasm' && !spec.bindingsUrl ? info : undefined;
  }

  /** Number of worker threads the pool keeps. */
  get workers(): number {
    return this.#scheduler.workerCount;
  }

  /** A snapshot of the pool's load and footprint: for monitoring, and for leak checks. */
  stats(): PoolStats {
    const s = this.#scheduler;
    return {
      workers: s.workerCount,
      queued: s.queuedUnits,
      running: s.runningUnits,
      slotsInUse: s.slots.inUse,
      slotBytes: s.slots.byteLength,
      ...s.timings(),
    };
  }

  /** Units (tasks or map chunks) queued and not yet running: p-queue's `size`. */
  get size(): number {
    return this.#scheduler.queuedUnits;
  }

  /** Units running in workers now: p-queue's `pending`. */
  get pending(): number {
    return this.#scheduler.runningUnits;
  }

  /** Resolves once fewer than `limit` units are queued: await it before submitting to bound the queue. */
  onSizeLessThan(limit: number): Promise<void> {
    return this.#scheduler.onSizeLessThan(limit);
  }

  /** Resolves once nothing is queued (units may still be running). */
  onEmpty(): Promise<void> {
    return this.#scheduler.onSizeLessThan(1);
  }

  /** Resolves once nothing is queued or running. */
  onIdle(): Promise<void> {
    return this.#scheduler.onIdle();
  }

  /** 'open', 'closing' (after close()) or 'terminated'. */
  get state(): 'open' | 'closing' | 'terminated' {
    return this.#scheduler.state;
  }

  /** Runs `kernel(...args)` in a worker. Returns at once. */
  applyAsync<T = unknown>(kernel: string, args: readonly unknown[] = [], options?: TaskOptions<T>): AsyncResult<T> {
    checkKernelName(kernel);
    if (!Array.isArray(args)) throw new TypeError(expected('args', 'an array of arguments', args));
    const opts = validateTaskOptions(options) as TaskOptions<unknown>;
    let call: Lowered;
    try {
      call = this.#arrays.lower(this.#signatures, kernel, args, 'args');
    } catch (error) {
      explainUnreadable(error, 'args', args);
    }
    this.#checkOpen(call);
    const scheduler = this.#scheduler;
    if (opts.signal?.aborted) {
      this.#arrays.release(call);
      return new AsyncResult<T>(scheduler.rejected(kernel, opts, cancelledBefore(opts.signal)) as never, scheduler);
    }
    let job;
    try {
      job = scheduler.apply(kernel, call.args, opts, this.#resourcesOf(call));
    } catch (error) {
      this.#arrays.release(call); // a payload no worker could receive: nothing was queued
      explain(error, 'args', args);
    }
    return new AsyncResult<T>(job as never, scheduler);
  }

  /** Runs `kernel(item)` for every item; one AsyncResult for the whole list, in input order. */
  mapAsync<T = unknown>(kernel: string, items: Iterable<unknown>, options?: MapOptions<T>): AsyncResult<T[]> {
    return this.#map<T>(kernel, items, options, false);
  }

  /** Runs `kernel(...args)` for every argument list in `items`. */
  starmapAsync<T = unknown>(kernel: string, items: Iterable<readonly unknown[]>, options?: MapOptions<T>): AsyncResult<T[]> {
    return this.#map<T>(kernel, items, options, true);
  }

  /** applyAsync(...).get(): the value, as a Promise. */
  apply<T = unknown>(kernel: string, args?: readonly unknown[], options?: TaskOptions<T>): Promise<T> {
    return settle(() => this.applyAsync<T>(kernel, args, options));
  }

  map<T = unknown>(kernel: string, items: Iterable<unknown>, options?: MapOptions<T>): Promise<T[]> {
    return settle(() => this.mapAsync<T>(kernel, items, options));
  }

  starmap<T = unknown>(kernel: string, items: Iterable<readonly unknown[]>, options?: MapOptions<T>): Promise<T[]> {
    return settle(() => this.starmapAsync<T>(kernel, items, options));
  }

  /**
   * Results in input order as they become available (chunksize defaults to 1, as in Python). The input is read
   * as the loop goes, at most `readAhead` chunks ahead, so an endless generator works; leaving the loop early
   * cancels every item not yet started.
   */
  imap<T = unknown>(kernel: string, items: Iterable<unknown>, options?: MapOptions<T>): AsyncIterable<T> {
    return this.#stream<T>(kernel, items, options, true, false);
  }

  /** imap, in completion order. */
  imapUnordered<T = unknown>(kernel: string, items: Iterable<unknown>, options?: MapOptions<T>): AsyncIterable<T> {
    return this.#stream<T>(kernel, items, options, false, false);
  }

  /** imap with argument lists: `kernel(...args)` for every `args` in `items`, in input order. */
  istarmap<T = unknown>(kernel: string, items: Iterable<readonly unknown[]>, options?: MapOptions<T>): AsyncIterable<T> {
    return this.#stream<T>(kernel, items, options, true, true);
  }

  /** istarmap, in completion order. */
  istarmapUnordered<T = unknown>(kernel: string, items: Iterable<readonly unknown[]>, options?: MapOptions<T>): AsyncIterable<T> {
    return this.#stream<T>(kernel, items, options, false, true);
  }

  /**
   * A typed array of `length` elements in the pool's shared memory, zero-filled unless `{ zero: false }`: kernels given it
   * (or a subarray of it) read and write it in place. Needs a module that imports a shared memory.
   */
  alloc<C extends SharedArrayConstructor>(type: C, length: number, options?: AllocOptions): InstanceType<C> {
    const valid = readOptions<AllocOptions>('options', options, 'alloc options', ['zero']);
    if (valid.zero !== undefined && typeof valid.zero !== 'boolean') throw new TypeError(expected('zero', 'a boolean', valid.zero));
    return this.#arrays.alloc(type, length, valid.zero ?? true);
  }

  /** Returns an array from alloc() to the pool; it must not be used afterwards. */
  free(view: SharedTypedArray): void {
    this.#arrays.free(view);
  }

  /** Splits [0, length) into parts, runs `kernel` on every part across the workers, and combines the results. */
  parallel<P = unknown, R = P[]>(kernel: string, options: ParallelOptions<P, R>): Promise<R> {
    return runParallel<P, R>(this, kernel, options);
  }

  /** No new tasks; queued and running ones finish, then the workers exit. */
  close(): void {
    this.#scheduler.close();
  }

  /** Stops every worker now; unfinished results fail with CancelledError. */
  terminate(): Promise<void> {
    return this.#scheduler.terminate();
  }

  /** Resolves once every worker has exited; PoolStateError before close()/terminate(). */
  join(): Promise<void> {
    return this.#scheduler.join();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.terminate();
  }

  #stream<T>(kernel: string, items: Iterable<unknown>, options: MapOptions<T> | undefined, ordered: boolean, star: boolean): AsyncIterable<T> {
    checkKernelName(kernel);
    const opts = validateMapOptions(options, true) as MapOptions<unknown>;
    const reader = new ItemReader(items, star);
    this.#checkOpen();
    const scheduler = this.#scheduler;
    const chunksize = opts.chunksize ?? 1;
    const stream = new ItemStream<T>(
      {
        submit: (batch, firstItem, listener) => {
          // A started imap goes on after close() (its loop still reads input), not after terminate().
          if (scheduler.state === 'terminated') throw new CancelledError('The pool was terminated before these items were read');
          return this.#submitMap(kernel, batch, opts, star, { firstItem, listener, chunksize });
        },
        cancelJob: (job, error, stopRunning) => scheduler.cancelJob(job, error, stopRunning),
        holdOpen: () => scheduler.holdOpen(),
        room: () => this.#maxQueued - scheduler.queuedUnits,
        onRoom: () => scheduler.onSizeLessThan(this.#maxQueued),
      },
      reader,
      {
        ordered,
        chunksize,
        readAhead: opts.readAhead ?? defaultReadAhead(chunksize, scheduler.workerCount || 1),
        signal: opts.signal,
        callback: opts.callback as ((values: unknown[]) => void) | undefined,
        errorCallback: opts.errorCallback,
        onProgress: opts.onProgress,
      },
    );
    return stream;
  }

  #map<T>(kernel: string, items: Iterable<unknown>, options: MapOptions<T> | undefined, star: boolean): AsyncResult<T[]> {
    checkKernelName(kernel);
    const opts = validateMapOptions(options) as MapOptions<unknown>;
    let list: unknown[];
    try {
      list = collectItems(items, star);
    } catch (error) {
      explainUnreadable(error, 'items', items, star);
    }
    if (opts.signal?.aborted) {
      this.#checkOpen();
      return new AsyncResult<T[]>(
        this.#scheduler.rejected(kernel, { errorCallback: opts.errorCallback }, cancelledBefore(opts.signal)) as never,
        this.#scheduler,
      );
    }
    const job = this.#submitMap(kernel, list, opts, star, {
      callback: opts.callback as ((values: unknown[]) => void) | undefined,
      errorCallback: opts.errorCallback,
      onProgress: opts.onProgress,
    });
    return new AsyncResult<T[]>(job as never, this.#scheduler);
  }

  /** Lowers `items` and queues them as one map; `extra` adds what the job reports to (callbacks, an imap's stream). */
  #submitMap(kernel: string, items: readonly unknown[], opts: MapOptions<unknown>, star: boolean, extra: MapJobOptions & { chunksize?: number }): MapJob {
    try {
      return this.#queueMap(kernel, items, opts, star, extra);
    } catch (error) {
      explain(error, 'items', items, star, extra.firstItem);
    }
  }

  #queueMap(kernel: string, items: readonly unknown[], opts: MapOptions<unknown>, star: boolean, extra: MapJobOptions & { chunksize?: number }): MapJob {
    const call = this.#arrays.lowerItems(this.#signatures, kernel, items, star, extra.firstItem);
    const list = call.args;
    if (extra.listener === undefined) this.#checkOpen(call);
    const scheduler = this.#scheduler;
    const chunksize = extra.chunksize ?? opts.chunksize ?? defaultChunksize(list.length, scheduler.workerCount || 1);
    const chunks = list.length === 0 ? [] : splitIntoChunks(list, chunksize);
    return this.#submit(call, () =>
      scheduler.map({
        ...extra,
        kernel,
        chunks,
        total: list.length,
        chunksize,
        star: call.star,
        priority: opts.priority,
        timeout: opts.timeout,
        signal: extra.listener === undefined ? opts.signal : undefined, // an imap watches its signal itself
        resources: this.#resourcesOf(call, extra.listener !== undefined),
      }),
    );
  }

  /** Runs a scheduler call; if it throws (a payload no worker could receive), the call's temporaries are freed. */
  #submit<J>(call: Lowered, submit: () => J): J {
    try {
      return submit();
    } catch (error) {
      this.#arrays.release(call);
      throw error;
    }
  }

  /**
   * Temporary copies of plain typed arrays: copied back as the task succeeds, freed once no worker holds it.
   * `perChunk` (a lazy map, which hands out each chunk as it finishes): each chunk's copies as that chunk succeeds.
   */
  #resourcesOf(call: Lowered, perChunk = false): JobResources | undefined {
    if (call.temps.length === 0) return undefined;
    const arrays = this.#arrays;
    return {
      settling: (ok) => {
        if (ok && !perChunk) arrays.copyBack(call);
      },
      chunkSucceeded: perChunk ? (offset, size) => arrays.copyBack(call, offset, offset + size) : undefined,
      release: () => arrays.release(call),
    };
  }

  /** Throws PoolStateError unless open, first freeing the temporary copies `call` made. */
  #checkOpen(call?: Lowered): void {
    if (this.#scheduler.state !== 'open') {
      if (call) this.#arrays.release(call);
      throw new PoolStateError(
        `The pool is ${this.#scheduler.state === 'closing' ? 'closed' : 'terminated'}; no new tasks can be submitted. Create a new Pool.`,
      );
    }
  }
}

/**
 * MapOptions.readAhead when not given: 4 chunks per worker, and at least 256 items. Few chunks are enough for
 * large ones; small ones need a deeper pipeline, or the workers wait on this thread's round trips (at chunksize
 * 1 on 2 workers, a read-ahead of 8 ran 20,000 tiny items ~7x slower than of 256, which came within 1.6x of an
 * eager map).
 */
function defaultReadAhead(chunksize: number, workers: number): number {
  return Math.max(4 * workers, Math.ceil(256 / chunksize));
}

/** The error of a task or map whose AbortSignal fired before it was submitted: its `cause` is the signal's reason. */
function cancelledBefore(signal: AbortSignal): CancelledError {
  const reason = signal.reason as unknown;
  return new CancelledError(
    'The task was cancelled: its AbortSignal had already fired when it was submitted',
    reason === undefined ? undefined : { cause: reason },
  );
}

/**
 * explainUnreadable (an element whose read threw is named), except for the pool's own refusals (closed, full,
 * terminated), which no read caused: a 50-million-item map refused for a full queue is not read again.
 */
function explain(error: unknown, name: string, list: unknown, star?: boolean, first?: number): never {
  if (error instanceof PoolStateError || error instanceof QueueFullError || error instanceof CancelledError) throw error;
  explainUnreadable(error, name, list, star, first);
}

/** The Promise forms report bad input by rejecting, not throwing. */
function settle<T>(submit: () => AsyncResult<T>): Promise<T> {
  try {
    return submit().get();
  } catch (error) {
    return Promise.reject(error);
  }
}
