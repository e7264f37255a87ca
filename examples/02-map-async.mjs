// Getting an AsyncResult from mapAsync: ten tasks, one per identifier.
import { Pool } from 'wasmpool';
import { SEED_MODULE } from './_seed-module.mjs';

const pool = new Pool({ module: SEED_MODULE });
const result = pool.mapAsync(
  'task',
  Array.from({ length: 10 }, (_, i) => i),
);
pool.close();
await pool.join();
console.log(`All done: ${result.ready()}`);
