/**
 * The asc flags a kernel module needs to run on a pool whose workers share one
 * memory, as the built-in kernels are built (asconfig.json, target `kernels`):
 *   --importMemory --sharedMemory     every worker's instance imports the pool's one memory
 *   --initialMemory 1 --maximumMemory 65536
 *                                     the limits the pool creates that memory with
 *   --enable threads,simd             shared memory needs threads; SIMD is there if wanted
 *   --runtime stub                    a bump allocator without GC or shadow stack; the compile swaps
 *                                     asc's stub for assembly/lib/runtime.ts, which allocates in a heap
 *                                     of each worker's own (see src/wasm/kernel-heaps.ts)
 * and no --exportRuntime: the runtime exports only the two calls the worker makes.
 */
export const POOL_FLAGS: readonly string[] = [
  '-O3',
  '--runtime',
  'stub',
  '--importMemory',
  '--sharedMemory',
  '--initialMemory',
  '1',
  '--maximumMemory',
  '65536',
  '--enable',
  'threads,simd',
  '--noColors',
];

/**
 * A debug build (PoolOptions.debug, `wasmpool build --debug`): no optimization, function names kept
 * (traps name the AssemblyScript function), and a source map, which the compile embeds so that
 * traps name `file:line:column` too.
 */
export const DEBUG_FLAGS: readonly string[] = ['-O0', '--debug', '--sourceMap', ...POOL_FLAGS.filter((flag) => flag !== '-O3')];
