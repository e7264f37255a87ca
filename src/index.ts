/**
 * wasmpool: Python's Pool/AsyncResult over WebAssembly workers, for Node, Bun and Deno; browsers get the same
 * exports from its `browser` build. Start at {@link Pool}; the README is the guide.
 * @module wasmpool
 */
// Public exports only; the Node platform (worker_threads, fs) is installed here.
import { installPlatform } from './platform.js';
import { serializePayload } from './transport/node-codec.js';
import { nodeTransport } from './transport/node.js';
import { nodeReader, readBuiltinKernels } from './modules/node-reader.js';
import { createModulePreparer } from './modules/prepare.js';
import { precompileModule } from './compile/compile.js';

const modules = createModulePreparer(nodeReader, readBuiltinKernels);
installPlatform({ transport: nodeTransport, prepareModule: modules.prepare, serialize: serializePayload, precompile: precompileModule });

export { Pool, type PoolStats, type AllocOptions, type InitContext } from './pool.js';
export type { KernelMap, KernelName, KernelArgs, KernelItem, KernelResult, UntypedKernels } from './typed-pool.js';
export { AsyncResult } from './async-result.js';
export { TimeoutError, NotReadyError, TaskError, PoolStateError, WorkerCrashError, CancelledError, QueueFullError } from './errors.js';
export type { PoolOptions, TaskOptions, MapOptions, ModuleSource, WorkerResourceLimits } from './options.js';
export type { Submitter } from './submission.js';
export type { MetricsStats, TimingStats, WorkerUtilization } from './scheduling/metrics.js';
export { splitRange, type ParallelOptions } from './parallel/split.js';
export { parallelSort } from './parallel/sort.js';
export type { Ops, Complex, Conv2dOptions, FftOptions, KernelBuild, MatmulOptions, OutOptions, VarianceOptions } from './ops/index.js';
export type { SharedArrayConstructor, SharedTypedArray } from './shared/typed-arrays.js';
