// Getting an AsyncResult from starmapAsync: each task gets an identifier and the value to sleep for.
import { Pool } from 'wasmpool';
import { SEED_MODULE } from './_seed-module.mjs';

const pool = new Pool({ module: SEED_MODULE });
const items = Array.from({ length: 10 }, (_, i) => [i, Math.random()]);
const result = pool.starmapAsync('taskWithValue', items);
pool.close();
await pool.join();
console.log(`All done: ${result.ready()}`);
