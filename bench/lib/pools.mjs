// One adapter per pool, so the dispatch benchmark runs every pool through the
// same three calls: add(i) for one task, map(items) for many tiny items, and
// close(). Each pool is set up the way its README shows, with the same
// worker count; nothing is tuned for one pool and not the others.
import { Worker } from 'node:worker_threads';
import Piscina from 'piscina';
import Tinypool from 'tinypool';
import workerpool from 'workerpool';
import { Pool } from 'wasmpool';

const tasksUrl = new URL('../peers/tasks.mjs', import.meta.url);

/**
 * A peer's best effort at a map, having none: one task per item, with at most
 * IN_FLIGHT submitted and unfinished at a time. Submitting all items at once
 * is worse for them: measured here, tinypool fell from ~45k to ~9k items/s at
 * 200,000 items queued at once.
 */
const IN_FLIGHT = 1024;
async function mapOneTaskPerItem(items, run) {
  const out = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await run(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, items.length) }, lane));
  return out;
}

const jsTasksUrl = new URL('./tasks.mjs', import.meta.url);

/** wasmpool on its built-in WASM kernels, or with `js: true` on bench/lib/tasks.mjs (a JS task module). */
export function openWasmpool(workers, { js = false } = {}) {
  const pool = new Pool(js ? { workers, module: jsTasksUrl } : { workers });
  return {
    pool,
    add: (i) => pool.applyAsync('add', [i, 1]).get(),
    addSync: (i) => pool.applyAsync('add', [i, 1]).getSync(),
    // wasmpool's own map: chunked with Python's default chunksize.
    map: (items) => pool.mapAsync('square', items).get(),
    close: () => pool.terminate(),
  };
}

export function openTinypool(workers) {
  const pool = new Tinypool({ filename: tasksUrl.href, minThreads: workers, maxThreads: workers });
  return {
    add: (i) => pool.run([i, 1], { name: 'add' }),
    map: (items) => mapOneTaskPerItem(items, (x) => pool.run(x, { name: 'square' })),
    close: () => pool.destroy(),
  };
}

export function openPiscina(workers) {
  const pool = new Piscina({ filename: tasksUrl.href, minThreads: workers, maxThreads: workers });
  return {
    add: (i) => pool.run([i, 1], { name: 'add' }),
    map: (items) => mapOneTaskPerItem(items, (x) => pool.run(x, { name: 'square' })),
    close: () => pool.destroy(),
  };
}

export function openWorkerpool(workers) {
  const script = new URL('../peers/workerpool-tasks.mjs', import.meta.url).pathname;
  const pool = workerpool.pool(script, { minWorkers: workers, maxWorkers: workers, workerType: 'thread' });
  return {
    add: (i) => pool.exec('add', [i, 1]),
    map: (items) => mapOneTaskPerItem(items, (x) => pool.exec('square', [x])),
    close: () => pool.terminate(),
  };
}

/**
 * Not a pool: one worker_thread answering postMessage, the floor under every
 * pool above that talks by messages. Replies come back in order, so a FIFO of
 * resolvers is enough.
 */
export function openBareWorker() {
  const worker = new Worker(new URL('../peers/echo-worker.mjs', import.meta.url));
  const waiting = [];
  let head = 0;
  worker.on('message', (value) => {
    const resolve = waiting[head];
    waiting[head++] = undefined;
    if (head === waiting.length) waiting.length = head = 0;
    resolve(value);
  });
  const add = (i) =>
    new Promise((resolve) => {
      waiting.push(resolve);
      worker.postMessage([i, 1]);
    });
  return { add, close: () => worker.terminate() };
}
