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

// No top-level await and no fetch at import: the built-in kernels are inside this build and compiled by the
// first Pool that uses them, so importing a helper (splitRange) costs nothing and old targets can bundle it.
const modules = createModulePreparer(browserReader, builtinKernelBytes);
installPlatform({ transport: browserTransport, prepareModule: modules.prepare });

export { Pool, type PoolStats, type AllocOptions, type InitContext } from './pool.js';
export { AsyncResult } from './async-result.js';
export { TimeoutError, NotReadyError, TaskError, PoolStateError, WorkerCrashError, CancelledError, QueueFullError } from './errors.js';
export type { PoolOptions, TaskOptions, MapOptions, ModuleSource } from './options.js';
export type { MetricsStats, TimingStats, WorkerUtilization } from './scheduling/metrics.js';
export { splitRange, type ParallelOptions } from './parallel/split.js';
export { parallelSort } from './parallel/sort.js';
export type { Ops, Complex, Conv2dOptions, FftOptions, MatmulOptions, OutOptions, VarianceOptions } from './ops/index.js';
export type { SharedArrayConstructor, SharedTypedArray } from './shared/typed-arrays.js';
