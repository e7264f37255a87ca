// Quick single-thread measurement of every built-in kernel against its JS twin, in one run:
// build/kernels.wasm instantiated directly on a shared memory (no pool, no dispatch cost) versus
// kernels-js on ordinary typed arrays. Prints best-of-N times and the JS/WASM ratio (>1: WASM is faster).
// Run: npm run build:wasm && node scripts/measure-kernels.mjs
// Timings are only meaningful on an otherwise idle machine; the load average is printed with them.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import * as twin from '../kernels-js/index.js';

const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
const module = new WebAssembly.Module(readFileSync(new URL('../build/kernels.wasm', import.meta.url)));
const noop = () => {};
const wasm = new WebAssembly.Instance(module, {
  env: {
    memory,
    abort: () => {
      throw new Error('abort');
    },
    seed: () => 1,
    trace: noop,
  },
  wasmpool: { now: () => performance.now(), log: noop, logNumber: noop, sleep: noop, random: Math.random },
}).exports;

let top = 65536;
/** A typed array in the shared memory, and its (ptr, len) for the kernel. */
function shared(Type, length) {
  const start = top;
  top = Math.ceil((start + length * Type.BYTES_PER_ELEMENT) / 64) * 64;
  const pages = Math.ceil(top / 65536) - memory.buffer.byteLength / 65536;
  if (pages > 0) memory.grow(pages);
  const view = new Type(memory.buffer, start, length);
  return { view, ptr: start, len: length };
}

/** Best time in ms of `run` over repetitions lasting at least ~300 ms (and at least 3). */
function best(run, prepare = noop) {
  prepare();
  run(); // warm up (JIT tiers, caches)
  let fastest = Infinity;
  const until = performance.now() + 300;
  for (let i = 0; i < 3 || performance.now() < until; i++) {
    prepare();
    const start = performance.now();
    run();
    fastest = Math.min(fastest, performance.now() - start);
  }
  return fastest;
}

function random(n, Type = Float64Array) {
  return Type.from({ length: n }, () => Math.random() * 2 - 1);
}

const N = 1_000_000;
const rows = [];
function measure(name, what, wasmRun, jsRun, prepare) {
  const w = best(wasmRun, prepare);
  const j = best(jsRun, prepare);
  rows.push({ kernel: name, input: what, 'wasm ms': w.toFixed(3), 'js ms': j.toFixed(3), 'js/wasm': (j / w).toFixed(2) });
}

for (const [bits, Type] of [
  ['F64', Float64Array],
  ['F32', Float32Array],
]) {
  const xs = random(N, Type);
  const ys = random(N, Type);
  const x = shared(Type, N);
  const y = shared(Type, N);
  x.view.set(xs);
  y.view.set(ys);
  const jx = xs.slice();
  const jy = ys.slice();
  measure(
    `sum${bits}`,
    `${N} values`,
    () => wasm[`sum${bits}`](x.ptr, x.len),
    () => twin[`sum${bits}`](jx),
  );
  measure(
    `dot${bits}`,
    `${N} values`,
    () => wasm[`dot${bits}`](x.ptr, x.len, y.ptr, y.len),
    () => twin[`dot${bits}`](jx, jy),
  );
  measure(
    `axpy${bits}`,
    `${N} values`,
    () => wasm[`axpy${bits}`](1e-9, x.ptr, x.len, y.ptr, y.len),
    () => twin[`axpy${bits}`](1e-9, jx, jy),
  );
  measure(
    `scale${bits}`,
    `${N} values`,
    () => wasm[`scale${bits}`](1, x.ptr, x.len),
    () => twin[`scale${bits}`](1, jx),
  );
}

{
  const n = 256;
  const a = shared(Float64Array, n * n);
  const b = shared(Float64Array, n * n);
  const c = shared(Float64Array, n * n);
  a.view.set(random(n * n));
  b.view.set(random(n * n));
  const [ja, jb, jc] = [a.view.slice(), b.view.slice(), new Float64Array(n * n)];
  measure(
    'matmulF64',
    `${n}×${n}`,
    () => wasm.matmulF64(a.ptr, a.len, b.ptr, b.len, c.ptr, c.len, n, n, n),
    () => twin.matmulF64(ja, jb, jc, n, n, n),
  );
}

{
  const size = 512;
  const counts = shared(Uint32Array, size * size);
  const rgba = shared(Uint8ClampedArray, size * size * 4);
  const jcounts = new Uint32Array(size * size);
  const jrgba = new Uint8ClampedArray(size * size * 4);
  const view = [0, 256, -2.2, -1.5, 3 / size];
  measure(
    'mandelbrot',
    `${size}×${size}, 256 iter`,
    () => wasm.mandelbrot(counts.ptr, counts.len, size, ...view),
    () => twin.mandelbrot(jcounts, size, ...view),
  );
  measure(
    'mandelbrotRGBA',
    `${size}×${size}, 256 iter`,
    () => wasm.mandelbrotRGBA(rgba.ptr, rgba.len, size, ...view),
    () => twin.mandelbrotRGBA(jrgba, size, ...view),
  );
}

{
  const scratch = shared(Uint8Array, twin.COUNT_PRIMES_SCRATCH);
  const jscratch = new Uint8Array(twin.COUNT_PRIMES_SCRATCH);
  measure(
    'countPrimes',
    '[0, 10^7)',
    () => wasm.countPrimes(0, 1e7, scratch.ptr, scratch.len),
    () => twin.countPrimes(0, 1e7, jscratch),
  );
  measure(
    'monteCarloPi',
    '10^7 samples',
    () => wasm.monteCarloPi(1e7, 42),
    () => twin.monteCarloPi(1e7, 42),
  );
}

{
  const values = shared(Float64Array, N);
  values.view.set(random(N));
  const bins = shared(Uint32Array, 64);
  const jvalues = values.view.slice();
  const jbins = new Uint32Array(64);
  measure(
    'histogramF64',
    `${N} values, 64 bins`,
    () => wasm.histogramF64(values.ptr, values.len, -1, 1, bins.ptr, bins.len),
    () => twin.histogramF64(jvalues, -1, 1, jbins),
  );
}

{
  const source = random(N);
  const x = shared(Float64Array, N);
  const jx = new Float64Array(N);
  // Both sides re-fill their array from the same random source before every timed sort.
  const wasmTime = best(
    () => wasm.sortF64(x.ptr, x.len),
    () => x.view.set(source),
  );
  const jsTime = best(
    () => twin.sortF64(jx),
    () => jx.set(source),
  );
  rows.push({ kernel: 'sortF64', input: `${N} random`, 'wasm ms': wasmTime.toFixed(3), 'js ms': jsTime.toFixed(3), 'js/wasm': (jsTime / wasmTime).toFixed(2) });

  const half = N / 2;
  const a = shared(Float64Array, half);
  const b = shared(Float64Array, half);
  const out = shared(Float64Array, N);
  a.view.set(random(half).sort());
  b.view.set(random(half).sort());
  const [ja, jb, jout] = [a.view.slice(), b.view.slice(), new Float64Array(N)];
  measure(
    'mergeF64',
    `2 × ${half} sorted`,
    () => wasm.mergeF64(a.ptr, a.len, b.ptr, b.len, out.ptr, out.len),
    () => twin.mergeF64(ja, jb, jout),
  );
}

console.log(
  `node ${process.version}; load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} (1, 5, 15 min)`,
);
console.table(rows);
