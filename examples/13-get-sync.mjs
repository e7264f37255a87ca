// getSync(): the same answer from plain synchronous code; no await, no event-loop turn needed.
import { Pool } from 'wasmpool';
import { SEED_MODULE } from './_seed-module.mjs';

const pool = new Pool({ module: SEED_MODULE });
const values = pool.mapAsync('task', [0, 1, 2, 3]).getSync();
console.log(`Got: ${values.map((v) => v.toFixed(3)).join(', ')}`);
pool.terminate();
