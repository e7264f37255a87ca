// A browser app's TypeScript against the installed tarball's types (test/bundlers/bundlers.test.ts compiles it
// with lib ES2022 + DOM, no @types/node and skipLibCheck: false, with and without the `browser` condition).
import { Pool, splitRange } from 'wasmpool';
import { registerKernels } from 'wasmpool/worker';

const pool = await Pool.create({ workers: 2, workerUrl: new URL('./w.js', import.meta.url), moduleType: 'js', module: 'tasks' });
const own = new Pool({
  module: 'wasmpool:worker-kernels',
  createWorker: () => new Worker(new URL('./w.ts', import.meta.url), { type: 'module' }),
});
const dispose: () => Promise<void> = () => own[Symbol.asyncDispose]();
const sum: number = await pool.apply<number>('add', [1, 2]);
void [sum, dispose, splitRange(4, 2), registerKernels({ triple: (x: number) => 3 * x })];
