// Question: does a pool take a million tasks at once (issue 10)? In a child process started with
// --expose-gc, so heap figures are taken after a full collection and nothing else lives in that heap:
//   - 1,000,000 applyAsync('add') submitted in one synchronous loop: tasks/s from the first submission to
//     the last result, and heap bytes per pending task (heapUsed after submitting minus before, over the
//     count, the caller's array of results included: a caller must hold them);
//   - 1,000,000 tiny items through one mapAsync('square'), against Python's pool.map in the same run: the
//     dispatch question measures that pair already (target items.python), so it is reused when dispatch ran
//     first; otherwise both are measured here.
//
//   node bench/run.mjs --only million [--quick]
import { fileURLToPath } from 'node:url';
import { Pool } from 'wasmpool';
import { fmt } from './lib/format.mjs';
import { runProcess } from './lib/process.mjs';

const WORKERS = 2;
const SELF = fileURLToPath(import.meta.url);

function sizes(quick) {
  return quick ? { tasks: 20_000, items: 20_000 } : { tasks: 1_000_000, items: 1_000_000 };
}

export async function run(ctx) {
  ctx.begin('million');
  const size = sizes(ctx.quick);
  const reusing = ctx.targets.some((t) => t.id === 'items.python' && t.value);
  ctx.progress(`${size.tasks.toLocaleString('en')} applyAsync at once (child process, --expose-gc)`);
  const args = ['--expose-gc', SELF, '--child', String(size.tasks), String(reusing ? 0 : size.items), String(ctx.warmup), String(ctx.reps)];
  const data = JSON.parse(await runProcess(process.execPath, args, (line) => ctx.progress(line)));

  const count = size.tasks.toLocaleString('en');
  const rate = ctx.figure('million.rate', `${count} applyAsync('add') at once: submit to last result`, 'tasks/s', data.rate);
  const submit = ctx.figure('million.submit', `${count} applyAsync('add') at once: the submitting loop alone`, 'tasks/s', data.submit);
  const heap = ctx.figure('million.heap', `${count} applyAsync('add') at once: heap per pending task, after submitting`, 'B', data.heapPerTask);
  ctx.target('million.rate', `${count} applyAsync at once`, { op: '>=', value: 500_000, unit: 'tasks/s' }, rate, `submitting alone: ${fmt(submit.median)}/s`);
  ctx.target(
    'million.heap',
    `${count} applyAsync at once: heap per pending task`,
    { op: '<=', value: 250, unit: 'B' },
    heap,
    `heapUsed delta after gc() / ${count}`,
  );

  if (reusing) {
    ctx.note("1,000,000 tiny items vs Python's pool.map: see the dispatch question's target items.python (same run)");
    return;
  }
  const ours = ctx.figure('million.items', `${size.items.toLocaleString('en')} tiny items (square): one mapAsync`, 'items/s', data.map);
  const script = fileURLToPath(new URL('./peers/python_pool.py', import.meta.url));
  let python;
  try {
    // Round trips and the burst are not wanted here: one of each, then the map.
    python = JSON.parse(await runProcess('python3', [script, WORKERS, ctx.warmup, ctx.reps, 1, 1, size.items].map(String), (line) => ctx.progress(line)));
  } catch (error) {
    ctx.target('items.python', "tiny items: mapAsync vs Python's pool.map", { op: '>=', value: 3 }, undefined, error.message, 'skipped');
    return;
  }
  const theirs = ctx.figure(
    'million.items.python',
    `${size.items.toLocaleString('en')} tiny items (square): Python ${python.python} pool.map`,
    'items/s',
    python.map,
  );
  ctx.target(
    'items.python',
    "tiny items: mapAsync vs Python's pool.map",
    { op: '>=', value: 3 },
    ctx.ratio(ours, theirs),
    `${fmt(ours.median)}/s vs ${fmt(theirs.median)}/s`,
  );
}

/** In the --expose-gc child: every repetition on one warm pool; prints one JSON line of raw samples. */
async function child(tasks, items, warmup, reps) {
  if (typeof globalThis.gc !== 'function') throw new Error('bench/million.mjs --child needs node --expose-gc');
  const pool = new Pool({ workers: WORKERS });
  const out = { rate: [], submit: [], heapPerTask: [], map: [] };
  const list = Array.from({ length: items }, (_, i) => i);
  try {
    for (let round = -warmup; round < reps; round++) {
      globalThis.gc();
      const before = process.memoryUsage().heapUsed;
      const t = performance.now();
      const results = new Array(tasks);
      for (let i = 0; i < tasks; i++) results[i] = pool.applyAsync('add', [i, 1]);
      const submitted = performance.now();
      globalThis.gc();
      const heapPerTask = (process.memoryUsage().heapUsed - before) / tasks;
      // The collection above is not the pool's time: take it out of the rate.
      const gcMs = performance.now() - submitted;
      const values = await Promise.all(results.map((r) => r.get()));
      const seconds = (performance.now() - t - gcMs) / 1000;
      if (values[tasks - 1] !== tasks) throw new Error(`the last task gave ${values[tasks - 1]}, not ${tasks}`);
      let mapRate;
      if (items > 0) {
        const m = performance.now();
        const squares = await pool.mapAsync('square', list).get();
        mapRate = items / ((performance.now() - m) / 1000);
        if (squares[items - 1] !== (items - 1) ** 2) throw new Error('mapAsync gave a wrong last square');
      }
      if (round >= 0) {
        out.rate.push(tasks / seconds);
        out.submit.push(tasks / ((submitted - t) / 1000));
        out.heapPerTask.push(heapPerTask);
        if (mapRate !== undefined) out.map.push(mapRate);
      }
      process.stderr.write(`million: ${round < 0 ? 'warm-up' : `rep ${round + 1}/${reps}`}\n`);
    }
  } finally {
    await pool.terminate();
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

if (process.argv[1] === SELF && process.argv[2] === '--child') {
  const [tasks, items, warmup, reps] = process.argv.slice(3).map(Number);
  await child(tasks, items, warmup, reps);
}
