// A pool over the app's TypeScript task module (tasks.ts), registered by the app's worker script.
import { Pool } from 'wasmpool';

// esbuild builds tasks-worker.ts as an entry point of its own and names it here; Vite bundles `new Worker(new URL(…))`.
const builtWorker = document.querySelector('meta[name="tasks-worker"]')?.getAttribute('content');

const state = window as unknown as { results: Record<string, unknown>; done: boolean };
state.results = {};

async function main(): Promise<void> {
  const pool = new Pool({
    workers: 2,
    module: 'wasmpool:worker-kernels',
    createWorker: () =>
      builtWorker
        ? new Worker(new URL(builtWorker, document.baseURI), { type: 'module' })
        : new Worker(new URL('./tasks-worker.ts', import.meta.url), { type: 'module' }),
  });
  try {
    state.results.scale = await pool.apply<number[]>('scale', [[1, 2, 3], 2]);
    state.results.twin = await pool.apply<number>('sumF64', [new Float64Array([0.5, 1.5])]);
    state.results.label = await pool.starmap<string>('label', [
      ['a', 1],
      ['b', 2],
    ]);
  } finally {
    await pool.terminate();
  }
}

main().then(
  () => (state.done = true),
  (error: unknown) => {
    state.results.fatal = String((error as Error)?.stack ?? error);
    state.done = true;
  },
);
