// Question: what do elastic pools, priorities and metrics cost (issue 12)?
//   - cold start: time to the first result on a `minWorkers: 0` pool (no thread yet), against the same
//     pool's warm one-at-a-time round trip;
//   - idle footprint: RSS of a process whose `minWorkers: 0` pool ran work and shrank back to no worker
//     (short idleTimeout), against a process that imported wasmpool and never made a pool; each in its own
//     child process after a gc() (goal: within 10%);
//   - priorities: a priority-10 task submitted behind 100,000 queued priority-0 tasks of one unit each
//     (a JS kernel spinning UNIT_MS): from its submission to its start, in units (goal: ≤ 1 unit, the time
//     for a busy worker to finish what it runs). The start comes back as the task's own result
//     (performance.timeOrigin + now in the worker), the clock every thread shares;
//   - metrics: the one-at-a-time round trip with and without a pool.stats() read after every task.
import { fileURLToPath } from 'node:url';
import { Pool } from 'wasmpool';
import { interleave, median } from './lib/stats.mjs';
import { fmt } from './lib/format.mjs';
import { runProcess } from './lib/process.mjs';

const WORKERS = 2;
const UNIT_MS = 2;
const IDLE_TIMEOUT_MS = 50;
const SELF = fileURLToPath(import.meta.url);
const jsTasksUrl = new URL('./lib/tasks.mjs', import.meta.url);

export async function run(ctx) {
  ctx.begin('elastic');
  const size = ctx.quick ? { trips: 100, queued: 5_000 } : { trips: 1_000, queued: 100_000 };
  await coldStart(ctx, size);
  await idleRss(ctx);
  await priority(ctx, size);
  await statsCost(ctx, size);
}

async function coldStart(ctx, { trips }) {
  const cold = [];
  const warm = [];
  for (let round = -ctx.warmup; round < ctx.reps; round++) {
    ctx.progress(`cold start: ${round < 0 ? 'warm-up' : `rep ${round + 1}/${ctx.reps}`}`);
    const pool = new Pool({ workers: WORKERS, minWorkers: 0 });
    try {
      if (pool.stats().workers !== 0) throw new Error(`a minWorkers: 0 pool started with ${pool.stats().workers} workers`);
      const t = performance.now();
      await pool.applyAsync('add', [1, 2]).get();
      const first = (performance.now() - t) * 1000;
      const times = [];
      for (let i = 0; i < trips; i++) {
        const s = performance.now();
        await pool.applyAsync('add', [i, 1]).get();
        times.push((performance.now() - s) * 1000);
      }
      if (round >= 0) {
        cold.push(first);
        warm.push(median(times));
      }
    } finally {
      await pool.terminate();
    }
  }
  const first = ctx.figure('elastic.cold.first', 'minWorkers: 0 pool, no worker yet: submit to first result', 'µs', cold);
  const trip = ctx.figure('elastic.cold.warm', 'the same pool once warm: round trip, one at a time (median)', 'µs', warm);
  ctx.figure('elastic.cold.ratio', 'cold first result over warm round trip', '×', ctx.ratio(first, trip));
}

async function idleRss(ctx) {
  const samples = await interleave(
    {
      pool: () => rssChild('pool'),
      none: () => rssChild('none'),
    },
    { warmup: ctx.warmup, reps: ctx.reps, progress: ctx.progress, label: 'idle RSS (child processes)' },
  );
  const pooled = ctx.figure('elastic.rss.pool', `RSS, idle minWorkers: 0 pool shrunk back (idleTimeout ${IDLE_TIMEOUT_MS} ms)`, 'MB', samples.pool);
  const none = ctx.figure('elastic.rss.none', 'RSS, a process that imported wasmpool and made no pool', 'MB', samples.none);
  ctx.target(
    'elastic.rss',
    'idle minWorkers: 0 pool RSS vs no pool',
    { op: '<=', value: 1.1 },
    ctx.ratio(pooled, none),
    `${fmt(pooled.median)} MB vs ${fmt(none.median)} MB`,
  );
}

async function rssChild(kind) {
  const out = await runProcess(process.execPath, ['--expose-gc', SELF, '--rss-child', kind], () => {});
  return JSON.parse(out).rssMB;
}

async function priority(ctx, { queued }) {
  const delays = [];
  for (let round = -ctx.warmup; round < ctx.reps; round++) {
    ctx.progress(`priority behind ${queued.toLocaleString('en')}: ${round < 0 ? 'warm-up' : `rep ${round + 1}/${ctx.reps}`}`);
    const pool = new Pool({ workers: WORKERS, module: jsTasksUrl });
    try {
      await pool.mapAsync('startedAt', [0, 0, 0, 0], { chunksize: 1 }).get();
      const low = new Array(queued);
      for (let i = 0; i < queued; i++) low[i] = pool.applyAsync('startedAt', [UNIT_MS]);
      // Both workers busy with the queue before the urgent task arrives: wait for the first low result.
      await low[0].get();
      const submitted = performance.timeOrigin + performance.now();
      const started = await pool.applyAsync('startedAt', [0], { priority: 10 }).get();
      if (round >= 0) delays.push((started - submitted) / UNIT_MS);
      const left = low.filter((r) => !r.ready()).length;
      if (left === 0) throw new Error('every priority-0 task ran before the priority-10 one was measured; queue more');
    } finally {
      await pool.terminate();
    }
  }
  const delay = ctx.figure(
    'elastic.priority',
    `priority-10 task behind ${queued.toLocaleString('en')} queued priority-0: submit to start`,
    `units of ${UNIT_MS} ms`,
    delays,
  );
  ctx.target(
    'elastic.priority',
    `priority 10 behind ${queued.toLocaleString('en')} queued: submit to start`,
    { op: '<=', value: 1, unit: 'units' },
    delay,
    `one unit = a ${UNIT_MS} ms task`,
  );
}

async function statsCost(ctx, { trips }) {
  const pool = new Pool({ workers: WORKERS });
  let sink = 0;
  const timed = (readStats) => async () => {
    const times = [];
    for (let i = 0; i < trips; i++) {
      const t = performance.now();
      await pool.applyAsync('add', [i, 1]).get();
      if (readStats) sink += pool.stats().running;
      times.push((performance.now() - t) * 1000);
    }
    return median(times);
  };
  try {
    const samples = await interleave(
      { plain: timed(false), stats: timed(true) },
      { warmup: ctx.warmup, reps: ctx.reps, progress: ctx.progress, label: 'round trip with stats()' },
    );
    const plain = ctx.figure('elastic.stats.plain', 'round trip get(), one at a time (median)', 'µs', samples.plain);
    const read = ctx.figure('elastic.stats.read', 'round trip get() then pool.stats(), one at a time (median)', 'µs', samples.stats);
    ctx.figure('elastic.stats.ratio', 'round trip with pool.stats() after every task over without', '×', ctx.ratio(read, plain));
  } finally {
    await pool.terminate();
  }
  if (Number.isNaN(sink)) throw new Error('unreachable: keeps the stats() reads from being optimised away');
}

/** Child: the RSS of one of the two processes the idle-footprint figure compares; one JSON line. */
async function rssChildMain(kind) {
  if (kind === 'pool') {
    const pool = new Pool({ workers: WORKERS, minWorkers: 0, idleTimeout: IDLE_TIMEOUT_MS });
    await Promise.all(Array.from({ length: 1_000 }, (_, i) => pool.applyAsync('add', [i, 1]).get()));
    await pool
      .mapAsync(
        'square',
        Array.from({ length: 10_000 }, (_, i) => i),
      )
      .get();
    // Shrinking is the pool's own timer; a bench may poll for it (the tests handshake instead).
    const giveUp = performance.now() + 10_000;
    while (pool.stats().workers > 0) {
      if (performance.now() > giveUp) throw new Error(`the pool still had ${pool.stats().workers} workers 10 s after its work`);
      await new Promise((resolve) => setTimeout(resolve, IDLE_TIMEOUT_MS));
    }
    globalThis.pool = pool; // still open: an idle pool, not a closed one
  }
  // Both processes settle the same way before the reading.
  await new Promise((resolve) => setTimeout(resolve, 200));
  globalThis.gc();
  process.stdout.write(JSON.stringify({ kind, rssMB: process.memoryUsage().rss / 2 ** 20 }) + '\n');
  await globalThis.pool?.terminate();
}

if (process.argv[1] === SELF && process.argv[2] === '--rss-child') await rssChildMain(process.argv[3]);
