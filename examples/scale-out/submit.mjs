// Submitting side: any process, on any machine that reaches the same Redis. The same calls as a local Pool.
//   REDIS_HOST=redis.internal REDIS_PORT=6379 node examples/scale-out/submit.mjs
import { QueuePool } from 'wasmpool/bullmq';

const connection = { host: process.env.REDIS_HOST ?? '127.0.0.1', port: Number(process.env.REDIS_PORT ?? 6379) };
// (`await using pool = ...` does the close() on Node 22+; Node 20 has no `using` syntax yet.)
const pool = new QueuePool({ queue: 'wasmpool-demo', connection });

// Monte Carlo π: 32 jobs of a million samples each, spread over every serving host.
const jobs = Array.from({ length: 32 }, (_, i) => [1_000_000, i + 1]);
const hits = await pool.starmap('monteCarloPi', jobs, { chunksize: 1, onProgress: (done, total) => done === total && console.log(`${total} jobs done`) });
const pi = (4 * hits.reduce((a, b) => a + b, 0)) / (jobs.length * 1_000_000);
console.log(`pi is about ${pi.toFixed(3)}`);

// A typed array travels by value (base64 in the job), and the result comes back as a number.
const half = new Float64Array(1_000_000).fill(0.5);
console.log(`sumF64 of a million halves: ${await pool.apply('sumF64', [half])}`);

// From synchronous code, as with a local pool: getSync() blocks this thread until the result is in.
const primes = pool.applyAsync('countPrimes', [0, 10_000_000, new Uint8Array(65536)]);
console.log(`primes below 10,000,000: ${primes.getSync()}`);

// A kernel's error arrives as the same TaskError a local pool gives.
try {
  await pool.apply('countPrimes', [10, 5, new Uint8Array(16)]);
} catch (error) {
  console.log(`${error.name}: ${error.message.split('\n')[0]}`);
}

await pool.close();
