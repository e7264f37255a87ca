// Sum 50 million f64 on every core: one shared array, each worker sums its own slice in place.
// Nothing is copied: the workers' WASM instances read the very memory the main thread filled.
import { Pool } from 'wasmpool';

const n = Number(process.argv[2] ?? 50_000_000);
const pool = new Pool();
const x = pool.alloc(Float64Array, n); // 400 MB in the pool's shared WebAssembly.Memory
for (let i = 0; i < n; i++) x[i] = (i % 1000) * 0.5;

const sumAll = () =>
  pool.parallel('sumF64', {
    length: n,
    args: (begin, end) => [x.subarray(begin, end)], // a subarray reaches the kernel as (byteOffset, length)
    combine: (partials) => partials.reduce((a, b) => a + b, 0),
  });
const sumOnOne = () => pool.apply('sumF64', [x]); // the same kernel on one worker, for comparison

/** Best of three runs, after one to start the workers and compile the module. */
async function best(run) {
  await run();
  let fastest = Infinity;
  let value;
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    value = await run();
    fastest = Math.min(fastest, performance.now() - start);
  }
  return [value, fastest];
}
const [total, parallelMs] = await best(sumAll);
const [single, singleMs] = await best(sumOnOne);

console.log(`sum of ${n} values: ${total} (one worker: ${single})`);
console.log(`${pool.workers} workers: ${parallelMs.toFixed(1)} ms; one worker: ${singleMs.toFixed(1)} ms`);
pool.free(x);
await pool.terminate();
