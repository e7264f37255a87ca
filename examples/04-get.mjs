// get(): wait for the task and take its value.
import { Pool } from 'wasmpool';
import { SEED_MODULE } from './_seed-module.mjs';

const pool = new Pool({ module: SEED_MODULE });
const result = pool.applyAsync('task', [0]);
const value = await result.get();
console.log(`Got: ${value}`);
await pool.terminate();
