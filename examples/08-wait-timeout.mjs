// wait(timeout): wait at most 500 ms, then carry on; the task keeps running until close/join.
import { Pool } from 'wasmpool';
import { SEED_MODULE } from './_seed-module.mjs';

const pool = new Pool({ module: SEED_MODULE });
const result = pool.applyAsync('task', [0]);
await result.wait(500);
console.log(result.ready() ? 'All Done' : 'Not Done Yet');
pool.close();
await pool.join();
