// One small app, built by every bundler the README covers (test/bundlers/bundlers.test.ts). It runs the same
// steps as the import-map page and reports each one on window.results; window.done says it has finished.
import { Pool, splitRange } from 'wasmpool';

// The esbuild and Rollup recipes bundle `wasmpool/worker` themselves and say where (README "Bundlers").
const workerUrl = document.querySelector('meta[name="wasmpool-worker"]')?.getAttribute('content') ?? undefined;
const tasksUrl = new URL('./tasks.js', import.meta.url);
const kernelUrl = new URL('./kernel.wasm', import.meta.url);

const results = {};
window.results = results;

async function step(name, run) {
  try {
    results[name] = { ok: true, value: await run() };
  } catch (error) {
    results[name] = { ok: false, error: `${error?.name}: ${error?.message}` };
  }
}

async function main() {
  const options = workerUrl ? { workerUrl: new URL(workerUrl, document.baseURI) } : {};
  const pool = new Pool({ workers: 2, ...options });
  await step('add', () => pool.apply('add', [2, 3]));
  await step('sumF64', async () => {
    const xs = pool.alloc(Float64Array, 1e6).fill(0.5);
    try {
      return await pool.apply('sumF64', [xs]);
    } finally {
      pool.free(xs);
    }
  });
  await step('mapAsync', () => pool.mapAsync('square', [1, 2, 3, 4, 5, 6, 7, 8], { chunksize: 2 }).get());
  await step('splitRange', () => splitRange(10, 3));
  await pool.terminate();

  await step('jsModule', async () => {
    const js = await Pool.create({ workers: 2, module: tasksUrl, ...options });
    try {
      return [await js.apply('greet', ['bundler']), await js.map('triple', [1, 2, 3])];
    } finally {
      await js.terminate();
    }
  });
  await step('kernelByUrl', async () => {
    const wasm = await Pool.create({ workers: 2, module: kernelUrl, ...options });
    try {
      return await wasm.map('cube', [1, 2, 3]);
    } finally {
      await wasm.terminate();
    }
  });
  await step('kernelAsBytes', async () => {
    const bytes = await (await fetch(kernelUrl)).arrayBuffer();
    const wasm = new Pool({ workers: 2, module: bytes, ...options });
    try {
      return await wasm.apply('cube', [4]);
    } finally {
      await wasm.terminate();
    }
  });
}

main().then(
  () => {
    document.getElementById('out').textContent = JSON.stringify(results, null, 2);
    window.done = true;
  },
  (error) => {
    results.fatal = { ok: false, error: String(error?.stack ?? error) };
    window.done = true;
  },
);
