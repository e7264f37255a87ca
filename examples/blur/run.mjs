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

// Gaussian weights, normalized to sum 1, radius 3 sigma.
const radius = Math.ceil(3 * sigma);
const weights = Float64Array.from({ length: 2 * radius + 1 }, (_, k) => Math.exp(-((k - radius) ** 2) / (2 * sigma * sigma)));
const total = weights.reduce((a, b) => a + b, 0);
for (let k = 0; k < weights.length; k++) weights[k] /= total;

/** A test image: smooth gradients plus noise from a seeded xorshift, so every run blurs the same pixels. */
function fillImage(image) {
  let state = 0x9e3779b9;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      image[y * size + x] = Math.sin(x / 37) * Math.cos(y / 53) + (state >>> 0) / 2 ** 32;
    }
  }
}

const clamp = (i, n) => (i < 0 ? 0 : i >= n ? n - 1 : i);

/** The same two passes as blur.ts, in plain JavaScript: the same additions in the same order. */
function blurJs(src, tmp, dst, width, height, w) {
  const taps = w.length;
  const r = taps >> 1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let k = 0; k < taps; k++) s += w[k] * src[row + clamp(x + k - r, width)];
      tmp[row + x] = s;
    }
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let k = 0; k < taps; k++) s += w[k] * tmp[clamp(y + k - r, height) * width + x];
      dst[y * width + x] = s;
    }
  }
}

/** One pool with its image, scratch and output in its shared memory. */
async function blurPool(count) {
  const pool = await Pool.create({ module: new URL('./blur.ts', import.meta.url), workers: count });
  const src = pool.alloc(Float32Array, size * size);
  const tmp = pool.alloc(Float32Array, size * size);
  const dst = pool.alloc(Float32Array, size * size);
  const w = pool.alloc(Float64Array, weights.length);
  w.set(weights);
  fillImage(src);
  const parts = count * 4; // more parts than workers: one that finishes early takes the next
  return {
    pool,
    dst,
    async run() {
      await pool.parallel('blurRows', {
        length: size,
        parts,
        args: (y0, y1) => [src.subarray(y0 * size, y1 * size), tmp.subarray(y0 * size, y1 * size), size, w],
      });
      // Columns in multiples of 16 (64 bytes): no two workers write the same cache line.
      await pool.parallel('blurCols', { length: size, parts, align: 16, args: (x0, x1) => [tmp, dst, size, x0, x1, w] });
    },
  };
}

const median = (times) => [...times].sort((a, b) => a - b)[times.length >> 1];

const src = new Float32Array(size * size);
const tmp = new Float32Array(size * size);
const dst = new Float32Array(size * size);
fillImage(src);
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
