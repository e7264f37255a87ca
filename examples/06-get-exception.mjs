// get() on a task that fails: the task's own error comes back, as a TaskError.
import { Pool } from 'wasmpool';
import { SEED_MODULE } from './_seed-module.mjs';

const pool = new Pool({ module: SEED_MODULE });
const result = pool.applyAsync('failingTask', [0]);
try {
  const value = await result.get();
  console.log(`Got: ${value}`);
} catch (error) {
  console.log(`Failed to get the result: ${error.message}`);
}
await pool.terminate();
