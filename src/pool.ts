import { AsyncResult } from './async-result.js';
import { CancelledError, PoolStateError } from './errors.js';
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
import { ApplyJob, type ChunkListener, type JobResources } from './scheduling/jobs.js';
import { collectItems } from './scheduling/map-items.js';
import { Scheduler } from './scheduling/scheduler.js';
import { checkKernelName, checkKnownKeys, checkOptionsObject, expected } from './validate.js';
import { checkWasmArgs } from './wasm/check-args.js';
import { SharedArrays, type Lowered } from './shared/shared-arrays.js';
import type { SharedArrayConstructor, SharedTypedArray } from './shared/typed-arrays.js';
import { runParallel, type ParallelOptions } from './parallel/split.js';
import type { WasmModuleInfo } from './wasm/inspect.js';
import { Ops } from './ops/ops.js';
import { createHostImports } from './wasm/host-imports.js';
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
  /** Numeric operations over every worker (matmul, reductions, cumsum, elementwise maps): see README "Numeric operations". */
  readonly ops: Ops;

  constructor(options?: PoolOptions) {
    const valid = validatePoolOptions(options);
    const { transport, prepareModule, serialize } = platform();
    const workers = valid.workers ?? transport.defaultWorkers();
    resolveElasticOptions(valid, workers); // a bad minWorkers throws before any module is loaded
    this.#module = prepareModule(valid.module);
    this.memory = createSharedMemory(this.#module.info, this.#module.label);
    this.#arrays = new SharedArrays(this.memory, () => this.#module.info, this.#module.label);
    if (valid.initializer !== undefined && this.#module.info && !this.#module.info.kernels.has(valid.initializer)) {
      throw new TypeError(
        `Expected \`initializer\` to name an export of the task module, got ${JSON.stringify(valid.initializer)}; it exports: ${[...this.#module.info.kernels.keys()].join(', ')}`,
      );
    }
    if (valid.initializer !== undefined) checkWasmArgs(this.#signatures, valid.initializer, valid.initargs ?? [], 'initargs');
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
      initargs: valid.initargs ? [...valid.initargs] : undefined,
      spawnOptions: valid.resourceLimits ? { resourceLimits: { ...valid.resourceLimits } } : undefined,
    });
    this.ops = new Ops({
      workers: () => this.workers,
      state: () => this.state,
      kernels: () => this.#signatures?.kernels,
      label: () => this.#module.label,
      lower: (view, where) => this.#arrays.lower(this.#signatures, 'opsView', [view], where),
      copyBack: (lowered) => this.#arrays.copyBack(lowered),
      release: (lowered) => this.#arrays.release(lowered),
      alloc: (type, length) => this.#arrays.alloc(type, length, false),
      free: (view) => this.#arrays.free(view),
      starmapAsync: (kernel, items) => this.starmapAsync(kernel, items, { chunksize: 1 }),
      local: () => this.#localKernels(),
      onIdle: () => this.onIdle(),
    });
  }

  /**
   * Signatures to check arguments against: plain WASM only (bindings convert arguments themselves).
   * Read per call, not once: a browser compiles a module given by URL after the Pool exists.
   */
  get #signatures(): WasmModuleInfo | undefined {
    const { spec, info } = this.#module;
    return spec.kind === 'wasm' && !spec.bindingsUrl ? info : undefined;
  }

  /** The built-in kernels instantiated on this thread over the shared memory (pool.ops runs small calls here), once. */
  #local: Record<string, (...args: number[]) => unknown> | null | undefined;
  #localKernels(): Record<string, (...args: number[]) => unknown> | undefined {
    if (this.#local === undefined) {
      const { spec } = this.#module;
      try {
        const memory = this.memory!;
        const imports = createHostImports(() => memory, { writeLine: (line) => console.log(line) });
        this.#local = spec.kind === 'wasm' ? (new WebAssembly.Instance(spec.module, { ...imports, env: { ...imports.env, memory } }).exports as never) : null;
      } catch {
        this.#local = null; // e.g. a browser's main thread refusing a synchronous instantiation: every call goes to the workers
      }
    }
    return this.#local ?? undefined;
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
    return this.#scheduler.watchers.onSizeLessThan(limit);
  }

  /** Resolves once nothing is queued (units may still be running). */
  onEmpty(): Promise<void> {
    return this.#scheduler.watchers.onEmpty();
  }

  /** Resolves once nothing is queued or running. */
  onIdle(): Promise<void> {
    return this.#scheduler.watchers.onIdle();
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
    const call = this.#arrays.lower(this.#signatures, kernel, args, 'args');
    this.#checkOpen(call);
    const scheduler = this.#scheduler;
    if (opts.signal?.aborted) {
      this.#arrays.release(call);
      const job = new ApplyJob(-1, kernel, undefined, opts.callback, opts.errorCallback);
      job.abort(new CancelledError('The task was cancelled: its AbortSignal had already fired when it was submitted'));
      return new AsyncResult<T>(job as never, scheduler);
    }
    let job;
    try {
      job = scheduler.apply(kernel, call.args, opts, this.#resourcesOf(call));
    } catch (error) {
      this.#arrays.release(call); // a payload no worker could receive: nothing was queued
      throw error;
    }
    return new AsyncResult<T>(job as never, scheduler);
  }

  /** Runs `kernel(item)` for every item; one AsyncResult for the whole list, in input order. */
  mapAsync<T = unknown>(kernel: string, items: Iterable<unknown>, options?: MapOptions<T>): AsyncResult<T[]> {
    return this.#map<T>(kernel, items, options, false, undefined);
  }

  /** Runs `kernel(...args)` for every argument list in `items`. */
  starmapAsync<T = unknown>(kernel: string, items: Iterable<readonly unknown[]>, options?: MapOptions<T>): AsyncResult<T[]> {
    return this.#map<T>(kernel, items, options, true, undefined);
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

  /** Results in input order as they become available (chunksize defaults to 1, as in Python). */
  imap<T = unknown>(kernel: string, items: Iterable<unknown>, options?: MapOptions<T>): AsyncIterable<T> {
    return this.#stream<T>(kernel, items, options, true);
  }

  /** Results in completion order. */
  imapUnordered<T = unknown>(kernel: string, items: Iterable<unknown>, options?: MapOptions<T>): AsyncIterable<T> {
    return this.#stream<T>(kernel, items, options, false);
  }

  /**
   * A typed array of `length` elements in the pool's shared memory, zero-filled unless `{ zero: false }`: kernels given it
   * (or a subarray of it) read and write it in place. Needs a module that imports a shared memory.
   */
  alloc<C extends SharedArrayConstructor>(type: C, length: number, options?: AllocOptions): InstanceType<C> {
    const valid = checkOptionsObject('options', options) as AllocOptions;
    checkKnownKeys('alloc options', valid, ['zero']);
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

  #stream<T>(kernel: string, items: Iterable<unknown>, options: MapOptions<T> | undefined, ordered: boolean): AsyncIterable<T> {
    const opts = { chunksize: 1, ...validateMapOptions(options) } as MapOptions<T>;
    let stream: ItemStream<T> | undefined;
    this.#map<T>(kernel, items, opts, false, (chunks) => (stream = new ItemStream<T>(ordered, chunks)));
    return stream!;
  }

  #map<T>(
    kernel: string,
    items: Iterable<unknown>,
    options: MapOptions<T> | undefined,
    star: boolean,
    makeListener: ((chunks: number) => ChunkListener) | undefined,
  ): AsyncResult<T[]> {
    checkKernelName(kernel);
    const opts = validateMapOptions(options) as MapOptions<unknown>;
    const call = this.#arrays.lowerItems(this.#signatures, kernel, collectItems(items, star), star);
    const list = call.args;
    this.#checkOpen(call);
    const scheduler = this.#scheduler;
    const chunksize = opts.chunksize ?? defaultChunksize(list.length, scheduler.workerCount || 1);
    const chunks = list.length === 0 ? [] : splitIntoChunks(list, chunksize);
    const listener = makeListener?.(chunks.length);
    const job = this.#submit(call, () =>
      scheduler.map({
        kernel,
        chunks,
        total: list.length,
        chunksize,
        star: call.star,
        priority: opts.priority,
        callback: opts.callback as ((values: unknown[]) => void) | undefined,
        errorCallback: opts.errorCallback,
        onProgress: opts.onProgress,
        listener,
        resources: this.#resourcesOf(call),
      }),
    );
    return new AsyncResult<T[]>(job as never, scheduler);
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

  /** Temporary copies of plain typed arrays: copied back as the task succeeds, freed once no worker holds it. */
  #resourcesOf(call: Lowered): JobResources | undefined {
    if (call.temps.length === 0) return undefined;
    return {
      settling: (ok) => {
        if (ok) this.#arrays.copyBack(call);
      },
      release: () => this.#arrays.release(call),
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

/** The Promise forms report bad input by rejecting, not throwing. */
function settle<T>(submit: () => AsyncResult<T>): Promise<T> {
  try {
    return submit().get();
  } catch (error) {
    return Promise.reject(error);
  }
}
