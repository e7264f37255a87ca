// Sort 10 million f64 on every core: each worker sorts a run in place, then rounds of pairwise
// merges (each merge on its own worker) ping-pong between the array and a shared scratch array.
import { Pool, parallelSort } from 'wasmpool';

const n = Number(process.argv[2] ?? 10_000_000);
const pool = new Pool();
const values = pool.alloc(Float64Array, n);
for (let i = 0; i < n; i++) values[i] = Math.random() * 2 - 1;
const copy = values.slice();

let start = performance.now();
await parallelSort(pool, values);
const parallelMs = performance.now() - start;
start = performance.now();
copy.sort();
const builtinMs = performance.now() - start;

let sorted = true;
for (let i = 1; i < n; i++) if (values[i - 1] > values[i]) sorted = false;
console.log(
  `${n} values sorted: ${sorted}; parallelSort on ${pool.workers} workers ${parallelMs.toFixed(0)} ms, Float64Array.prototype.sort ${builtinMs.toFixed(0)} ms`,
);
pool.free(values);
await pool.terminate();
