/**
 * wasmpool for browsers (the `browser` condition of the exports map, or import
 * dist/browser.js from a `<script type="module">`): the same Pool and
 * AsyncResult as in Node, over module Web Workers. Public exports only.
 */
import { installPlatform } from './platform.js';
import { browserTransport } from './transport/browser.js';
import { browserReader } from './modules/browser-reader.js';
import { createModulePreparer } from './modules/prepare.js';

// Fetching is asynchronous in a browser; loading the built-in kernels here keeps `new Pool()` synchronous.
const modules = createModulePreparer(browserReader);
await modules.preloadBuiltin();
installPlatform({ transport: browserTransport, prepareModule: modules.prepare });

export { Pool, type PoolStats, type AllocOptions } from './pool.js';
export { AsyncResult } from './async-result.js';
export { TimeoutError, NotReadyError, TaskError, PoolStateError, WorkerCrashError, CancelledError, QueueFullError } from './errors.js';
export type { PoolOptions, TaskOptions, MapOptions, ModuleSource } from './options.js';
export type { MetricsStats, TimingStats, WorkerUtilization } from './scheduling/metrics.js';
export { splitRange, type ParallelOptions } from './parallel/split.js';
export { parallelSort } from './parallel/sort.js';
export type { Ops, Complex, Conv2dOptions, FftOptions, MatmulOptions, OutOptions, VarianceOptions } from './ops/index.js';
export type { SharedArrayConstructor, SharedTypedArray } from './shared/typed-arrays.js';
