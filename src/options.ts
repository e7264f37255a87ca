import { checkFunction, checkKnownKeys, checkMilliseconds, checkOptionsObject, checkPositiveInteger, expected } from './validate.js';

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
   * exported functions are kernels. Compiled once on the calling thread and shared with every worker.
   * @default wasmpool's built-in kernel module
   */
  module?: ModuleSource;
  /** Name of an export run once in every worker before its first task. */
  initializer?: string;
  /** Arguments for `initializer`. @default [] */
  initargs?: readonly unknown[];
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
   * its result fails with `TimeoutError`.
   */
  timeout?: number;
  /** Cancels the task; its result fails with `CancelledError`. */
  signal?: AbortSignal;
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
}

const POOL_KEYS = ['workers', 'module', 'initializer', 'initargs', 'maxTasksPerWorker', 'resourceLimits'] as const;
const LIMIT_KEYS = ['maxOldGenerationSizeMb', 'maxYoungGenerationSizeMb', 'codeRangeSizeMb', 'stackSizeMb'] as const;
const TASK_KEYS = ['callback', 'errorCallback', 'timeout', 'signal'] as const;
const MAP_KEYS = ['chunksize', 'callback', 'errorCallback', 'onProgress'] as const;

export function validatePoolOptions(value: unknown): PoolOptions {
  const options = checkOptionsObject('options', value) as PoolOptions;
  checkKnownKeys('PoolOptions', options, POOL_KEYS);
  if (options.workers !== undefined) checkPositiveInteger('workers', options.workers, 1024);
  if (options.maxTasksPerWorker !== undefined) checkPositiveInteger('maxTasksPerWorker', options.maxTasksPerWorker);
  if (options.initializer !== undefined && (typeof options.initializer !== 'string' || options.initializer === '')) {
    throw new TypeError(expected('initializer', 'the name of an export of the task module (a non-empty string)', options.initializer));
  }
  if (options.resourceLimits !== undefined) {
    const limits = checkOptionsObject('resourceLimits', options.resourceLimits);
    checkKnownKeys('resourceLimits', limits, LIMIT_KEYS);
    for (const key of LIMIT_KEYS) {
      const value = (limits as Record<string, unknown>)[key];
      if (value !== undefined) checkPositiveInteger(`resourceLimits.${key}`, value, 1 << 20);
    }
  }
  if (options.initargs !== undefined) {
    if (!Array.isArray(options.initargs)) throw new TypeError(expected('initargs', 'an array', options.initargs));
    if (options.initializer === undefined) throw new TypeError('`initargs` was given without `initializer`; name the export to call with them');
  }
  return options;
}

export function validateTaskOptions(value: unknown): TaskOptions {
  const options = checkOptionsObject('options', value) as TaskOptions;
  checkKnownKeys('TaskOptions', options, TASK_KEYS);
  if (options.callback !== undefined) checkFunction('callback', options.callback);
  if (options.errorCallback !== undefined) checkFunction('errorCallback', options.errorCallback);
  if (options.timeout !== undefined) {
    checkMilliseconds('timeout', options.timeout);
    if (options.timeout > 2 ** 31 - 1) throw new RangeError(expected('timeout', 'at most 2147483647 ms', options.timeout));
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw new TypeError(expected('signal', 'an AbortSignal', options.signal));
  return options;
}

export function validateMapOptions(value: unknown): MapOptions {
  const options = checkOptionsObject('options', value) as MapOptions;
  checkKnownKeys('MapOptions', options, MAP_KEYS);
  if (options.chunksize !== undefined) checkPositiveInteger('chunksize', options.chunksize);
  if (options.callback !== undefined) checkFunction('callback', options.callback);
  if (options.errorCallback !== undefined) checkFunction('errorCallback', options.errorCallback);
  if (options.onProgress !== undefined) checkFunction('onProgress', options.onProgress);
  return options;
}
