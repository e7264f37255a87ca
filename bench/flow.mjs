// Question: does queued work keep flowing while the caller computes (issue 10, "busy caller")?
// 1,000 tasks of 1 ms are submitted, then the caller runs 600 ms of its own work that never yields
// (no await, no call into wasmpool). Counted at the end of that loop:
//   - applyAsync: how many of the 1,000 results are ready() (a flag read, so counting changes nothing);
//   - mapAsync, JS module: how many items the workers finished, from a counter they share with the caller
//     (bench/lib/tasks.mjs `spinCounted`, the SharedArrayBuffer handed over once by the initializer);
//   - mapAsync, both: how long get() still waits after the loop. The work is 500 ms on 2 workers, so a
//     pool that kept working has nothing left; a wait of w ms means about w × workers / 1 ms items left.
// Python's Pool(2) runs the same probe (bench/peers/python_flow.py). Goal: ≥ 900 of 1,000 (Python: 772).
// The unit tests (test/pool/flow.test.ts) check only that the work completes without a yield; how much of it
// completes within the busy time is asked here, not there.
import { fileURLToPath } from 'node:url';
import { Pool } from 'wasmpool';
import { summarize } from './lib/stats.mjs';
import { fmt } from './lib/format.mjs';
import { runProcess } from './lib/process.mjs';

const WORKERS = 2;
const TASK_MS = 1;
const GOAL_PER_1000 = 900;
const jsTasksUrl = new URL('./lib/tasks.mjs', import.meta.url);

export async function run(ctx) {
  ctx.begin('flow');
  // Quick mode keeps the shape (work = 5/6 of the busy loop on 2 workers) at a fifth of the size.
  const size = ctx.quick ? { tasks: 200, busyMs: 120 } : { tasks: 1_000, busyMs: 600 };
  const per1000 = (done) => (done * 1000) / size.tasks;
  const counter = new Int32Array(new SharedArrayBuffer(4));
  const variants = {
    'built-in WASM spin': { pool: new Pool({ workers: WORKERS }), kernel: 'spin' },
    'JS module spin': {
      pool: new Pool({ workers: WORKERS, module: jsTasksUrl, initializer: 'countInto', initargs: [counter.buffer] }),
      kernel: 'spinCounted',
      counter,
    },
  };
  const samples = {};
  try {
    for (const variant of Object.values(variants)) await variant.pool.mapAsync(variant.kernel, [0, 0, 0, 0], { chunksize: 1 }).get();
    for (let round = -ctx.warmup; round < ctx.reps; round++) {
      for (const [name, variant] of Object.entries(variants)) {
        ctx.progress(`${name}: ${round < 0 ? 'warm-up' : `rep ${round + 1}/${ctx.reps}`}`);
        const sample = { apply: await applyThenBusy(variant, size), ...(await mapThenBusy(variant, size)) };
        if (round >= 0) for (const [key, value] of Object.entries(sample)) (samples[`${name}|${key}`] ??= []).push(value);
      }
    }
  } finally {
    await Promise.all(Object.values(variants).map((v) => v.pool.terminate()));
  }

  const busy = `${size.tasks.toLocaleString('en')} × ${TASK_MS} ms, then ${size.busyMs} ms busy`;
  for (const name of Object.keys(variants)) {
    const apply = ctx.figure(`flow.apply.${name}`, `${busy}: applyAsync ready() at the end, ${name}`, 'tasks', samples[`${name}|apply`]);
    const waited = ctx.figure(`flow.map.wait.${name}`, `${busy}: mapAsync get() still waiting after, ${name}`, 'ms', samples[`${name}|wait`]);
    ctx.target(
      `flow.apply.${name}`,
      `busy caller: applyAsync done per 1,000, ${name}`,
      { op: '>=', value: GOAL_PER_1000, unit: 'of 1,000' },
      scale(apply, per1000),
      `${fmt(apply.median)} of ${size.tasks} ready() (Python: 772 of 1,000)`,
    );
    // Items done, as far as get()'s leftover wait tells: everything but what 2 workers still had to do.
    const left = (ms) => Math.min(size.tasks, (ms * WORKERS) / TASK_MS);
    const fromWait = {
      min: per1000(size.tasks - left(waited.max)),
      median: per1000(size.tasks - left(waited.median)),
      max: per1000(size.tasks - left(waited.min)),
    };
    if (samples[`${name}|items`]) {
      const items = ctx.figure(
        `flow.map.items.${name}`,
        `${busy}: mapAsync items finished by the workers at the end, ${name}`,
        'items',
        samples[`${name}|items`],
      );
      ctx.target(
        `flow.map.${name}`,
        `busy caller: mapAsync items done per 1,000, ${name}`,
        { op: '>=', value: GOAL_PER_1000, unit: 'of 1,000' },
        scale(items, per1000),
        `counted in shared memory; get() then waited ${fmt(waited.median)} ms`,
      );
    } else {
      ctx.target(
        `flow.map.${name}`,
        `busy caller: mapAsync items done per 1,000, ${name}`,
        { op: '>=', value: GOAL_PER_1000, unit: 'of 1,000' },
        fromWait,
        `from get()'s wait after the loop: ${fmt(waited.median)} ms (issue 10 saw 387 ms)`,
      );
    }
  }
  await python(ctx, size, busy);
}

/** A summary of counts, rescaled to "per 1,000 tasks" so quick mode keeps the same goal. */
function scale(summary, per1000) {
  return { min: per1000(summary.min), median: per1000(summary.median), max: per1000(summary.max) };
}

/** The caller's own work: a loop that never yields and never calls into wasmpool. */
function busyFor(ms) {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

async function applyThenBusy({ pool, kernel }, { tasks, busyMs }) {
  const results = new Array(tasks);
  for (let i = 0; i < tasks; i++) results[i] = pool.applyAsync(kernel, [TASK_MS]);
  busyFor(busyMs);
  let done = 0;
  for (const result of results) if (result.ready()) done++;
  await Promise.all(results.map((r) => r.get()));
  return done;
}

async function mapThenBusy({ pool, kernel, counter }, { tasks, busyMs }) {
  if (counter) Atomics.store(counter, 0, 0);
  const mapped = pool.mapAsync(kernel, new Array(tasks).fill(TASK_MS));
  busyFor(busyMs);
  const items = counter ? Atomics.load(counter, 0) : undefined;
  const t = performance.now();
  const out = await mapped.get();
  const wait = performance.now() - t;
  if (out.length !== tasks) throw new Error(`mapAsync gave ${out.length} results for ${tasks} items`);
  return items === undefined ? { wait } : { wait, items };
}

/** Python's Pool(2) on the same probe, in its own process after ours. */
async function python(ctx, size, busy) {
  const script = fileURLToPath(new URL('./peers/python_flow.py', import.meta.url));
  const args = [script, WORKERS, ctx.warmup, ctx.reps, size.tasks, size.busyMs, TASK_MS].map(String);
  ctx.progress('python multiprocessing.Pool flow probe (separate process)');
  let data;
  try {
    data = JSON.parse(await runProcess('python3', args, (line) => ctx.progress(line)));
  } catch (error) {
    ctx.note(`Python skipped: ${error.message}`);
    return;
  }
  ctx.figure('flow.apply.python', `${busy}: apply_async ready() at the end, Python ${data.python} Pool`, 'tasks', data.apply);
  ctx.figure('flow.map.wait.python', `${busy}: map_async get() still waiting after, Python ${data.python} Pool`, 'ms', data.map);
  const ours = ctx.figures.find((f) => f.id === 'flow.apply.built-in WASM spin');
  const theirs = summarize(data.apply);
  if (ours && theirs.median > 0) ctx.figure('flow.apply.vs-python', 'applyAsync ready() at the end: built-in WASM over Python', '×', ctx.ratio(ours, theirs));
}
