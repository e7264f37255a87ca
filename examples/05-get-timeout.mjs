// get(timeout): give up waiting after 500 ms; the task sleeps a random 0-1 s, so either line may print.
import { Pool, TimeoutError } from 'wasmpool';
import { SEED_MODULE } from './_seed-module.mjs';

const pool = new Pool({ module: SEED_MODULE });
const result = pool.applyAsync('task', [0]);
try {
  const value = await result.get(500);
  console.log(`Got: ${value}`);
} catch (error) {
  if (!(error instanceof TimeoutError)) throw error;
  console.log('Failed to get the result');
}
pool.close();
await pool.join();
