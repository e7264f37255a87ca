// Types of the plain-JavaScript twins of wasmpool's built-in kernels (see index.js).
export declare function sumF64(x: Float64Array): number;
export declare function sumF32(x: Float32Array): number;
export declare function dotF64(x: Float64Array, y: Float64Array): number;
export declare function dotF32(x: Float32Array, y: Float32Array): number;
export declare function axpyF64(a: number, x: Float64Array, y: Float64Array): void;
export declare function axpyF32(a: number, x: Float32Array, y: Float32Array): void;
export declare function scaleF64(a: number, x: Float64Array): void;
export declare function scaleF32(a: number, x: Float32Array): void;
export declare function matmulF64(a: Float64Array, b: Float64Array, c: Float64Array, n: number, k: number, m: number): void;
export declare function mandelbrot(out: Uint32Array, width: number, rowStart: number, maxIter: number, x0: number, y0: number, step: number): void;
export declare function mandelbrotRGBA(out: Uint8ClampedArray, width: number, rowStart: number, maxIter: number, x0: number, y0: number, step: number): void;
export declare const COUNT_PRIMES_SCRATCH: number;
export declare function countPrimes(lo: number, hi: number, scratch: Uint8Array): number;
export declare function monteCarloPi(samples: number, seed: number): number;
export declare function histogramF64(values: Float64Array, lo: number, hi: number, bins: Uint32Array): void;
export declare function sortF64(x: Float64Array): void;
export declare function mergeF64(a: Float64Array, b: Float64Array, out: Float64Array): void;
