// Getting an AsyncResult from applyAsync: one task, issued without waiting.
import { Pool } from 'wasmpool';
import { SEED_MODULE } from './_seed-module.mjs';

const pool = new Pool({ module: SEED_MODULE });
const result = pool.applyAsync('task', [0]);
console.log(`Issued: ready() is ${result.ready()}`);
pool.close();
await pool.join();
