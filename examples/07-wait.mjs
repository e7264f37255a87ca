// wait(): block until the task is done, without taking its value.
import { Pool } from 'wasmpool';
import { SEED_MODULE } from './_seed-module.mjs';

const pool = new Pool({ module: SEED_MODULE });
const result = pool.applyAsync('task', [0]);
await result.wait();
console.log(`Done: ready() is ${result.ready()}`);
await pool.terminate();
