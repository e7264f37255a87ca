// Question 3: what does a task cost to dispatch, next to tinypool, piscina,
// workerpool and Python's multiprocessing.Pool? Same trivial tasks (add,
// square), same worker count (2), same run, interleaved repetitions.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openBareWorker, openPiscina, openTinypool, openWasmpool, openWorkerpool } from './lib/pools.mjs';
import { interleave, median, quantile, summarize } from './lib/stats.mjs';
import { fmt } from './lib/format.mjs';
import { measureReady } from './ready.mjs';

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
  for (const name of ['wasmpool get()', 'wasmpool getSync()']) {
    const r = ctx.ratio(medians[name], medians.tinypool);
    ctx.target(
      `roundtrip.${name}`,
      `round trip ${name} vs tinypool (median)`,
      { op: '<=', value: 0.5 },
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
      tinypool: timed(pools.tinypool.add),
      piscina: timed(pools.piscina.add),
      workerpool: timed(pools.workerpool.add),
      'bare postMessage (1 worker)': timed(bare.add),
    },
    { ...opts, label: `${size.burst} tasks at once` },
  );
  const rates = {};
  for (const [name, reps] of Object.entries(samples)) rates[name] = ctx.figure(`burst.${name}`, `${size.burst} tasks at once: ${name}`, 'tasks/s', reps);
  ctx.target(
    'burst',
    `${size.burst} tasks at once vs tinypool (tasks/s)`,
    { op: '>=', value: 10 },
    ctx.ratio(rates.wasmpool, rates.tinypool),
    `${fmt(rates.wasmpool.median)}/s vs ${fmt(rates.tinypool.median)}/s`,
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
    ctx.target('items.python', label, { op: '>=', value: 1.5 }, undefined, 'python3 not found', 'skipped');
    return;
  }
  ctx.target('items.python', label, { op: '>=', value: 1.5 }, ctx.ratio(ours, theirs), `${fmt(ours.median)}/s vs ${fmt(theirs.median)}/s`);
}

function runProcess(command, args, onLine) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => {
      err += d;
      for (const line of String(d).split('\n')) if (line.trim()) onLine(line.trim());
    });
    child.on('error', (e) => reject(new Error(e.code === 'ENOENT' ? `${command} is not installed` : e.message)));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} exited with ${code}: ${err.slice(-300)}`))));
  });
}
