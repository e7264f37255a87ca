/**
 * wasmpool for browsers (the `browser` condition of the exports map, or import
 * dist/browser.js from a `<script type="module">`): the same Pool and
 * AsyncResult as in Node, over module Web Workers. Public exports only.
 */
import { installPlatform } from './platform.js';
import { browserTransport } from './transport/browser.js';
import { browserReader } from './modules/browser-reader.js';
import { builtinKernelBytes } from './modules/builtin-kernels.js';
import { createModulePreparer } from './modules/prepare.js';
import type { PoolOptions as AllPoolOptions } from './options.js';
import { Pool as SharedPool } from './pool.js';
import type { KernelMap, UntypedKernels } from './typed-pool.js';

// No top-level await and no fetch at import: the built-in kernels are inside this build and compiled by the
// first Pool that uses them, so importing a helper (splitRange) costs nothing and old targets can bundle it.
const modules = createModulePreparer(browserReader, builtinKernelBytes);
installPlatform({ transport: browserTransport, prepareModule: modules.prepare });

/**
 * `PoolOptions` as a browser has them: without the Node-only `resourceLimits` and `maxWorkerMemory` (a Web Worker
 * has no per-thread heap limit or memory probe), so a browser app that passes them is told at compile time.
 */
export type PoolOptions = Omit<AllPoolOptions, 'resourceLimits' | 'maxWorkerMemory'>;

/** The Pool class, typed with the browser's PoolOptions (the same class as in Node at run time). */
export interface BrowserPoolConstructor {
  new <K extends KernelMap = UntypedKernels>(options?: PoolOptions): SharedPool<K>;
  create<K extends KernelMap = UntypedKernels>(options?: PoolOptions): Promise<SharedPool<K>>;
  readonly prototype: SharedPool;
}
export const Pool: BrowserPoolConstructor = SharedPool;
export type Pool<K extends KernelMap = UntypedKernels> = SharedPool<K>;
export type { PoolStats, AllocOptions, InitContext } from './pool.js';
export type { KernelMap, KernelName, KernelArgs, KernelItem, KernelResult, UntypedKernels } from './typed-pool.js';
export { AsyncResult } from './async-result.js';
export { TimeoutError, NotReadyError, TaskError, PoolStateError, WorkerCrashError, CancelledError, QueueFullError } from './errors.js';
export type { TaskOptions, MapOptions, ModuleSource } from './options.js';
export type { Submitter } from './submission.js';
export type { MetricsStats, TimingStats, WorkerUtilization } from './scheduling/metrics.js';
export { splitRange, type ParallelOptions } from './parallel/split.js';
export { parallelSort } from './parallel/sort.js';
export type { Ops, Complex, Conv2dOptions, FftOptions, KernelBuild, MatmulOptions, OutOptions, VarianceOptions } from './ops/index.js';
export type { SharedArrayConstructor, SharedTypedArray } from './shared/typed-arrays.js';
