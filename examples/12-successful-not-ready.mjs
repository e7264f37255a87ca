// successful() before the task is done throws NotReadyError (Python raises ValueError here).
import { Pool } from 'wasmpool';
import { SEED_MODULE } from './_seed-module.mjs';

const pool = new Pool({ module: SEED_MODULE });
const result = pool.applyAsync('task', [0]);
try {
  console.log(result.successful() ? 'Tasks were successful' : 'Tasks were not successful');
} catch (error) {
  console.log(`${error.name}: ${error.message}`);
}
await pool.terminate();
