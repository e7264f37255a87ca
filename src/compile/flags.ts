/**
 * The asc flags a kernel module needs to run on a pool whose workers share one
 * memory, as the built-in kernels are built (asconfig.json, target `kernels`):
 *   --importMemory --sharedMemory     every worker's instance imports the pool's one memory
 *   --initialMemory 1 --maximumMemory 65536
 *                                     the limits the pool creates that memory with
 *   --enable threads,simd             shared memory needs threads; SIMD is there if wanted
 *   --runtime stub                    no allocator or GC: none is safe across threads
 * and no --exportRuntime: with the stub runtime there is nothing to export.
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
