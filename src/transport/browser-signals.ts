/**
 * Messages between the browser transport and its worker entry that the pool never sees. Its own file: the
 * worker entry must not import transport/browser.ts, whose `new Worker(new URL(…))` a bundler would follow
 * into the worker's own bundle.
 */

/** The worker entry posts this once its script (and every import) has run. */
export const LOADED = 'wasmpool:loaded';

/**
 * `PoolOptions.module` for kernels the app's own worker script registers with `registerKernels` (from
 * `wasmpool/worker`): the app's bundler compiles that script, TypeScript included, with everything it imports.
 */
export const WORKER_KERNELS = 'wasmpool:worker-kernels';
