import { AsyncResult } from './async-result.js';
import { CancelledError, PoolStateError, QueueFullError } from './errors.js';
import { resolveElasticOptions, validatePoolOptions, type MapOptions, type PoolOptions, type TaskOptions } from './options.js';
import { settle, validateMapOptions, validateTaskOptions, type Submitter } from './submission.js';
import type { MetricsStats } from './scheduling/metrics.js';
import { platform } from './platform.js';
import type { SpawnOptions } from './transport/types.js';
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
import { Ops } from './ops/ops.js';
import { createHostImports } from './wasm/host-imports.js';
import { instantiateSpec } from './wasm/instantiate.js';
import { createSharedMemory, type PreparedModule } from './wasm/prepare-module.js';
import { loadingWasm, stillLoading } from './modules/registry.js';
import { createKernelHeaps, KERNEL_HEAP, releaseKernelHeap } from './wasm/kernel-heaps.js';
import type { KernelArgs, KernelItem, KernelMap, KernelName, KernelResult, UntypedKernelName, UntypedKernels } from './typed-pool.js';

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
export class Pool<K extends KernelMap = UntypedKernels> implements Submitter {
  readonly #scheduler: Scheduler;
  readonly #module: PreparedModule;
  /** The memory the Pool created for a module it had compiled by construction (else the module's own, below). */
  readonly #memory: WebAssembly.Memory | undefined;
  /** Zero-copy arrays in `memory`, and the lowering of typed-array arguments to (byteOffset, length). */
  readonly #arrays: SharedArrays;
  /** Whether the module was still loading at construction (a browser's URL module), so the hot path looks no further otherwise. */
  readonly #deferred: boolean;
  /** PoolOptions.maxQueued (Infinity: no limit), for an imap to read no more than the queue takes. */
  readonly #maxQueued: number;
  /** Numeric operations over every worker (matmul, reductions, cumsum, elementwise maps): see README "Numeric operations". */
  readonly ops: Ops;

  constructor(options?: PoolOptions) {
    const valid = validatePoolOptions(options);
    const { transport, prepareModule, serialize } = platform();
    const workers = valid.workers ?? transport.defaultWorkers();
    this.#maxQueued = resolveElasticOptions(valid, workers).maxQueued; // a bad minWorkers throws before any module is loaded
    if ((valid.workerUrl !== undefined || valid.createWorker !== undefined) && !transport.customWorkers) {
      throw new TypeError(
        `\`${valid.workerUrl !== undefined ? 'workerUrl' : 'createWorker'}\` is for browsers; this runtime starts wasmpool's own worker threads`,
      );
    }
    this.#module = prepareModule(valid.module, { kind: valid.moduleType, debug: valid.debug, relaxedSimd: valid.relaxedSimd });
    this.#memory = createSharedMemory(this.#module.info, this.#module.label);
    this.#deferred = loadingWasm(this.#module);
    this.#arrays = new SharedArrays(
      () => this.memory,
      () => this.#module.info,
      this.#module.label,
    );
    if (valid.initializer !== undefined && this.#module.info && !this.#module.info.kernels.has(valid.initializer)) {
      throw new TypeError(
        `Expected \`initializer\` to name an export of the task module, got ${JSON.stringify(valid.initializer)}; it exports: ${[...this.#module.info.kernels.keys()].join(', ')}`,
      );
    }
    const memory = this.memory;
    let spec = this.#module.spec.kind === 'wasm' && memory ? { ...this.#module.spec, memory } : this.#module.spec;
    let onWorkerExit: ((serial: number) => void) | undefined;
    // Without shared memory (a page that is not cross-origin isolated) there is nothing to reserve in: the worker says so at load.
    if (spec.kind === 'wasm' && memory && SHARED_MEMORY_AVAILABLE && this.#module.info?.allocates) {
      // Each worker's AssemblyScript heap, reserved before any pool array (initargs' copies included): see src/wasm/kernel-heaps.ts.
      const arrays = this.#arrays;
      const kernelHeaps = createKernelHeaps((bytes) => arrays.reserve(bytes), workers, valid.kernelHeapSize ?? KERNEL_HEAP.default);
      spec = { ...spec, kernelHeaps };
      onWorkerExit = (serial) => releaseKernelHeap(memory, kernelHeaps, serial);
    }
    const initargs = valid.initializer === undefined ? undefined : this.#lowerInitargs(valid.initializer, valid.initargs);
    this.#scheduler = new Scheduler({
      onWorkerExit,
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
      spawnOptions: spawnOptionsOf(valid),
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
      starmapAsync: (kernel, items) => (this as unknown as Pool).starmapAsync(kernel, items, { chunksize: 1 }),
      local: () => this.#localKernels(),
      build: () => (this.#module.spec.kind === 'wasm' && this.#module.spec.overrides ? 'relaxed' : 'baseline'),
      onIdle: () => this.onIdle(),
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

  /**
   * `new Pool(options)`, resolved once the pool is ready to run: a `.ts` module compiled in a worker thread
   * while this awaits (never blocking this thread; the constructor then finds it compiled, cache or no cache),
   * a browser's module given by URL fetched and compiled (so its signatures, `memory` and `alloc` work from the
   * first call), and the first workers started with the module loaded. A module that cannot be compiled or
   * loaded rejects it with the error `new Pool` would throw, and the pool it started is terminated.
   * @example const pool = await Pool.create<Kernels>({ module: './kernel.ts' });
   */
  static async create<K extends KernelMap = UntypedKernels>(options?: PoolOptions): Promise<Pool<K>> {
    const valid = validatePoolOptions(options);
    const precompile = platform().precompile;
    if (precompile && valid.module !== undefined) await precompile(valid.module, { debug: valid.debug });
    const pool = new Pool<K>(options);
    try {
      await stillLoading(pool.#module);
      await pool.#scheduler.workersReady();
    } catch (error) {
      await pool.terminate(); // a module that cannot load: the pool's workers would only wait for it
      throw error;
    }
    return pool;
  }

  /**
   * The shared WebAssembly.Memory of a module built with `--sharedMemory`, else undefined (in a browser, also
   * until a module given by URL has compiled: see `Pool.create`).
   */
  get memory(): WebAssembly.Memory | undefined {
    const { spec } = this.#module;
    return this.#memory ?? (spec.kind === 'wasm' ? spec.memory : undefined);
  }

  /** Typed arrays need the module's signatures and memory, which a module still being fetched does not have yet. */
  #checkLoaded(kernel: string, args: readonly unknown[], where: string): void {
    if (!this.#deferred || !loadingWasm(this.#module)) return;
    const index = args.findIndex((arg) => ArrayBuffer.isView(arg));
    if (index === -1) return;
    throw new TypeError(
      `Expected \`${where}[${index}]\` of kernel \`${kernel}\` to be a number while the task module ${this.#module.label} is still being fetched and compiled, got a typed array: typed arrays need its memory and signatures; create the pool with \`await Pool.create(...)\`, which resolves once the module is ready`,
    );
  }

  /** The built-in kernels instantiated on this thread over the shared memory (pool.ops runs small calls here), once. */
  #local: Record<string, (...args: number[]) => unknown> | null | undefined;
  #localKernels(): Record<string, (...args: number[]) => unknown> | undefined {
    if (this.#local === undefined) {
      const { spec } = this.#module;
      try {
        const memory = this.memory!;
        const imports = createHostImports(() => memory, { writeLine: (line) => console.log(line) });
        this.#local = spec.kind === 'wasm' ? (instantiateSpec(spec, { ...imports, env: { ...imports.env, memory } }).exports as never) : null;
      } catch {
        this.#local = null; // e.g. a browser's main thread refusing a synchronous instantiation: every call goes to the workers
      }
    }
    return this.#local ?? undefined;
  }

  /**
   * The task module's kernel names, once known: at once for a WASM module (its exports), for a JavaScript module
   * once a worker has loaded it; undefined before. A name outside this list fails its task without being kept.
   */
  get kernels(): readonly string[] | undefined {
    return this.#scheduler.kernelNames;
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

  /**
   * Runs `kernel(...args)` in a worker. Returns at once. Every submit method has two signatures: with a
   * kernel map (`Pool<Kernels>`, from `wasmpool build --types`) the name, the arguments and the result
   * are checked at compile time; without one, any name and arguments, the result type given as `<T>`.
   */
  applyAsync<N extends KernelName<K>>(kernel: N, args: KernelArgs<K, N>, options?: TaskOptions<KernelResult<K, N>>): AsyncResult<KernelResult<K, N>>;
  applyAsync<T = unknown>(kernel: UntypedKernelName<K>, args?: readonly unknown[], options?: TaskOptions<T>): AsyncResult<T>;
  applyAsync<T = unknown>(kernel: string, args: readonly unknown[] = [], options?: TaskOptions<T>): AsyncResult<T> {
    checkKernelName(kernel);
    if (!Array.isArray(args)) throw new TypeError(expected('args', 'an array of arguments', args));
    const opts = validateTaskOptions(options) as TaskOptions<unknown>;
    this.#checkLoaded(kernel, args, 'args');
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
  mapAsync<N extends KernelName<K>>(kernel: N, items: Iterable<KernelItem<K, N>>, options?: MapOptions<KernelResult<K, N>>): AsyncResult<KernelResult<K, N>[]>;
  mapAsync<T = unknown>(kernel: UntypedKernelName<K>, items: Iterable<unknown>, options?: MapOptions<T>): AsyncResult<T[]>;
  mapAsync<T = unknown>(kernel: string, items: Iterable<unknown>, options?: MapOptions<T>): AsyncResult<T[]> {
    return this.#map<T>(kernel, items, options, false);
  }

  /** Runs `kernel(...args)` for every argument list in `items`. */
  starmapAsync<N extends KernelName<K>>(
    kernel: N,
    items: Iterable<KernelArgs<K, N>>,
    options?: MapOptions<KernelResult<K, N>>,
  ): AsyncResult<KernelResult<K, N>[]>;
  starmapAsync<T = unknown>(kernel: UntypedKernelName<K>, items: Iterable<readonly unknown[]>, options?: MapOptions<T>): AsyncResult<T[]>;
  starmapAsync<T = unknown>(kernel: string, items: Iterable<readonly unknown[]>, options?: MapOptions<T>): AsyncResult<T[]> {
    return this.#map<T>(kernel, items, options, true);
  }

  /** applyAsync(...).get(): the value, as a Promise. */
  apply<N extends KernelName<K>>(kernel: N, args: KernelArgs<K, N>, options?: TaskOptions<KernelResult<K, N>>): Promise<KernelResult<K, N>>;
  apply<T = unknown>(kernel: UntypedKernelName<K>, args?: readonly unknown[], options?: TaskOptions<T>): Promise<T>;
  apply<T = unknown>(kernel: string, args?: readonly unknown[], options?: TaskOptions<T>): Promise<T> {
    return settle(() => (this as Pool).applyAsync<T>(kernel, args, options));
  }

  map<N extends KernelName<K>>(kernel: N, items: Iterable<KernelItem<K, N>>, options?: MapOptions<KernelResult<K, N>>): Promise<KernelResult<K, N>[]>;
  map<T = unknown>(kernel: UntypedKernelName<K>, items: Iterable<unknown>, options?: MapOptions<T>): Promise<T[]>;
  map<T = unknown>(kernel: string, items: Iterable<unknown>, options?: MapOptions<T>): Promise<T[]> {
    return settle(() => (this as Pool).mapAsync<T>(kernel, items, options));
  }

  starmap<N extends KernelName<K>>(kernel: N, items: Iterable<KernelArgs<K, N>>, options?: MapOptions<KernelResult<K, N>>): Promise<KernelResult<K, N>[]>;
  starmap<T = unknown>(kernel: UntypedKernelName<K>, items: Iterable<readonly unknown[]>, options?: MapOptions<T>): Promise<T[]>;
  starmap<T = unknown>(kernel: string, items: Iterable<readonly unknown[]>, options?: MapOptions<T>): Promise<T[]> {
    return settle(() => (this as Pool).starmapAsync<T>(kernel, items, options));
  }

  /**
   * Results in input order as they become available (chunksize defaults to 1, as in Python). The input is read
   * as the loop goes, at most `readAhead` chunks ahead, so an endless generator works; leaving the loop early
   * cancels every item not yet started.
   */
  imap<N extends KernelName<K>>(kernel: N, items: Iterable<KernelItem<K, N>>, options?: MapOptions<KernelResult<K, N>>): AsyncIterable<KernelResult<K, N>>;
  imap<T = unknown>(kernel: UntypedKernelName<K>, items: Iterable<unknown>, options?: MapOptions<T>): AsyncIterable<T>;
  imap<T = unknown>(kernel: string, items: Iterable<unknown>, options?: MapOptions<T>): AsyncIterable<T> {
    return this.#stream<T>(kernel, items, options, true, false);
  }

  /** imap, in completion order. */
  imapUnordered<N extends KernelName<K>>(
    kernel: N,
    items: Iterable<KernelItem<K, N>>,
    options?: MapOptions<KernelResult<K, N>>,
  ): AsyncIterable<KernelResult<K, N>>;
  imapUnordered<T = unknown>(kernel: UntypedKernelName<K>, items: Iterable<unknown>, options?: MapOptions<T>): AsyncIterable<T>;
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
    const opts = validateMapOptions(options, 'lazy') as MapOptions<unknown>;
    const reader = new ItemReader(items, star);
    this.#checkOpen();
    const scheduler = this.#scheduler;
    const chunksize = opts.chunksize ?? 1;
    const stream = new ItemStream<T, MapJob>(
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
    if (this.#deferred && loadingWasm(this.#module)) {
      const first = extra.firstItem ?? 0;
      items.forEach((item, i) => this.#checkLoaded(kernel, star ? (item as unknown[]) : [item], `items[${first + i}]`));
    }
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

function spawnOptionsOf({ resourceLimits, workerUrl, createWorker }: PoolOptions): SpawnOptions | undefined {
  if (!resourceLimits && workerUrl === undefined && !createWorker) return undefined;
  return { resourceLimits: resourceLimits && { ...resourceLimits }, workerUrl, createWorker };
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
