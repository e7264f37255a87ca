// ready(): sleep 500 ms (blocking this thread: ready() reads a shared flag, no event loop needed), then check.
import { Pool } from 'wasmpool';
import { SEED_MODULE } from './_seed-module.mjs';

const pool = new Pool({ module: SEED_MODULE });
const result = pool.applyAsync('task', [0]);
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
console.log(result.ready() ? 'Tasks are complete' : 'Tasks are not complete');
pool.close();
await pool.join();
