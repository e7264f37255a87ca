// Runs the custom kernels on a pool: one shared array, filled here, processed in place by a worker.
// Run: node run.mjs   (needs `assemblyscript` installed: the pool compiles assembly/kernel.ts itself,
// once; later runs take the binary from the compile cache)
// To publish the kernels as a .wasm instead: npx wasmpool build assembly/kernel.ts -o kernel.wasm
import { Pool } from 'wasmpool';

// Pool.create compiles the kernel without blocking this thread (new Pool would block while asc runs).
// kernelHeapSize: median copies a million f64 values (8 MB) into its worker's own heap.
const pool = await Pool.create({ module: new URL('./assembly/kernel.ts', import.meta.url), workers: 2, kernelHeapSize: 16 << 20 });
const n = 1_000_000;
const x = pool.alloc(Float64Array, n); // in pool.memory, which every worker's instance imports
for (let i = 0; i < n; i++) x[i] = Math.sin(i / 1000) * 50 + 20;

const range = await pool.apply('normalize', [x]); // x arrives in the kernel as (byteOffset, length)
console.log(
  `range before normalizing: ${range.toFixed(3)}; now x spans [${Math.min(...x.subarray(0, 10000)).toFixed(3)}, ${Math.max(...x.subarray(0, 10000)).toFixed(3)}]`,
);

// Split across the workers: each computes the moving average of its own band, with w-1 values of overlap.
const w = 100;
const out = pool.alloc(Float64Array, n - w + 1);
await pool.parallel('movingAverage', {
  length: out.length,
  args: (start, end) => [x.subarray(start, end + w - 1), out.subarray(start, end), w],
});
console.log(`moving average: out[0] = ${out[0].toFixed(6)}, out[${out.length - 1}] = ${out[out.length - 1].toFixed(6)}`);

const median = await pool.apply('median', [x]);
console.log(`median of x: ${median.toFixed(6)}`);
try {
  await pool.apply('median', [new Float32Array(4)]);
} catch (error) {
  console.log(`a Float32Array for a Float64Ptr: ${error.message}`);
}

pool.free(x);
pool.free(out);
await pool.terminate();
