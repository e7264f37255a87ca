// The machinery of bench/ops.mjs: the kernels on this thread without a pool, timing and recording contenders,
// the limits of one core, the anchors and the numpy peer, the charts, and plain-JS loops.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fmt } from './format.mjs';
import { runProcess } from './process.mjs';
import { interleave } from './stats.mjs';

/**
 * The built-in kernels instantiated on this thread over a memory of their own, no pool: the kernel's own speed on
 * one thread (what pool.ops runs inline for small calls), apart from any dispatch. `copy(typedArray)` places an
 * array in its memory (bump allocation, reset per measurement) and returns its byte offset.
 */
export function directKernels() {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
  const module = new WebAssembly.Module(readFileSync(new URL('../../build/kernels.wasm', import.meta.url)));
  const noop = () => {};
  const { exports } = new WebAssembly.Instance(module, {
    env: {
      memory,
      abort: () => {
        throw new Error('kernel abort');
      },
      trace: noop,
      seed: () => 1,
    },
    wasmpool: { now: () => performance.now(), log: noop, logNumber: noop, sleep: noop, random: Math.random },
  });
  // The relaxed-SIMD GEMM and convolution, on the same memory, where this engine validates them (as the pool does).
  const relaxedBytes = readFileSync(new URL('../../build/kernels-relaxed.wasm', import.meta.url));
  const relaxed = WebAssembly.validate(relaxedBytes) ? new WebAssembly.Instance(new WebAssembly.Module(relaxedBytes), { env: { memory } }).exports : undefined;
  let top = 65536;
  const reserve = (bytes) => {
    const at = top;
    top += Math.ceil(bytes / 64) * 64;
    if (top > memory.buffer.byteLength) memory.grow(Math.ceil((top - memory.buffer.byteLength) / 65536));
    return at;
  };
  return {
    exports,
    relaxed,
    reset: () => (top = 65536),
    copy: (x) => {
      const at = reserve(x.byteLength);
      new Uint8Array(memory.buffer, at, x.byteLength).set(new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
      return at;
    },
    reserve,
  };
}

/** ms per call of `fn` (sync or async), averaged over a batch lasting at least `sampleMs`. */
export function perCall(fn, sampleMs) {
  return async () => {
    const t0 = performance.now();
    let calls = 0;
    while (calls < 1 || performance.now() - t0 < sampleMs) {
      await fn();
      calls++;
    }
    return (performance.now() - t0) / calls;
  };
}

/** Runs `contenders` ({ name: fn }) interleaved and records each as ms and as `rate` (GFLOP/s or GB/s per call). */
export async function compare(ctx, id, what, contenders, work, unit, peak, sampleMs) {
  const samples = await interleave(Object.fromEntries(Object.entries(contenders).map(([name, fn]) => [name, perCall(fn, sampleMs)])), {
    warmup: ctx.warmup,
    reps: ctx.reps,
    progress: ctx.progress,
    label: what,
  });
  const out = {};
  for (const [name, ms] of Object.entries(samples)) {
    const key = `${id}.${slug(name)}`;
    const time = ctx.figure(`${key}.ms`, `${what}: ${name}`, 'ms', ms);
    const rate = { min: work / time.max / 1e6, median: work / time.median / 1e6, max: work / time.min / 1e6, reps: time.reps };
    const ofPeak = peak ? ` (${Math.round((100 * rate.median) / peak)}% of the limit, ${fmt(peak)})` : '';
    ctx.figure(`${key}.rate`, `${what}: ${name}${ofPeak}`, unit, rate);
    out[name] = { time, rate };
  }
  ctx.opsCharts?.push({ id, what, unit, bars: Object.entries(out).map(([name, r]) => ({ name, ...r.rate })) });
  return out;
}

/**
 * One chart per operation and size: each contender's rate (GFLOP/s or GB/s, higher is better; the bar is the
 * median, the whisker the range), wasmpool's bars in blue. Written to bench/results/<quick|latest>.ops-<id>.svg
 * by this question itself (the runner's charts cover the other questions).
 */
export function writeCharts(ctx, machine) {
  const dir = new URL('../results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const files = [];
  for (const chart of ctx.opsCharts) {
    const [row, label, plot] = [24, 400, 380];
    const top = 54;
    const maxValue = Math.max(...chart.bars.map((b) => b.max), 1e-9);
    const x = (v) => label + (plot * Math.max(0, v)) / maxValue;
    const esc = (t) => String(t).replace(/&/g, '&amp;').replace(/</g, '&lt;');
    const lines = [
      `<svg xmlns="http://www.w3.org/2000/svg" width="${label + plot + 110}" height="${top + chart.bars.length * row + 16}" font-family="system-ui, sans-serif" font-size="12">`,
      '<rect width="100%" height="100%" fill="#fff"/>',
      `<text x="10" y="20" font-weight="bold" font-size="14">${esc(`${chart.what}: ${chart.unit}, higher is better`)}</text>`,
      `<text x="10" y="38" fill="#555">${esc(machine)}</text>`,
    ];
    chart.bars.forEach((b, i) => {
      const y = top + i * row;
      const fill = b.name.startsWith('wasmpool') ? '#2b6cb0' : '#999';
      lines.push(`<text x="${label - 8}" y="${y + 15}" text-anchor="end">${esc(b.name)}</text>`);
      lines.push(`<rect x="${label}" y="${y + 4}" width="${x(b.median) - label}" height="14" fill="${fill}"/>`);
      lines.push(`<line x1="${x(b.min)}" x2="${x(b.max)}" y1="${y + 11}" y2="${y + 11}" stroke="#000"/>`);
      lines.push(`<text x="${x(b.max) + 6}" y="${y + 15}">${esc(fmt(b.median))}</text>`);
    });
    lines.push('</svg>');
    const file = `${ctx.quick ? 'quick' : 'latest'}.ops-${slug(chart.id.replace(/^ops\./, ''))}.svg`;
    writeFileSync(new URL(file, dir), lines.join('\n') + '\n');
    files.push(file);
  }
  ctx.note(`wrote ${files.length} charts, bench/results/${ctx.quick ? 'quick' : 'latest'}.ops-*.svg`);
}

export const DIRECT = 'wasmpool kernel on this thread (no pool, no dispatch)';
/** The same, the relaxed-SIMD build (where the engine validates it). */
export const DIRECT_RELAXED = 'wasmpool relaxed-SIMD kernel on this thread (no pool, no dispatch)';
/** The FFT's four-step plan, both stages in one part, on this thread. */
export const FOUR_STEP_DIRECT = 'wasmpool four-step kernels on this thread (both stages, one part)';

export function slug(name) {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** SIMD128 mul+add peak (f32, f64) and one-thread read bandwidth, from assembly/bench/ops-peak.ts (built by build:wasm; not part of the package). */
export async function probeLimits(ctx, size) {
  ctx.progress('probing the limits of one core');
  const binary = readFileSync(new URL('../../build/bench/ops-peak.wasm', import.meta.url));
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(binary), { env: { abort: () => {} } });
  const iters = ctx.quick ? 200_000 : 2_000_000;
  const best = (fn) => {
    fn();
    let t = Infinity;
    for (let r = 0; r < 9; r++) {
      const t0 = performance.now();
      fn();
      t = Math.min(t, performance.now() - t0);
    }
    return t;
  };
  const f32 = (96 * iters) / best(() => exports.f32MulAdd(iters)) / 1e6;
  const f64 = (48 * iters) / best(() => exports.f64MulAdd(iters)) / 1e6;
  const n = size.n;
  exports.memory.grow(Math.ceil((n * 8) / 65536) + 1);
  new Float64Array(exports.memory.buffer, 65536, n).fill(1.5);
  const bandwidth = (n * 8) / best(() => exports.sumF64(65536, n)) / 1e6;
  ctx.figure('ops.limit.f32', 'limit: SIMD128 f32 mul+add, one thread (best of 9)', 'GFLOP/s', { min: f32, median: f32, max: f32, reps: 9 });
  ctx.figure('ops.limit.f64', 'limit: SIMD128 f64 mul+add, one thread (best of 9)', 'GFLOP/s', { min: f64, median: f64, max: f64, reps: 9 });
  ctx.figure('ops.limit.read', `limit: read bandwidth, one thread, ${fmt((n * 8) / 2 ** 20)} MiB (best of 9)`, 'GB/s', {
    min: bandwidth,
    median: bandwidth,
    max: bandwidth,
    reps: 9,
  });
  const relaxed = WebAssembly.validate(relaxedProbe());
  ctx.note(
    `relaxed SIMD ${relaxed ? 'validates' : 'does not validate'} in Node ${process.version} (V8 ${process.versions.v8}): pool.ops loads its ${relaxed ? 'relaxed-SIMD' : 'baseline SIMD128'} GEMM and convolution${relaxed ? '' : ' (run `node --experimental-wasm-relaxed-simd bench/run.mjs --only ops` on Node 20 for the relaxed build)'}`,
  );
  return { f32, f64, bandwidth };
}

/** A module with one f32x4.relaxed_madd: does this engine validate relaxed SIMD? */
function relaxedProbe() {
  // (module (func (param v128 v128 v128) (result v128) local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd))
  return Uint8Array.from([
    0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 123, 123, 123, 1, 123, 3, 2, 1, 0, 10, 13, 1, 11, 0, 32, 0, 32, 1, 32, 2, 253, 133, 2, 11,
  ]);
}

/** tfjs-backend-wasm (one thread), onnxruntime-web (one thread) and ml-matrix, each optional. */
export async function loadAnchors(ctx) {
  const anchors = {};
  const version = (name) => JSON.parse(readFileSync(new URL(`../../node_modules/${name}/package.json`, import.meta.url), 'utf8')).version;
  try {
    ctx.progress('loading tfjs-backend-wasm');
    const tf = await import('@tensorflow/tfjs-core');
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setThreadsCount(1);
    await tf.setBackend('wasm');
    await tf.ready();
    anchors.tf = { tf, name: `tfjs-backend-wasm ${version('@tensorflow/tfjs-backend-wasm')} (XNNPACK)` };
  } catch (error) {
    ctx.note(`tfjs-backend-wasm skipped: ${error.message}`);
  }
  try {
    ctx.progress('loading onnxruntime-web');
    const ort = await import('onnxruntime-web');
    ort.env.wasm.numThreads = 1;
    anchors.ort = { ort, name: `onnxruntime-web ${version('onnxruntime-web')}` };
  } catch (error) {
    ctx.note(`onnxruntime-web skipped: ${error.message}`);
  }
  try {
    const pffft = (await import('@echogarden/pffft-wasm/simd')).default;
    anchors.pffft = { module: await pffft(), name: `pffft-wasm ${version('@echogarden/pffft-wasm')} (SIMD)` };
  } catch (error) {
    ctx.note(`pffft-wasm skipped: ${error.message}`);
  }
  try {
    const { default: FFT } = await import('fft.js');
    anchors.fftjs = { FFT, name: `fft.js ${version('fft.js')} (JS radix-4, f64)` };
  } catch (error) {
    ctx.note(`fft.js skipped: ${error.message}`);
  }
  try {
    const { Matrix } = await import('ml-matrix');
    anchors.mlMatrix = { Matrix, name: `ml-matrix ${version('ml-matrix')} (JS)` };
  } catch (error) {
    ctx.note(`ml-matrix skipped: ${error.message}`);
  }
  return anchors;
}

export async function runNumpy(ctx, size) {
  const script = fileURLToPath(new URL('../peers/ops_numpy.py', import.meta.url));
  ctx.progress('numpy (separate process, one thread)');
  try {
    const args = [script, String(size.n), size.gemm.join(','), size.fft.join(','), String(ctx.reps)];
    const out = await runProcess('python3', args, (line) => ctx.progress(line));
    return JSON.parse(out);
  } catch (error) {
    ctx.note(`numpy skipped: ${error.message}`);
    return undefined;
  }
}

export function randomInto(x, seed) {
  let s = seed >>> 0;
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = s / 2147483648 - 1;
  }
  return x;
}

export function disposeAll(tensors) {
  for (const t of Object.values(tensors)) t.dispose();
}

// Plain JS loops: what a user writes without a library (the anchors' versions, ../shared/anchors/numeric).
export function jsSum(x) {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s;
}
export function jsMin(x) {
  let m = Infinity;
  for (let i = 0; i < x.length; i++) if (x[i] < m) m = x[i];
  return m;
}
export function jsArgmax(x) {
  let m = -Infinity;
  let k = -1;
  for (let i = 0; i < x.length; i++) if (x[i] > m) [m, k] = [x[i], i];
  return k;
}
export function jsVariance(x) {
  const mu = jsSum(x) / x.length;
  let q = 0;
  for (let i = 0; i < x.length; i++) q += (x[i] - mu) * (x[i] - mu);
  return q / x.length;
}
export function jsCumsum(x, out) {
  let s = 0;
  for (let i = 0; i < x.length; i++) out[i] = s += x[i];
}
export function jsAxpby(x, y, out) {
  for (let i = 0; i < x.length; i++) out[i] = 1.5 * x[i] + 0.25 * y[i];
}
export function jsExp(x, out) {
  for (let i = 0; i < x.length; i++) out[i] = Math.exp(x[i]);
}
