// A separable Gaussian blur of a size × size Float32 image, three ways in one run: plain JavaScript on this
// thread, and the AssemblyScript kernel of blur.ts on a pool of 1 and of 2 workers, the image in pool.alloc
// arrays (no copies) and each pass split with pool.parallel (bands of rows, then bands of columns). Checks that
// both pools' results are bit-identical to the JavaScript, then prints the median time of each.
//
//   node examples/blur/run.mjs [--size 4096] [--sigma 2] [--reps 5] [--workers 2]
//
// Needs `assemblyscript` installed (npm install --save-dev assemblyscript): the first Pool.create compiles blur.ts
// without blocking this thread (about a second); later ones take the binary from the compile cache.
import { Pool } from 'wasmpool';
import { parseArgs } from 'node:util';
import { allocImage, blurJs, blurOnPool, fillImage, gaussianWeights } from './reference.mjs';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '4096' },
    sigma: { type: 'string', default: '2' },
    reps: { type: 'string', default: '5' },
    workers: { type: 'string', default: '2' },
  },
});
const size = Number(values.size);
const sigma = Number(values.sigma);
const reps = Number(values.reps);
const workers = Number(values.workers);
for (const [name, value] of Object.entries({ size, reps, workers })) {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`Expected \`--${name}\` to be a positive integer, got ${values[name]}`);
}
if (!(sigma > 0)) throw new RangeError(`Expected \`--sigma\` to be a positive number, got ${values.sigma}`);

const weights = gaussianWeights(sigma);

/** One pool with its image, scratch and output in its shared memory. */
async function blurPool(count) {
  const pool = await Pool.create({ module: new URL('./blur.ts', import.meta.url), workers: count });
  const image = allocImage(pool, size, weights);
  const parts = count * 4; // more parts than workers: one that finishes early takes the next
  return {
    pool,
    dst: image.dst,
    run: () => blurOnPool(pool, { ...image, parts }),
  };
}

const median = (times) => [...times].sort((a, b) => a - b)[times.length >> 1];

const src = new Float32Array(size * size);
const tmp = new Float32Array(size * size);
const dst = new Float32Array(size * size);
fillImage(src, size);
const one = await blurPool(1);
const many = await blurPool(workers);
try {
  const times = { js: [], one: [], many: [] };
  // Warm-up (JIT, first-touch of the pools' memory), then the three interleaved, so load on a shared machine
  // falls on all of them alike.
  blurJs(src, tmp, dst, size, size, weights);
  await one.run();
  await many.run();
  for (let rep = 0; rep < reps; rep++) {
    let start = performance.now();
    blurJs(src, tmp, dst, size, size, weights);
    times.js.push(performance.now() - start);
    start = performance.now();
    await one.run();
    times.one.push(performance.now() - start);
    start = performance.now();
    await many.run();
    times.many.push(performance.now() - start);
  }

  const expected = new Uint32Array(dst.buffer);
  for (const [name, pool] of [
    ['1 worker', one],
    [`${workers} workers`, many],
  ]) {
    const got = new Uint32Array(pool.dst.buffer, pool.dst.byteOffset, pool.dst.length);
    const first = got.findIndex((bits, i) => bits !== expected[i]);
    if (first >= 0) throw new Error(`wasmpool on ${name} differs from plain JS at pixel ${first}: ${pool.dst[first]} vs ${dst[first]}`);
  }

  const js = median(times.js);
  const t1 = median(times.one);
  const tn = median(times.many);
  const ms = (t) => `${t.toFixed(1)} ms`;
  const range = (list) => `(${Math.min(...list).toFixed(1)}–${Math.max(...list).toFixed(1)})`;
  console.log(`Gaussian blur, sigma ${sigma} (${weights.length} taps per pass), ${size}×${size} Float32, median (min–max) of ${reps}:`);
  console.log(`  plain JS, this thread   ${ms(js)} ${range(times.js)}`);
  console.log(`  wasmpool, 1 worker      ${ms(t1)} ${range(times.one)}  ${(js / t1).toFixed(2)}× plain JS`);
  console.log(`  wasmpool, ${workers} workers     ${ms(tn)} ${range(times.many)}  ${(js / tn).toFixed(2)}× plain JS, ${(t1 / tn).toFixed(2)}× 1 worker`);
  console.log('  both pools bit-identical to plain JS');
} finally {
  await one.pool.terminate();
  await many.pool.terminate();
}
