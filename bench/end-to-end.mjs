// Question 4: one realistic job (a mandelbrot image) four ways, in one run:
// plain JS on the main thread, JS on the pool, WASM on the pool with plain
// typed arrays (the pool copies each band into shared memory and back), and
// WASM on the pool with shared arrays from pool.alloc (no copies).
import { availableParallelism } from 'node:os';
import { Pool } from 'wasmpool';
import { fmt } from './lib/format.mjs';
import { loadTwins } from './lib/kernel-host.mjs';
import { interleave, summarize } from './lib/stats.mjs';

const MAX_ITER = 256;

export async function run(ctx) {
  ctx.begin('end-to-end');
  const twins = await loadTwins();
  if (typeof twins.mandelbrot !== 'function') {
    ctx.note('mandelbrot JS twin not built yet: end-to-end skipped');
    return;
  }
  const w = ctx.quick ? 768 : 4096;
  const workers = availableParallelism();
  const bands = workers * 8;
  const step = 2.5 / w;
  const args = (r0) => [w, r0, MAX_ITER, -2, -1.25, step];
  const rowsOf = (i) => [Math.floor((w * i) / bands), Math.floor((w * (i + 1)) / bands)];
  const ranges = Array.from({ length: bands }, (_, i) => rowsOf(i));
  const label = `mandelbrot ${w}×${w}, ${MAX_ITER} iterations, ${workers} workers, ${bands} bands`;

  const jsPool = new Pool({ workers, module: new URL('./peers/mandelbrot-task.mjs', import.meta.url) });
  const wasmPool = new Pool({ workers });
  const shared = wasmPool.alloc(Uint32Array, w * w);
  const plain = new Uint32Array(w * w);
  const reference = new Uint32Array(w * w);
  try {
    const contenders = {
      'JS, main thread': () => twins.mandelbrot(reference, ...args(0)),
      'JS on the pool': async () => {
        const parts = await jsPool.starmap(
          'band',
          ranges.map(([r0, r1]) => [w, r0, r1 - r0, MAX_ITER, -2, -1.25, step]),
          { chunksize: 1 },
        );
        parts.forEach((part, i) => plain.set(part, ranges[i][0] * w));
      },
      'WASM on the pool, plain arrays (copied)': () =>
        wasmPool.starmap(
          'mandelbrot',
          ranges.map(([r0, r1]) => [plain.subarray(r0 * w, r1 * w), ...args(r0)]),
          { chunksize: 1 },
        ),
      'WASM on the pool, shared arrays': () =>
        wasmPool.starmap(
          'mandelbrot',
          ranges.map(([r0, r1]) => [shared.subarray(r0 * w, r1 * w), ...args(r0)]),
          { chunksize: 1 },
        ),
    };
    const timed = Object.fromEntries(
      Object.entries(contenders).map(([name, fn]) => [
        name,
        async () => {
          const t = performance.now();
          await fn();
          return performance.now() - t;
        },
      ]),
    );
    const samples = await interleave(timed, { warmup: ctx.warmup, reps: ctx.reps, progress: ctx.progress, label: 'mandelbrot' });
    // Every way must draw the same picture (the twin is exact: integer counts).
    const centre = (w / 2) * w + w / 2;
    if (shared[centre] !== MAX_ITER || plain[centre] !== MAX_ITER || reference[centre] !== MAX_ITER) throw new Error('a mandelbrot variant drew a wrong image');
    const base = summarize(samples['JS, main thread']);
    for (const [name, s] of Object.entries(samples)) {
      const t = ctx.figure(`e2e.${name}`, `${label}: ${name}`, 'ms', s);
      if (name !== 'JS, main thread') ctx.figure(`e2e.${name}.speedup`, `${name}: speed-up over JS on the main thread`, '×', ctx.ratio(base, t));
    }
    const best = summarize(samples['WASM on the pool, shared arrays']);
    ctx.note(
      `WASM + shared arrays on ${workers} workers ran ${fmt(base.median / best.median)}× faster than plain JS on the main thread (no target in the issue)`,
    );
  } finally {
    wasmPool.free(shared);
    await Promise.all([jsPool.terminate(), wasmPool.terminate()]);
  }
}
