// Question 3: what does a task cost to dispatch, next to tinypool, piscina,
// workerpool and Python's multiprocessing.Pool? Same trivial tasks (add,
// square), same worker count (2), same run, interleaved repetitions. wasmpool
// runs twice: on its built-in WASM kernels and on a JS task module
// (bench/lib/tasks.mjs), the targets of issue 10 differing between them. The
// floor (../shared/anchors/dispatch-floor.mjs: a hand-written shared-memory
// ring and a bare postMessage pool) is measured afterwards, as reference rows.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openBareWorker, openPiscina, openTinypool, openWasmpool, openWorkerpool } from './lib/pools.mjs';
import { interleave, median, quantile, summarize } from './lib/stats.mjs';
import { fmt } from './lib/format.mjs';
import { measureReady } from './ready.mjs';
import { runProcess } from './lib/process.mjs';

const WORKERS = 2;

export async function run(ctx) {
  ctx.begin('dispatch');
  const size = ctx.quick
    ? { roundtrips: 300, budgetMs: 400, burst: 10_000, items: 1_000_000, peerItems: 20_000 }
    : { roundtrips: 2_000, budgetMs: 3_000, burst: 10_000, items: 1_000_000, peerItems: peerItemsOption() ?? 1_000_000 };
  const opts = { warmup: ctx.warmup, reps: ctx.reps, progress: ctx.progress };

  // Every pool stays open for the whole question so repetitions can interleave;
  // idle workers of the others sleep in Atomics.wait or on a port, using no CPU.
  // Python runs afterwards: it is its own process and cannot be interleaved.
  const pools = {
    wasmpool: openWasmpool(WORKERS),
    'wasmpool JS': openWasmpool(WORKERS, { js: true }),
    tinypool: openTinypool(WORKERS),
    piscina: openPiscina(WORKERS),
    workerpool: openWorkerpool(WORKERS),
  };
  const bare = openBareWorker();
  try {
    await roundTrips(ctx, pools, bare, size, opts);
    await bursts(ctx, pools, bare, size, opts);
    // Five repetitions, the minimum, here: with 1,000,000 items a peer's repetition takes ~30 s.
    await tinyItems(ctx, pools, size, { ...opts, reps: Math.min(opts.reps, 5) });
  } finally {
    await Promise.all([...Object.values(pools).map((p) => p.close()), bare.close()]);
  }
  await python(ctx, size);
  compareWithPython(ctx);
  await measureReady(ctx, WORKERS);
  await floor(ctx, size);
}

/** One task at a time: per repetition, the median and p99 of up to `roundtrips` calls (or `budgetMs`). */
async function roundTrips(ctx, pools, bare, size, opts) {
  const timed = (call) => async () => {
    const latencies = [];
    const stop = performance.now() + size.budgetMs;
    for (let i = 0; i < size.roundtrips && performance.now() < stop; i++) {
      const t = performance.now();
      await call(i);
      latencies.push((performance.now() - t) * 1000);
    }
    return { median: median(latencies), p99: quantile(latencies, 0.99), calls: latencies.length };
  };
  const timedSync = (call) => async () => {
    const latencies = [];
    const stop = performance.now() + size.budgetMs;
    for (let i = 0; i < size.roundtrips && performance.now() < stop; i++) {
      const t = performance.now();
      call(i);
      latencies.push((performance.now() - t) * 1000);
    }
    return { median: median(latencies), p99: quantile(latencies, 0.99), calls: latencies.length };
  };
  const samples = await interleave(
    {
      'wasmpool get()': timed(pools.wasmpool.add),
      'wasmpool getSync()': timedSync(pools.wasmpool.addSync),
      'wasmpool JS get()': timed(pools['wasmpool JS'].add),
      'wasmpool JS getSync()': timedSync(pools['wasmpool JS'].addSync),
      tinypool: timed(pools.tinypool.add),
      piscina: timed(pools.piscina.add),
      workerpool: timed(pools.workerpool.add),
      'bare postMessage (1 worker)': timed(bare.add),
    },
    { ...opts, label: 'round trip' },
  );
  const medians = {};
  for (const [name, reps] of Object.entries(samples)) {
    const calls = Math.min(...reps.map((r) => r.calls));
    medians[name] = ctx.figure(
      `roundtrip.${name}.median`,
      `round trip, one at a time: ${name} (median)`,
      'µs',
      reps.map((r) => r.median),
      { callsPerRep: calls },
    );
    ctx.figure(
      `roundtrip.${name}.p99`,
      `round trip, one at a time: ${name} (p99)`,
      'µs',
      reps.map((r) => r.p99),
      { callsPerRep: calls },
    );
  }
  // Issue 10: get() within 0.2× tinypool (the floor is 0.09×), getSync() within 0.1×, for both kinds of module.
  const goals = { 'wasmpool get()': 0.2, 'wasmpool getSync()': 0.1, 'wasmpool JS get()': 0.2, 'wasmpool JS getSync()': 0.1 };
  for (const [name, goal] of Object.entries(goals)) {
    const r = ctx.ratio(medians[name], medians.tinypool);
    ctx.target(
      `roundtrip.${name}`,
      `round trip ${name} vs tinypool (median)`,
      { op: '<=', value: goal },
      r,
      `${fmt(medians[name].median)} µs vs ${fmt(medians.tinypool.median)} µs`,
    );
  }
}

/** 10,000 tasks submitted at once; tasks/s until the last result is in. */
async function bursts(ctx, pools, bare, size, opts) {
  const timed = (call) => async () => {
    const t = performance.now();
    const pending = new Array(size.burst);
    for (let i = 0; i < size.burst; i++) pending[i] = call(i);
    await Promise.all(pending);
    return size.burst / ((performance.now() - t) / 1000);
  };
  const samples = await interleave(
    {
      wasmpool: timed(pools.wasmpool.add),
      'wasmpool JS': timed(pools['wasmpool JS'].add),
      tinypool: timed(pools.tinypool.add),
      piscina: timed(pools.piscina.add),
      workerpool: timed(pools.workerpool.add),
      'bare postMessage (1 worker)': timed(bare.add),
    },
    { ...opts, label: `${size.burst} tasks at once` },
  );
  const rates = {};
  for (const [name, reps] of Object.entries(samples)) rates[name] = ctx.figure(`burst.${name}`, `${size.burst} tasks at once: ${name}`, 'tasks/s', reps);
  // Issue 10: at least 20× tinypool on the built-in WASM `add`, 10× with a JS module.
  ctx.target(
    'burst',
    `${size.burst} tasks at once vs tinypool, built-in WASM add (tasks/s)`,
    { op: '>=', value: 20 },
    ctx.ratio(rates.wasmpool, rates.tinypool),
    `${fmt(rates.wasmpool.median)}/s vs ${fmt(rates.tinypool.median)}/s`,
  );
  ctx.target(
    'burst.js',
    `${size.burst} tasks at once vs tinypool, JS module add (tasks/s)`,
    { op: '>=', value: 10 },
    ctx.ratio(rates['wasmpool JS'], rates.tinypool),
    `${fmt(rates['wasmpool JS'].median)}/s vs ${fmt(rates.tinypool.median)}/s`,
  );
}

/** Many tiny items: wasmpool's chunked mapAsync vs each peer's one task per item. */
async function tinyItems(ctx, pools, size, opts) {
  const items = Array.from({ length: size.items }, (_, i) => i);
  const peerItems = items.slice(0, size.peerItems);
  if (size.peerItems < size.items) {
    ctx.note(
      `quick mode: peers run ${size.peerItems.toLocaleString('en')} items per repetition, not ${size.items.toLocaleString('en')}; rates are items/s either way`,
    );
  }
  // The warm-up round uses a small list: its job is to warm the JIT, not to spend 30 s per peer.
  let warm = true;
  const timed = (map, full) => async () => {
    const list = warm ? full.slice(0, 20_000) : full;
    const t = performance.now();
    const out = await map(list);
    if (out.length !== list.length || out[list.length - 1] !== (list.length - 1) ** 2) throw new Error('a map returned wrong results');
    return list.length / ((performance.now() - t) / 1000);
  };
  const contenders = {
    'wasmpool mapAsync': timed(pools.wasmpool.map, items),
    tinypool: timed(pools.tinypool.map, peerItems),
    piscina: timed(pools.piscina.map, peerItems),
    workerpool: timed(pools.workerpool.map, peerItems),
  };
  // Interleave by hand so the warm-up flag can drop after the first round.
  const samples = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]));
  for (let round = -opts.warmup; round < opts.reps; round++) {
    warm = round < 0;
    for (const [name, run] of Object.entries(contenders)) {
      opts.progress(`tiny items: ${name} ${warm ? 'warm-up' : `rep ${round + 1}/${opts.reps}`}`);
      const sample = await run();
      if (!warm) samples[name].push(sample);
    }
  }
  for (const [name, reps] of Object.entries(samples)) {
    const n = name.startsWith('wasmpool') ? size.items : size.peerItems;
    ctx.figure(`items.${name}`, `tiny items (square): ${name}, ${n.toLocaleString('en')} items`, 'items/s', reps, { items: n });
  }
  const ours = summarize(samples['wasmpool mapAsync']);
  const theirs = summarize(samples.tinypool);
  ctx.target(
    'items.tinypool',
    'tiny items: mapAsync vs tinypool one task per item',
    { op: '>=', value: 100 },
    ctx.ratio(ours, theirs),
    `${fmt(ours.median)}/s vs ${fmt(theirs.median)}/s`,
  );
}

/** `--peer-items N`: fewer items per peer repetition (1,000,000 at ~30k/s is about 30 s each). */
function peerItemsOption() {
  const at = process.argv.indexOf('--peer-items');
  if (at < 0) return undefined;
  const n = Number(process.argv[at + 1]);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`Expected \`--peer-items\` to be a positive integer, got ${process.argv[at + 1]}`);
  return n;
}

/** Runs bench/peers/python_pool.py; its figures join the same table. */
async function python(ctx, size) {
  const script = fileURLToPath(new URL('./peers/python_pool.py', import.meta.url));
  const args = [script, WORKERS, ctx.warmup, ctx.reps, Math.min(size.roundtrips, 1000), size.burst, size.items].map(String);
  ctx.progress('python multiprocessing.Pool (separate process)');
  let out;
  try {
    out = await runProcess('python3', args, (line) => ctx.progress(line));
  } catch (error) {
    ctx.note(`Python skipped: ${error.message}`);
    return;
  }
  const data = JSON.parse(out);
  ctx.figure(
    'roundtrip.python.median',
    `round trip, one at a time: Python ${data.python} Pool (median)`,
    'µs',
    data.roundtrip.map((r) => r.median),
  );
  ctx.figure(
    'roundtrip.python.p99',
    `round trip, one at a time: Python ${data.python} Pool (p99)`,
    'µs',
    data.roundtrip.map((r) => r.p99),
  );
  ctx.figure('burst.python', `${size.burst} tasks at once: Python ${data.python} Pool`, 'tasks/s', data.burst);
  ctx.figure('items.python', `tiny items (square): Python ${data.python} pool.map, ${size.items.toLocaleString('en')} items`, 'items/s', data.map, {
    items: size.items,
  });
}

function compareWithPython(ctx) {
  const ours = ctx.figures.find((f) => f.id === 'items.wasmpool mapAsync');
  const theirs = ctx.figures.find((f) => f.id === 'items.python');
  const label = "tiny items: mapAsync vs Python's pool.map";
  if (!theirs) {
    ctx.target('items.python', label, { op: '>=', value: 3 }, undefined, 'python3 not found', 'skipped');
    return;
  }
  // Issue 10: 1,000,000 tiny items at least 3× Python's pool.map (the million question reads this target).
  ctx.target('items.python', label, { op: '>=', value: 3 }, ctx.ratio(ours, theirs), `${fmt(ours.median)}/s vs ${fmt(theirs.median)}/s`);
}

/**
 * The floor under any pool, as reference figures beside ours: a hand-written shared-memory ring
 * (hand-sab) and a bare postMessage pool (hand-post), each run by ../shared/anchors/dispatch-floor.mjs
 * in its own process, same worker count. One run each (the script takes its own medians), after ours,
 * so they never share the cores with the pools above.
 */
async function floor(ctx, size) {
  const script = fileURLToPath(new URL('../../shared/anchors/dispatch-floor.mjs', import.meta.url));
  if (!existsSync(script)) {
    ctx.note(`floor reference skipped: ${script} is absent (it comes with the workspace's shared/anchors)`);
    return;
  }
  const reference = {};
  for (const impl of ['hand-sab', 'hand-post']) {
    ctx.progress(`floor reference: ${impl} (separate process)`);
    const args = [script, `--impl=${impl}`, `--workers=${WORKERS}`, `--lat=${size.roundtrips}`, `--tput=${size.burst}`, `--items=${size.peerItems}`];
    let row;
    try {
      row = JSON.parse((await runProcess(process.execPath, args, (line) => ctx.progress(line))).trim().split('\n').at(-1));
    } catch (error) {
      ctx.note(`floor reference ${impl} failed: ${error.message}`);
      continue;
    }
    const one = (value) => ({ min: value, median: value, max: value, reps: 1 });
    reference[impl] = {
      roundtrip: ctx.figure(`floor.${impl}.roundtrip`, `floor reference ${impl}: round trip, one at a time (median)`, 'µs', one(row.lat_us.median), {
        reference: true,
      }),
      burst: ctx.figure(`floor.${impl}.burst`, `floor reference ${impl}: ${size.burst.toLocaleString('en')} tasks at once`, 'tasks/s', one(row.tput_tps), {
        reference: true,
      }),
    };
  }
  // "How much over the floor": ours divided by the shared-memory ring's, same run (not targets, the issue asks to explain them).
  const sab = reference['hand-sab'];
  if (!sab) return;
  const ours = (id) => ctx.figures.find((f) => f.id === id);
  for (const name of ['wasmpool get()', 'wasmpool getSync()', 'wasmpool JS get()', 'wasmpool JS getSync()']) {
    const figure = ours(`roundtrip.${name}.median`);
    if (figure) ctx.figure(`floor.over.roundtrip.${name}`, `round trip ${name} over the hand-sab floor`, '×', ctx.ratio(figure, sab.roundtrip));
  }
  for (const name of ['wasmpool', 'wasmpool JS']) {
    const figure = ours(`burst.${name}`);
    if (figure)
      ctx.figure(`floor.over.burst.${name}`, `${size.burst.toLocaleString('en')} at once: hand-sab floor over ${name}`, '×', ctx.ratio(sab.burst, figure));
  }
}
