// Multiply two 2048×2048 matrices by row blocks: every worker computes a band of C's rows,
// reading all of B and its band of A from shared memory and writing its band of C in place.
import { Pool } from 'wasmpool';

const n = Number(process.argv[2] ?? 2048);
const pool = new Pool();
const a = pool.alloc(Float64Array, n * n);
const b = pool.alloc(Float64Array, n * n);
const c = pool.alloc(Float64Array, n * n);
for (let i = 0; i < n * n; i++) {
  a[i] = Math.sin(i);
  b[i] = Math.cos(i);
}

const start = performance.now();
await pool.parallel('matmulF64', {
  length: n, // rows of A and C
  args: (r0, r1) => [a.subarray(r0 * n, r1 * n), b, c.subarray(r0 * n, r1 * n), r1 - r0, n, n],
});
const ms = performance.now() - start;
console.log(`${n}×${n} matmul on ${pool.workers} workers: ${ms.toFixed(0)} ms (${((2 * n ** 3) / ms / 1e6).toFixed(2)} GFLOP/s)`);

// Spot-check one entry against a plain dot product.
const [i, j] = [n >> 1, n >> 2];
let expected = 0;
for (let k = 0; k < n; k++) expected += a[i * n + k] * b[k * n + j];
console.log(`c[${i}][${j}] = ${c[i * n + j]} (expected ${expected})`);
for (const m of [a, b, c]) pool.free(m);
await pool.terminate();
