// Question 2: how does each parallel kernel scale on 1..N workers, next to
// the ideal (N×)? And how close does a large shared-array sum come to the
// machine's memory bandwidth, measured in the same run by bare threads
// running the same SIMD sum with no pool around them?
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { Pool } from 'wasmpool';
import { fmt } from './lib/format.mjs';
import { parallelJobs } from './lib/parallel-jobs.mjs';
import { interleave, summarize } from './lib/stats.mjs';

export async function run(ctx) {
  ctx.begin('scaling');
  const maxWorkers = availableParallelism();
  const counts = Array.from({ length: maxWorkers }, (_, i) => i + 1);
  if (maxWorkers < 2) ctx.note('this machine has one CPU: scaling cannot be measured');
  // One pool per worker count, each with its own shared memory and its own copy of the data.
  const pools = counts.map((workers) => {
    const pool = new Pool({ workers });
    if (!pool.memory) throw new Error('the built-in module has no shared memory; scaling needs it');
    return { workers, pool };
  });
  const exported = new Set(WebAssembly.Module.exports(builtInModule()).map((e) => e.name));
  try {
    for (const job of parallelJobs(ctx.quick)) {
      if (!job.kernels.every((name) => exported.has(name))) {
        ctx.note(`${job.name}: kernel not built yet`);
        continue;
      }
      const states = pools.map((p) => job.setup(p.pool));
      const contenders = Object.fromEntries(
        pools.map((p, i) => [
          `${p.workers} worker${p.workers > 1 ? 's' : ''}`,
          () => {
            job.prepare?.(states[i]);
            return timed(() => job.run(p.pool, states[i], p.workers));
          },
        ]),
      );
      const samples = await interleave(contenders, { warmup: ctx.warmup, reps: ctx.reps, progress: ctx.progress, label: job.name });
      const times = Object.values(samples).map((s) => summarize(s));
      times.forEach((t, i) => ctx.figure(`scaling.${job.name}.${counts[i]}`, `${job.label}: ${counts[i]} worker(s)`, 'ms', t));
      for (let i = 1; i < counts.length; i++) {
        const speedup = ctx.ratio(times[0], times[i]);
        ctx.figure(`scaling.${job.name}.${counts[i]}.speedup`, `${job.name} speed-up on ${counts[i]} workers vs 1 (ideal ${counts[i]}.00×)`, '×', speedup, {
          ideal: counts[i],
        });
        if (job.computeBound && counts[i] === 2) {
          ctx.target(
            `scaling.${job.name}`,
            `${job.name}: 2 workers vs 1`,
            { op: '>=', value: 1.9 },
            speedup,
            `${fmt(times[0].median)} ms → ${fmt(times[i].median)} ms`,
          );
        }
      }
      if (job.bytes) await bandwidth(ctx, job, pools.at(-1), states.at(-1), times.at(-1));
      // Give the shared memory back before the next job (views on plain buffers are the job's own).
      states.forEach((state, i) => {
        for (const [name, view] of Object.entries(state)) {
          if (!(view.buffer instanceof SharedArrayBuffer)) continue;
          try {
            pools[i].pool.free(view);
          } catch (error) {
            // Seen on this branch: the pool no longer recognises a view it allocated. If free()
            // cannot, lowering cannot either, and the kernel got a copy instead of the view.
            ctx.note(
              `${job.name} on ${pools[i].workers} worker(s): pool.free(${name}) failed (${error.message.slice(0, 80)}…); its tasks may have been given copies, not the shared view`,
            );
          }
        }
      });
    }
  } finally {
    await Promise.all(pools.map((p) => p.pool.terminate()));
  }
}

async function timed(fn) {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

function builtInModule() {
  return new WebAssembly.Module(readFileSync(new URL(import.meta.resolve('wasmpool/kernels.wasm'))));
}

/**
 * The shared-array sum on N pool workers, as a fraction of the machine's
 * bandwidth: the better of N bare threads running the same WASM sum over the
 * same memory (no pool), and a one-thread memcpy (bytes read + written).
 */
async function bandwidth(ctx, job, { pool, workers }, { x }, poolTime) {
  const module = builtInModule();
  const threads = Array.from(
    { length: workers },
    () => new Worker(new URL('./peers/raw-kernel-worker.mjs', import.meta.url), { workerData: { module, memory: pool.memory } }),
  );
  try {
    const n = x.length;
    const ask = (worker, args) => new Promise((resolve) => worker.once('message', resolve).postMessage({ kernel: 'sumF64', args }));
    const bare = async () => {
      const t = performance.now();
      const parts = threads.map((_, i) => {
        const start = Math.floor((n * i) / workers);
        const end = Math.floor((n * (i + 1)) / workers);
        return ask(threads[i], [x.byteOffset + start * 8, end - start]);
      });
      const total = (await Promise.all(parts)).reduce((a, b) => a + b, 0);
      if (total !== n) throw new Error('the bare-thread sum was wrong');
      return performance.now() - t;
    };
    const copyFrom = x.subarray(0, n >> 1);
    const copyTo = new Float64Array(n >> 1);
    const memcpy = async () => {
      const t = performance.now();
      copyTo.set(copyFrom);
      return performance.now() - t;
    };
    const samples = await interleave({ raw: bare, memcpy }, { warmup: ctx.warmup, reps: ctx.reps, progress: ctx.progress, label: 'bandwidth reference' });
    const gbs = (ms, b = job.bytes) => b / 1e9 / (ms / 1000);
    const flip = (t, b) => ({ median: gbs(t.median, b), min: gbs(t.max, b), max: gbs(t.min, b) });
    const raw = ctx.figure('bandwidth.raw', `memory bandwidth: bare ${workers}-thread WASM SIMD sum (no pool)`, 'GB/s', flip(summarize(samples.raw)));
    const copy = ctx.figure(
      'bandwidth.memcpy',
      'memory bandwidth: one-thread memcpy (bytes read + written)',
      'GB/s',
      flip(summarize(samples.memcpy), copyFrom.byteLength * 2),
    );
    const reference = raw.median >= copy.median ? raw : copy;
    const ours = ctx.figure('bandwidth.pool', `memory bandwidth: shared-array sum on ${workers} pool workers`, 'GB/s', flip(poolTime));
    ctx.target(
      'bandwidth',
      `shared-array sum: fraction of memory bandwidth`,
      { op: '>=', value: 0.8 },
      ctx.ratio(ours, reference),
      `${fmt(ours.median)} vs ${fmt(reference.median)} GB/s (${reference === raw ? 'bare-thread sum' : 'memcpy'})`,
    );
  } finally {
    await Promise.all(threads.map((t) => t.terminate()));
  }
}
