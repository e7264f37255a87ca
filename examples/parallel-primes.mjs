// Count the primes below 10^8 on every core: countPrimes sieves a range [lo, hi) per task.
// A sieve needs scratch memory and WASM kernels on shared memory must not allocate, so each part
// gets its own 64 KiB slice of one shared scratch array.
import { Pool } from 'wasmpool';
import { COUNT_PRIMES_SCRATCH } from 'wasmpool/kernels-js';

const limit = Number(process.argv[2] ?? 1e8);
const pool = new Pool();
const parts = pool.workers * 4;
const scratch = pool.alloc(Uint8Array, parts * COUNT_PRIMES_SCRATCH);

const start = performance.now();
const count = await pool.parallel('countPrimes', {
  length: limit,
  parts,
  args: (lo, hi, part) => [lo, hi, scratch.subarray(part * COUNT_PRIMES_SCRATCH, (part + 1) * COUNT_PRIMES_SCRATCH)],
  combine: (counts) => counts.reduce((a, b) => a + b, 0),
});
console.log(`${count} primes below ${limit} (${(performance.now() - start).toFixed(0)} ms on ${pool.workers} workers)`);
pool.free(scratch);
await pool.terminate();
