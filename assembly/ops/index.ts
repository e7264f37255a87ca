// pool.ops kernels (see README "Numeric operations"). Part of the built-in module; the pool splits the work.
export { opsSumBlocksF64, opsSumBlocksF32, opsMomentsBlocksF64, opsMomentsBlocksF32, opsExtremaBlocksF64, opsExtremaBlocksF32 } from "./reduce"; // not BLOCK: asc cannot export an i32 global it inlines
export * from "./scan";
export * from "./elementwise";

/**
 * Does nothing: pool.ops lowers its array arguments through this signature (ptr, len), which copies a plain
 * typed array into the shared memory and passes a pool.alloc view as it is.
 */
export function opsView(ptr: usize, len: i32): void {}
export * from "./gemm";
export * from "./conv";
export * from "./fft";
