import type { InitContext } from './pool.js';
import { WORKER_KERNELS } from './transport/browser-signals.js';
import type { WebWorkerLike } from './transport/types.js';
import { checkFunction, checkPositiveInteger, checkTimerMilliseconds, expected, readOptions } from './validate.js';
import { KERNEL_HEAP } from './wasm/kernel-heaps.js';

/** What `PoolOptions.module` accepts. */
export type ModuleSource = string | URL | Uint8Array | ArrayBuffer | WebAssembly.Module;

export interface PoolOptions {
  /**
   * Number of worker threads.
   * @default the machine's available parallelism (`os.availableParallelism()`, `navigator.hardwareConcurrency`)
   */
  workers?: number;
  /**
   * The task module every worker instantiates: a path, `URL`, bytes or `WebAssembly.Module` of a WASM module
   * (AssemblyScript raw bindings beside a `.wasm` are picked up), or a path/URL of a JavaScript module whose
   * exported functions are kernels. Compiled once on the calling thread and shared with every worker. In a
   * browser also `data:`/`blob:` URLs, and `'wasmpool:worker-kernels'`: the kernels the app's own worker script
   * registers with `registerKernels` from `wasmpool/worker` (with `createWorker`/`workerUrl`; README "Bundlers").
   * @default wasmpool's built-in kernel module
   */
  module?: ModuleSource;
  /**
   * What `module` is, when its URL does not say (no `.wasm`/`.js`/`.mjs`/`.ts` ending, no telling MIME type):
   * `'wasm'` or `'js'`. Without it such a URL is fetched and told apart by the `\0asm` magic and its MIME type.
   */
  moduleType?: 'wasm' | 'js';
  /**
   * Browsers: the URL of wasmpool's worker script (`wasmpool/worker`, bundled or copied by the app), for set-ups
   * whose bundler does not process `new Worker(new URL(…, import.meta.url))` (see README "Bundlers").
   * @example new Pool({ workerUrl: new URL('./wasmpool-worker.js', import.meta.url) })
   */
  workerUrl?: string | URL;
  /**
   * Browsers: makes each worker, for full control (a CSP, a bundler's own worker import). It must return a
   * module `Worker` running wasmpool's worker script (`wasmpool/worker`).
   * @example new Pool({ module: 'wasmpool:worker-kernels', createWorker: () => new Worker(new URL('./tasks-worker.ts', import.meta.url), { type: 'module' }) })
   */
  createWorker?: () => WebWorkerLike;
  /** Name of an export run once in every worker before its first task. */
  initializer?: string;
  /**
   * Arguments for `initializer`, or a function returning them. Typed arrays are lowered as for `apply` (a plain
   * WASM initializer gets (byteOffset, length)): a plain typed array is copied into the pool's shared memory once,
   * and that copy stays for the pool's life (every worker, replacements too, runs the initializer on it); a
   * `pool.alloc` view is passed as it is. A function is called once, while the pool is created, with
   * `{ memory, alloc }`: it can allocate shared tables that the main thread fills or updates later.
   * @default []
   * @example
   * let table;
   * const pool = new Pool({ module, initializer: 'setTable', initargs: ({ alloc }) => [(table = alloc(Float64Array, 256))] });
   */
  initargs?: readonly unknown[] | ((context: InitContext) => readonly unknown[]);
  /**
   * Replace a worker after it has run this many units (an apply task or a map chunk), like Python's
   * `maxtasksperchild`. @default unlimited
   */
  maxTasksPerWorker?: number;
  /**
   * Node only (ignored in browsers): heap limits for each worker thread, as `worker_threads`' `resourceLimits`.
   * A JS kernel that exceeds them kills only its worker: the task fails with `WorkerCrashError` and the worker
   * is replaced. Without limits, a runaway JS heap is bounded only by the process's own limit.
   */
  resourceLimits?: WorkerResourceLimits;
  /**
   * Elastic pools: the fewest workers kept alive. The pool starts this many and grows up to `workers` while
   * units are queued; a worker above `minWorkers` exits after `idleTimeout` ms without work. An integer from 0
   * to `workers`; with 0 an idle pool holds no threads at all.
   * @default `workers` (a fixed-size pool)
   * @example new Pool({ workers: 8, minWorkers: 1, idleTimeout: 30_000 })
   */
  minWorkers?: number;
  /**
   * Ms a worker above `minWorkers` may stay idle before it exits: 0 (exit as soon as idle) to 2147483647.
   * Has no effect while `minWorkers` equals `workers`.
   * @default 10_000
   */
  idleTimeout?: number;
  /**
   * Backpressure: the most units (an apply task is one, a map is one per chunk) that may wait in the queue.
   * A submission that would go past it throws `QueueFullError` at the call and queues nothing; await
   * `pool.onSizeLessThan(n)` before submitting to stay under it. A positive integer, or `Infinity`.
   * @default Infinity (no limit)
   * @example
   * const pool = new Pool({ maxQueued: 100 });
   * await pool.onSizeLessThan(100);
   * pool.applyAsync('work', [job]);
   */
  maxQueued?: number;
  /**
   * MB a worker may hold (its JS heap plus the WASM memories it owns, not the pool's shared memory), checked
   * after each task: a worker over it is replaced once that task has settled, and no task fails. A positive
   * number. Unlike `resourceLimits`, it never kills a task midway. Node, Bun and Deno (a browser has no per-worker figure).
   * @default unlimited
   * @example new Pool({ module: './leaky-kernels.js', maxWorkerMemory: 512 })
   */
  maxWorkerMemory?: number;
  /**
   * Bytes of heap each worker's AssemblyScript runtime gets for a kernel's own allocations (`new
   * Float64Array(n)`, strings, `StaticArray`), for modules built by wasmpool (`module: 'k.ts'`,
   * `wasmpool build`). Each worker's heap is its own region of the shared memory, apart from pool
   * arrays and other workers' heaps; what a call allocates is given back when it returns. Rounded up
   * to 64 KiB; from 65536 (64 KiB) to 2³⁰ (1 GiB).
   * @default 1048576 (1 MiB)
   * @example new Pool({ module: './blur.ts', kernelHeapSize: 16 << 20 })
   */
  kernelHeapSize?: number;
  /**
   * Build a `.ts` module for debugging: no optimization, function names and a source map kept, so a
   * trap says `unreachable in boom at assembly/kernel.ts:3:14` (aborts name file:line:column always).
   * Ignored for modules given as `.wasm` (build them with `wasmpool build --debug`).
   * @default false
   */
  debug?: boolean;
  /**
   * Which build of the built-in kernels' GEMM and convolution (`pool.ops.matmul`, `pool.ops.conv2d`) to load.
   * Left out, the relaxed-SIMD build (its multiply-adds fused where the CPU has FMA: faster, and within the same
   * error bounds, but not bit-identical to the JS twins or across CPUs) where the runtime validates relaxed SIMD,
   * else the baseline SIMD128 build. `false`: always the baseline (results bit-identical to the plain loops on
   * every machine). `true`: the relaxed build, or a TypeError at construction where the runtime lacks it (Node 20
   * needs `--experimental-wasm-relaxed-simd`). Only for the built-in kernels (a pool without `module`);
   * `pool.ops.simd` says which build a pool loaded.
   * @default undefined (relaxed where validated, else baseline)
   * @example new Pool({ relaxedSimd: false }) // reproducible to the bit on any CPU
   */
  relaxedSimd?: boolean;
}

/** Per-worker heap limits in MB (Node's `ResourceLimits`). */
export interface WorkerResourceLimits {
  maxOldGenerationSizeMb?: number;
  maxYoungGenerationSizeMb?: number;
  codeRangeSizeMb?: number;
  stackSizeMb?: number;
}

export interface TaskOptions<T = unknown> {
  /** Called with the value when the task succeeds. */
  callback?: (value: T) => void;
  /** Called with the error when the task fails. */
  errorCallback?: (error: Error) => void;
  /**
   * Hard limit in ms from the moment the task starts running: the task is stopped, its worker replaced and
   * its result fails with `TimeoutError`. From 0 to 2147483647 (setTimeout's limit, about 24.8 days).
   */
  timeout?: number;
  /** Cancels the task; its result fails with `CancelledError`. */
  signal?: AbortSignal;
  /**
   * Queue order: larger runs first, FIFO within a priority; any safe integer, negative ones after the default.
   * Aging keeps low priorities from waiting for ever (see the README).
   * @default 0
   * @example pool.applyAsync('render', [page], { priority: 10 })
   */
  priority?: number;
}

export interface MapOptions<T = unknown> {
  /** Items per dispatched unit. @default ceil(items / (4 * workers)), as Python's Pool.map; 1 for imap */
  chunksize?: number;
  /** Called once with the whole result array when every item succeeds. */
  callback?: (values: T[]) => void;
  /** Called once with the first error when any item fails. */
  errorCallback?: (error: Error) => void;
  /** Called as items finish: `done` never decreases, the last call has `done === total`. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Queue order of every chunk of this map, as `TaskOptions.priority`: larger first, any safe integer.
   * @default 0
   */
  priority?: number;
  /**
   * Hard limit in ms on each unit's run (a chunk of `chunksize` items), counted from when a worker starts it, as
   * `TaskOptions.timeout`: a chunk past it is stopped, its worker replaced, and the map fails with `TimeoutError`
   * (an imap iterator throws it when it reaches that chunk). At most 2147483647.
   * @example await pool.map('price', paths, { chunksize: 100, timeout: 5_000 })
   */
  timeout?: number;
  /**
   * Cancels the whole map: chunks not yet started are dropped, running ones stopped (their workers replaced), and
   * the result fails with `CancelledError` whose `cause` is the signal's `reason` (an imap iterator throws it).
   * @example pool.map('work', items, { signal: AbortSignal.timeout(10_000) })
   */
  signal?: AbortSignal;
  /**
   * `imap`, `imapUnordered`, `istarmap` and `istarmapUnordered` only: the most chunks read from `items` and not
   * yet handed to the loop (queued, running, or done and waiting to be read). The input is read as room frees
   * up, so an endless or huge generator is consumed in constant memory. A positive integer.
   * @default 4 chunks per worker, and at least 256 items (`ceil(256 / chunksize)` chunks)
   */
  readAhead?: number;
}

/** The elastic-pool options with their defaults filled in, for the scheduler. */
export interface ElasticOptions {
  /** Workers kept alive: 0 to `workers`. */
  minWorkers: number;
  /** Ms an extra worker may stay idle before it exits. */
  idleTimeout: number;
  /** Most units waiting; `Infinity` for no limit. */
  maxQueued: number;
  /** MB a worker may hold before it is replaced; `Infinity` for no limit. */
  maxWorkerMemory: number;
}

/** `PoolOptions.idleTimeout` when not given. */
export const DEFAULT_IDLE_TIMEOUT_MS = 10_000;
const POOL_KEYS = [
  'workers',
  'module',
  'moduleType',
  'workerUrl',
  'createWorker',
  'initializer',
  'initargs',
  'maxTasksPerWorker',
  'resourceLimits',
  'minWorkers',
  'idleTimeout',
  'maxQueued',
  'maxWorkerMemory',
  'kernelHeapSize',
  'debug',
  'relaxedSimd',
] as const;
const LIMIT_KEYS = ['maxOldGenerationSizeMb', 'maxYoungGenerationSizeMb', 'codeRangeSizeMb', 'stackSizeMb'] as const;

export function validatePoolOptions(value: unknown): PoolOptions {
  const options = readOptions<PoolOptions>('options', value, 'PoolOptions', POOL_KEYS);
  if (options.workers !== undefined) checkPositiveInteger('workers', options.workers, 1024);
  if (options.moduleType !== undefined && options.moduleType !== 'wasm' && options.moduleType !== 'js') {
    throw new TypeError(expected('moduleType', '"wasm" or "js"', options.moduleType));
  }
  if (options.moduleType !== undefined && typeof options.module !== 'string' && !(options.module instanceof URL)) {
    throw new TypeError('`moduleType` was given without a `module` URL or path; it tells what kind of file the URL names');
  }
  if (options.workerUrl !== undefined && typeof options.workerUrl !== 'string' && !(options.workerUrl instanceof URL)) {
    throw new TypeError(expected('workerUrl', 'a URL (string or URL)', options.workerUrl));
  }
  if (options.createWorker !== undefined) checkFunction('createWorker', options.createWorker);
  if (options.module === WORKER_KERNELS && options.createWorker === undefined && options.workerUrl === undefined) {
    throw new TypeError(`\`module: '${WORKER_KERNELS}'\` needs \`createWorker\` or \`workerUrl\` naming the worker script that calls registerKernels()`);
  }
  if (options.createWorker !== undefined && options.workerUrl !== undefined) {
    throw new TypeError('`workerUrl` and `createWorker` were both given; pass one');
  }
  if (options.maxTasksPerWorker !== undefined) checkPositiveInteger('maxTasksPerWorker', options.maxTasksPerWorker);
  if (options.initializer !== undefined && (typeof options.initializer !== 'string' || options.initializer === '')) {
    throw new TypeError(expected('initializer', 'the name of an export of the task module (a non-empty string)', options.initializer));
  }
  if (options.resourceLimits !== undefined) {
    const limits = readOptions<WorkerResourceLimits>('resourceLimits', options.resourceLimits, 'resourceLimits', LIMIT_KEYS);
    options.resourceLimits = limits;
    for (const key of LIMIT_KEYS) {
      const value = (limits as Record<string, unknown>)[key];
      if (value !== undefined) checkPositiveInteger(`resourceLimits.${key}`, value, 1 << 20);
    }
  }
  if (options.initargs !== undefined) {
    if (!Array.isArray(options.initargs) && typeof options.initargs !== 'function') {
      throw new TypeError(expected('initargs', 'an array, or a function returning one', options.initargs));
    }
    if (options.initializer === undefined) throw new TypeError('`initargs` was given without `initializer`; name the export to call with them');
  }
  if (options.minWorkers !== undefined) checkMinWorkers(options.minWorkers, options.workers);
  if (options.idleTimeout !== undefined) checkTimerMilliseconds('idleTimeout', options.idleTimeout);
  if (options.maxQueued !== undefined && options.maxQueued !== Infinity) {
    if (typeof options.maxQueued !== 'number' || !Number.isInteger(options.maxQueued)) {
      throw new TypeError(expected('maxQueued', 'a positive integer or Infinity', options.maxQueued));
    }
    if (options.maxQueued < 1) throw new RangeError(expected('maxQueued', 'a positive integer or Infinity', options.maxQueued));
  }
  if (options.maxWorkerMemory !== undefined) {
    if (typeof options.maxWorkerMemory !== 'number' || Number.isNaN(options.maxWorkerMemory)) {
      throw new TypeError(expected('maxWorkerMemory', 'a number of MB', options.maxWorkerMemory));
    }
    if (!(options.maxWorkerMemory > 0) || !Number.isFinite(options.maxWorkerMemory)) {
      throw new RangeError(expected('maxWorkerMemory', 'a finite number of MB > 0', options.maxWorkerMemory));
    }
  }
  if (options.debug !== undefined && typeof options.debug !== 'boolean') throw new TypeError(expected('debug', 'a boolean', options.debug));
  if (options.relaxedSimd !== undefined) {
    if (typeof options.relaxedSimd !== 'boolean') throw new TypeError(expected('relaxedSimd', 'a boolean', options.relaxedSimd));
    if (options.module !== undefined) {
      throw new TypeError('`relaxedSimd` chooses a build of the built-in kernels; it does not apply to a pool given a `module`');
    }
  }
  if (options.kernelHeapSize !== undefined) {
    const { min, max } = KERNEL_HEAP;
    if (typeof options.kernelHeapSize !== 'number' || !Number.isInteger(options.kernelHeapSize)) {
      throw new TypeError(expected('kernelHeapSize', 'an integer number of bytes', options.kernelHeapSize));
    }
    if (options.kernelHeapSize < min || options.kernelHeapSize > max) {
      throw new RangeError(expected('kernelHeapSize', `a number of bytes from ${min} to ${max}`, options.kernelHeapSize));
    }
  }
  return options;
}

function checkMinWorkers(value: unknown, workers: number | undefined): void {
  const allowed = workers === undefined ? 'an integer from 0 to `workers`' : `an integer from 0 to \`workers\` (${workers})`;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError(expected('minWorkers', allowed, value));
  if (value < 0 || value > (workers ?? 1024)) throw new RangeError(expected('minWorkers', allowed, value));
}

/**
 * The elastic options of already validated `options` with defaults filled in, once the pool knows its
 * `workers` (given, or the platform's default). Throws if `minWorkers` exceeds a defaulted `workers`.
 */
export function resolveElasticOptions(options: PoolOptions, workers: number): ElasticOptions {
  const minWorkers = options.minWorkers ?? workers;
  if (minWorkers > workers) {
    throw new RangeError(
      `${expected('minWorkers', `an integer from 0 to \`workers\` (${workers}, this machine's default)`, minWorkers)}; pass \`workers\` too to run more`,
    );
  }
  return {
    minWorkers,
    idleTimeout: options.idleTimeout ?? DEFAULT_IDLE_TIMEOUT_MS,
    maxQueued: options.maxQueued ?? Infinity,
    maxWorkerMemory: options.maxWorkerMemory ?? Infinity,
  };
}
