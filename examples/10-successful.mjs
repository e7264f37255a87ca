// successful(): after wait(), a task that returned is successful.
import { Pool } from 'wasmpool';
import { SEED_MODULE } from './_seed-module.mjs';

const pool = new Pool({ module: SEED_MODULE });
const result = pool.applyAsync('task', [0]);
await result.wait();
console.log(result.successful() ? 'Tasks were successful' : 'Tasks were not successful');
await pool.terminate();
