// Question: how fast are pool.ops' numeric operations, next to what a user would otherwise reach for, measured
// in this run? GEMM against tfjs-backend-wasm (XNNPACK), onnxruntime-web and ml-matrix; reductions, scans and
// maps against plain JS loops; FFT against pffft-wasm (SIMD) and fft.js; tfjs-backend-wasm (f32) and numpy (when python3 has it). Each as ms per call,
// as GFLOP/s or GB/s, and as a fraction of this core's limits, probed in the same run (SIMD128 mul+add peak,
// one-thread read bandwidth). One thread each unless the label says 2 workers.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { fmt } from './lib/format.mjs';
import { convModel, matmulModel } from './lib/onnx-model.mjs';
import { runProcess } from './lib/process.mjs';
import { interleave, summarize } from './lib/stats.mjs';

export async function run(ctx) {
  ctx.begin('ops');
  const quick = ctx.quick;
  const { Pool } = await import('../dist/index.js');
  const twin = await import('../dist/ops/reference.js');
  const size = {
    gemm: quick ? [96] : [512, 1024],
    fft: quick ? [10, 12] : [12, 16, 20],
    conv: quick
      ? [
          [128, 128, 1, 1],
          [32, 32, 8, 8],
        ]
      : [
          [1024, 1024, 1, 1],
          [128, 128, 32, 32],
        ],
    n: quick ? 1 << 18 : 1 << 24,
    sampleMs: quick ? 2 : 40,
  };
  const limits = await probeLimits(ctx, size);
  const anchors = await loadAnchors(ctx);
  const numpy = await runNumpy(ctx, size);
  ctx.opsCharts = [];
  const pools = { 1: new Pool({ workers: 1 }), 2: new Pool({ workers: 2 }) };
  const direct = directKernels();
  pools.direct = direct;
  pools.twin = twin;
  try {
    await gemm(ctx, size, pools, anchors, numpy, limits, twin);
    await conv(ctx, size, pools, anchors, limits);
    await fft(ctx, size, pools, anchors, numpy, limits);
    await vectors(ctx, size, pools, anchors, numpy, limits);
  } finally {
    await pools[1].terminate();
    await pools[2].terminate();
  }
  writeCharts(ctx, `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} CPUs, Node ${process.version}${quick ? ', quick mode (do not quote)' : ''}`);
}

/**
 * The built-in kernels instantiated on this thread over a memory of their own, no pool: the kernel's own speed on
 * one thread (what pool.ops runs inline for small calls), apart from any dispatch. `copy(typedArray)` places an
 * array in its memory (bump allocation, reset per measurement) and returns its byte offset.
 */
function directKernels() {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
  const module = new WebAssembly.Module(readFileSync(new URL('../build/kernels.wasm', import.meta.url)));
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
  let top = 65536;
  const reserve = (bytes) => {
    const at = top;
    top += Math.ceil(bytes / 64) * 64;
    if (top > memory.buffer.byteLength) memory.grow(Math.ceil((top - memory.buffer.byteLength) / 65536));
    return at;
  };
  return {
    exports,
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
function perCall(fn, sampleMs) {
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
async function compare(ctx, id, what, contenders, work, unit, peak, sampleMs) {
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
function writeCharts(ctx, machine) {
  const dir = new URL('./results/', import.meta.url);
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

const DIRECT = 'wasmpool kernel on this thread (no pool, no dispatch)';

function slug(name) {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** SIMD128 mul+add peak (f32, f64) and one-thread read bandwidth, from assembly/bench/ops-peak.ts (built by build:wasm; not part of the package). */
async function probeLimits(ctx, size) {
  ctx.progress('probing the limits of one core');
  const binary = readFileSync(new URL('../build/bench/ops-peak.wasm', import.meta.url));
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
    `relaxed SIMD ${relaxed ? 'validates' : 'does not validate'} in Node ${process.version} (V8 ${process.versions.v8}); pool.ops has no relaxed build yet`,
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
async function loadAnchors(ctx) {
  const anchors = {};
  const version = (name) => JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), 'utf8')).version;
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

async function runNumpy(ctx, size) {
  const script = fileURLToPath(new URL('./peers/ops_numpy.py', import.meta.url));
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

function randomInto(x, seed) {
  let s = seed >>> 0;
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = s / 2147483648 - 1;
  }
  return x;
}

async function gemm(ctx, size, pools, anchors, numpy, limits, twin) {
  for (const n of size.gemm) {
    for (const type of [Float32Array, Float64Array]) {
      const f32 = type === Float32Array;
      const dtype = f32 ? 'f32' : 'f64';
      const views = [1, 2].map((w) => {
        const pool = pools[w];
        return {
          pool,
          a: randomInto(pool.alloc(type, n * n), 1),
          b: randomInto(pool.alloc(type, n * n), 2),
          out: pool.alloc(type, n * n),
        };
      });
      const contenders = {};
      for (const [i, w] of [1, 2].entries()) {
        const { pool, a, b, out } = views[i];
        contenders[`wasmpool pool.ops, ${w} worker${w > 1 ? 's' : ''}`] = () => pool.ops.matmul(a, b, { m: n, k: n, n, out });
      }
      {
        const d = pools.direct;
        d.reset();
        const [pa, pb, pc] = [d.copy(views[0].a), d.copy(views[0].b), d.reserve(n * n * type.BYTES_PER_ELEMENT)];
        const scratch = d.reserve(200_000 * 8);
        contenders[DIRECT] = () => d.exports[`opsMatmul${f32 ? 'F32' : 'F64'}`](pa, pb, pc, n, n, n, 0, n, scratch, 200_000);
      }
      const cleanups = [];
      if (anchors.tf && f32) {
        const { tf } = anchors.tf;
        const A = tf.tensor2d(views[0].a.slice(), [n, n]);
        const B = tf.tensor2d(views[0].b.slice(), [n, n]);
        contenders[anchors.tf.name] = () => tf.matMul(A, B).dispose();
        cleanups.push(() => (A.dispose(), B.dispose()));
      }
      if (anchors.ort) {
        const { ort } = anchors.ort;
        try {
          const session = await ort.InferenceSession.create(matmulModel(n, f32 ? 1 : 11), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
          const tensor = f32 ? 'float32' : 'float64';
          const feeds = { A: new ort.Tensor(tensor, views[0].a.slice(), [n, n]), B: new ort.Tensor(tensor, views[0].b.slice(), [n, n]) };
          contenders[anchors.ort.name] = () => session.run(feeds);
          cleanups.push(() => session.release());
        } catch (error) {
          ctx.note(`onnxruntime-web ${dtype} GEMM skipped: ${error.message}`);
        }
      }
      if (anchors.mlMatrix && !f32 && n <= 512) {
        const { Matrix } = anchors.mlMatrix;
        const rows = (x) => Array.from({ length: n }, (_, i) => Array.from(x.subarray(i * n, (i + 1) * n)));
        const A = new Matrix(rows(views[0].a));
        const B = new Matrix(rows(views[0].b));
        contenders[anchors.mlMatrix.name] = () => A.mmul(B);
      }
      if (n <= 96) contenders['JS twin (i-j-k loop)'] = () => twin.matmul(views[0].a, views[0].b, n, n, n, new type(n * n));
      const what = `${dtype} GEMM ${n}²`;
      const results = await compare(ctx, `ops.gemm.${dtype}.${n}`, what, contenders, 2 * n ** 3, 'GFLOP/s', f32 ? limits.f32 : limits.f64, size.sampleMs);
      for (const cleanup of cleanups) await cleanup();
      const np = numpy?.ops[`gemm.float${f32 ? 32 : 64}.${n}`];
      if (np) ctx.figure(`ops.gemm.${dtype}.${n}.numpy.ms`, `${what}: numpy ${numpy.numpy} (OpenBLAS, native, 1 thread)`, 'ms', np);
      for (const v of views) for (const view of [v.a, v.b, v.out]) v.pool.free(view);

      const one = results['wasmpool pool.ops, 1 worker'];
      const two = results['wasmpool pool.ops, 2 workers'];
      const thread = results[DIRECT];
      if (n === size.gemm[0] && f32 && anchors.tf) {
        ctx.target(
          `ops.gemm.f32.${n}`,
          `${what}: at or under XNNPACK's time (one thread)`,
          { op: '>=', value: 1 },
          ctx.ratio(results[anchors.tf.name].time, thread.time),
          `${fmt(thread.time.median)} vs ${fmt(results[anchors.tf.name].time.median)} ms`,
        );
      }
      if (n === size.gemm[0] && !f32) {
        const share = { min: thread.rate.min / limits.f64, median: thread.rate.median / limits.f64, max: thread.rate.max / limits.f64 };
        ctx.target(
          `ops.gemm.f64.${n}`,
          `${what}: ≥ 85% of the f64 SIMD128 mul+add limit (one thread)`,
          { op: '>=', value: 0.85 },
          share,
          `${fmt(thread.rate.median)} of ${fmt(limits.f64)} GFLOP/s`,
        );
      }
      if (n === size.gemm.at(-1) && f32) {
        ctx.target(
          `ops.gemm.scaling.${n}`,
          `${what}: 2 workers vs 1`,
          { op: '>=', value: 1.9 },
          ctx.ratio(one.time, two.time),
          `${fmt(two.time.median)} vs ${fmt(one.time.median)} ms`,
        );
      }
    }
  }
}

async function fft(ctx, size, pools, anchors, numpy, limits) {
  for (const lg of size.fft) {
    const n = 2 ** lg;
    const flop = 5 * n * lg;
    for (const type of [Float32Array, Float64Array]) {
      const f32 = type === Float32Array;
      const dtype = f32 ? 'f32' : 'f64';
      const views = [1, 2].map((workers) => {
        const pool = pools[workers];
        const [re, im, ore, oim] = [1, 2, 3, 4].map((seed) => randomInto(pool.alloc(type, n), seed));
        return { pool, re, im, out: { re: ore, im: oim } };
      });
      const contenders = {};
      for (const [i, workers] of [1, 2].entries()) {
        const { pool, re, im, out } = views[i];
        contenders[`wasmpool pool.ops, ${workers} worker${workers > 1 ? 's' : ''}`] = () => pool.ops.fft(re, im, { out });
      }
      {
        const d = pools.direct;
        d.reset();
        const tw = pools.twin.kernelTwiddles(n);
        const args = [n, d.copy(views[0].re), d.copy(views[0].im), d.reserve(n * 8), d.reserve(n * 8), d.reserve(n * 8), d.reserve(n * 8)];
        args.push(d.copy(type.from(tw.re)), d.copy(type.from(tw.im)), 0);
        contenders[DIRECT] = () => d.exports[`opsFftPow2${f32 ? 'F32' : 'F64'}`](...args);
      }
      const cleanups = [];
      if (anchors.pffft && f32) {
        const m = anchors.pffft.module;
        const setup = m._pffft_new_setup(n, 1); // PFFFT_COMPLEX, interleaved, data in its own heap
        const [pin, pout, pwork] = [0, 1, 2].map(() => m._pffft_aligned_malloc(8 * n));
        const heap = new Float32Array(m.HEAPF32.buffer, pin, 2 * n);
        for (let k = 0; k < n; k++) [heap[2 * k], heap[2 * k + 1]] = [views[0].re[k], views[0].im[k]];
        contenders[anchors.pffft.name] = () => m._pffft_transform_ordered(setup, pin, pout, pwork, 0);
        cleanups.push(() => {
          for (const p of [pin, pout, pwork]) m._pffft_aligned_free(p);
          m._pffft_destroy_setup(setup);
        });
      }
      if (anchors.fftjs && !f32) {
        const f = new anchors.fftjs.FFT(n);
        const input = new Float64Array(2 * n);
        for (let k = 0; k < n; k++) [input[2 * k], input[2 * k + 1]] = [views[0].re[k], views[0].im[k]];
        const output = new Float64Array(2 * n);
        contenders[anchors.fftjs.name] = () => f.transform(output, input);
      }
      const what = `complex FFT ${dtype} 2^${lg}`;
      const results = await compare(ctx, `ops.fft.${dtype}.${lg}`, what, contenders, flop, 'GFLOP/s', f32 ? limits.f32 : limits.f64, size.sampleMs);
      for (const cleanup of cleanups) cleanup();
      for (const v of views) for (const view of [v.re, v.im, v.out.re, v.out.im]) v.pool.free(view);
      const np = numpy?.ops[`fft.${f32 ? 'complex64' : 'complex128'}.${lg}`];
      if (np) ctx.figure(`ops.fft.${dtype}.${lg}.numpy.ms`, `${what}: numpy ${numpy.numpy} (pocketfft)`, 'ms', np);
      const one = results[DIRECT];
      if (f32 && anchors.pffft) {
        const them = results[anchors.pffft.name].time;
        ctx.target(
          `ops.fft.f32.${lg}`,
          `${what}: at or under pffft-wasm's time (one thread)`,
          { op: '>=', value: 1 },
          ctx.ratio(them, one.time),
          `${fmt(one.time.median)} vs ${fmt(them.median)} ms`,
        );
      }
      if (!f32 && np && lg >= 16) {
        const them = summarize(np);
        ctx.target(
          `ops.fft.f64.${lg}`,
          `${what}: at or under numpy's time (one thread)`,
          { op: '>=', value: 1 },
          ctx.ratio(them, one.time),
          `${fmt(one.time.median)} vs ${fmt(them.median)} ms`,
        );
      }
      if (lg === size.fft.at(-1) && f32) {
        const [w1, w2] = [results['wasmpool pool.ops, 1 worker'].time, results['wasmpool pool.ops, 2 workers'].time];
        ctx.target(
          `ops.fft.scaling`,
          `${what}: 2 workers vs 1 (one transform runs on one worker)`,
          { op: '>=', value: 1.9 },
          ctx.ratio(w1, w2),
          `${fmt(w2.median)} vs ${fmt(w1.median)} ms`,
        );
      }
    }
  }
}

async function conv(ctx, size, pools, anchors, limits) {
  for (const [h, w, cin, cout] of size.conv) {
    const flop = 2 * 9 * cin * cout * h * w;
    const views = [1, 2].map((workers) => {
      const pool = pools[workers];
      return {
        pool,
        image: randomInto(pool.alloc(Float32Array, h * w * cin), 3),
        kernel: randomInto(pool.alloc(Float32Array, 9 * cin * cout), 4),
        out: pool.alloc(Float32Array, h * w * cout),
      };
    });
    const contenders = {};
    for (const [i, workers] of [1, 2].entries()) {
      const { pool, image, kernel, out } = views[i];
      const options = { width: w, height: h, kernelWidth: 3, kernelHeight: 3, channelsIn: cin, channelsOut: cout, out };
      contenders[`wasmpool pool.ops, ${workers} worker${workers > 1 ? 's' : ''}`] = () => pool.ops.conv2d(image, kernel, options);
    }
    {
      const d = pools.direct;
      d.reset();
      const args = [d.copy(views[0].image), w, h, cin, d.copy(views[0].kernel), 3, 3, cout, d.reserve(h * w * cout * 4), w, 1, 1, 0, h];
      contenders[DIRECT] = () => d.exports.opsConv2dF32(...args);
    }
    const cleanups = [];
    if (anchors.tf) {
      const { tf } = anchors.tf;
      const X = tf.tensor4d(views[0].image.slice(), [1, h, w, cin]);
      const F = tf.tensor4d(views[0].kernel.slice(), [3, 3, cin, cout]);
      contenders[anchors.tf.name] = () => tf.conv2d(X, F, 1, 'same').dispose();
      cleanups.push(() => (X.dispose(), F.dispose()));
    }
    if (anchors.ort) {
      const { ort } = anchors.ort;
      // ONNX wants NCHW and OIHW; its best level for one channel is 'extended' (the anchors' finding).
      const x = views[0].image;
      const k = views[0].kernel;
      const xNCHW = new Float32Array(h * w * cin);
      for (let y = 0; y < h; y++) for (let xx = 0; xx < w; xx++) for (let c = 0; c < cin; c++) xNCHW[(c * h + y) * w + xx] = x[(y * w + xx) * cin + c];
      const wOIHW = new Float32Array(9 * cin * cout);
      for (let t = 0; t < 9; t++)
        for (let ci = 0; ci < cin; ci++) for (let co = 0; co < cout; co++) wOIHW[(co * cin + ci) * 9 + t] = k[(t * cin + ci) * cout + co];
      try {
        const level = cin === 1 ? 'extended' : 'all';
        const session = await ort.InferenceSession.create(convModel(cin, cout, h, w, wOIHW), { executionProviders: ['wasm'], graphOptimizationLevel: level });
        const feeds = { X: new ort.Tensor('float32', xNCHW, [1, cin, h, w]) };
        contenders[`${anchors.ort.name} (${level})`] = () => session.run(feeds);
        cleanups.push(() => session.release());
      } catch (error) {
        ctx.note(`onnxruntime-web conv skipped: ${error.message}`);
      }
    }
    const what = `conv 3×3 f32 ${h}×${w}, ${cin}→${cout} channels`;
    const results = await compare(ctx, `ops.conv.${h}x${w}.${cin}-${cout}`, what, contenders, flop, 'GFLOP/s', limits.f32, size.sampleMs);
    for (const cleanup of cleanups) await cleanup();
    for (const v of views) for (const view of [v.image, v.kernel, v.out]) v.pool.free(view);
    const one = results['wasmpool pool.ops, 1 worker'];
    const two = results['wasmpool pool.ops, 2 workers'];
    const thread = results[DIRECT];
    if (cin === 1 && !ctx.quick)
      ctx.target(`ops.conv.single`, `${what}: ≤ 2 ms (one thread)`, { op: '<=', value: 2 }, thread.time, `${fmt(thread.time.median)} ms`);
    if (cin > 1 && anchors.tf) {
      ctx.target(
        `ops.conv.multi`,
        `${what}: at or under XNNPACK's time (one thread)`,
        { op: '>=', value: 1 },
        ctx.ratio(results[anchors.tf.name].time, thread.time),
        `${fmt(thread.time.median)} vs ${fmt(results[anchors.tf.name].time.median)} ms`,
      );
    }
    if (cin > 1)
      ctx.target(
        `ops.conv.scaling`,
        `${what}: 2 workers vs 1`,
        { op: '>=', value: 1.9 },
        ctx.ratio(one.time, two.time),
        `${fmt(two.time.median)} vs ${fmt(one.time.median)} ms`,
      );
  }
}

async function vectors(ctx, size, pools, anchors, numpy, limits) {
  const n = size.n;
  const bytes = n * 8;
  const per = [1, 2].map((w) => {
    const pool = pools[w];
    return { w, pool, x: randomInto(pool.alloc(Float64Array, n), 7), y: randomInto(pool.alloc(Float64Array, n), 8), out: pool.alloc(Float64Array, n) };
  });
  const x = per[0].x.slice();
  const y = per[0].y.slice();
  const out = new Float64Array(n);
  const X = anchors.tf?.tf.tensor1d(Float32Array.from(x));
  const tf = anchors.tf?.tf;
  const OPS = [
    // name, bytes moved, pool.ops call, plain JS loop, tfjs (f32), numpy key
    ['sum', bytes, (p) => p.pool.ops.sum(p.x), () => jsSum(x), tf && (() => tf.sum(X).dispose()), 'sum'],
    ['min', bytes, (p) => p.pool.ops.min(p.x), () => jsMin(x), tf && (() => tf.min(X).dispose()), 'min'],
    ['argmax', bytes, (p) => p.pool.ops.argmax(p.x), () => jsArgmax(x), tf && (() => tf.argMax(X).dispose()), 'argmax'],
    ['variance (with the mean)', bytes, (p) => p.pool.ops.variance(p.x), () => jsVariance(x), tf && (() => disposeAll(tf.moments(X))), 'variance'],
    ['cumsum', 2 * bytes, (p) => p.pool.ops.cumsum(p.x, { out: p.out }), () => jsCumsum(x, out), tf && (() => tf.cumsum(X).dispose()), 'cumsum'],
    ['axpby', 3 * bytes, (p) => p.pool.ops.axpby(1.5, p.x, 0.25, p.y, { out: p.out }), () => jsAxpby(x, y, out), undefined, 'axpby'],
    ['exp', 2 * bytes, (p) => p.pool.ops.exp(p.x, { out: p.out }), () => jsExp(x, out), tf && (() => tf.exp(X).dispose()), 'exp'],
  ];
  const label = `${fmt(n / 2 ** 20)}M f64`;
  for (const [name, moved, ours, js, tfCall, npKey] of OPS) {
    const contenders = {
      'wasmpool pool.ops, 1 worker': () => ours(per[0]),
      'wasmpool pool.ops, 2 workers': () => ours(per[1]),
      'plain JS loop': js,
    };
    if (tfCall) contenders[`${anchors.tf.name}, f32`] = tfCall;
    const what = `${name}, ${label}`;
    const id = `ops.${slug(name)}`;
    const results = await compare(ctx, id, what, contenders, moved, 'GB/s', limits.bandwidth, size.sampleMs);
    const np = numpy?.ops[npKey];
    if (np) ctx.figure(`${id}.numpy.ms`, `${what}: numpy ${numpy.numpy}`, 'ms', np);
    const one = results['wasmpool pool.ops, 1 worker'];
    if (['sum', 'min', 'argmax'].includes(name)) {
      const share = { min: one.rate.min / limits.bandwidth, median: one.rate.median / limits.bandwidth, max: one.rate.max / limits.bandwidth };
      ctx.target(
        `${id}.bandwidth`,
        `${what}: ≥ 90% of one thread's read bandwidth`,
        { op: '>=', value: 0.9 },
        share,
        `${fmt(one.rate.median)} of ${fmt(limits.bandwidth)} GB/s`,
      );
    }
    if (['variance (with the mean)', 'cumsum', 'axpby'].includes(name) && !ctx.quick) {
      ctx.target(`${id}.time`, `${what}: ≤ 15 ms (1 worker)`, { op: '<=', value: 15 }, one.time, `${fmt(one.time.median)} ms`);
    }
    if (name === 'exp' && np) {
      ctx.target(
        `${id}.numpy`,
        `${what}: at or under numpy's time (1 worker)`,
        { op: '>=', value: 1 },
        ctx.ratio(summarize(np), one.time),
        `${fmt(one.time.median)} vs ${fmt(summarize(np).median)} ms`,
      );
    }
  }
  X?.dispose();
  for (const p of per) for (const view of [p.x, p.y, p.out]) p.pool.free(view);
}

function disposeAll(tensors) {
  for (const t of Object.values(tensors)) t.dispose();
}

// Plain JS loops: what a user writes without a library (the anchors' versions, ../shared/anchors/numeric).
function jsSum(x) {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s;
}
function jsMin(x) {
  let m = Infinity;
  for (let i = 0; i < x.length; i++) if (x[i] < m) m = x[i];
  return m;
}
function jsArgmax(x) {
  let m = -Infinity;
  let k = -1;
  for (let i = 0; i < x.length; i++) if (x[i] > m) [m, k] = [x[i], i];
  return k;
}
function jsVariance(x) {
  const mu = jsSum(x) / x.length;
  let q = 0;
  for (let i = 0; i < x.length; i++) q += (x[i] - mu) * (x[i] - mu);
  return q / x.length;
}
function jsCumsum(x, out) {
  let s = 0;
  for (let i = 0; i < x.length; i++) out[i] = s += x[i];
}
function jsAxpby(x, y, out) {
  for (let i = 0; i < x.length; i++) out[i] = 1.5 * x[i] + 0.25 * y[i];
}
function jsExp(x, out) {
  for (let i = 0; i < x.length; i++) out[i] = Math.exp(x[i]);
}
