// wasmpool's built-in kernel module. This file only re-exports; the bodies live in kernels/<topic>.ts.
// Every kernel here is pointer-only: a typed array argument arrives as (byteOffset, length) in the
// pool's shared memory (the pool lowers views itself), and no kernel allocates.
export * from "./kernels/basic";
export * from "./kernels/vector";
export * from "./kernels/matrix";
export * from "./kernels/mandelbrot";
export * from "./kernels/primes";
export * from "./kernels/montecarlo";
export * from "./kernels/histogram";
export * from "./kernels/sort";
export * from "./ops/index";
