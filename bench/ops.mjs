// Question: how fast are pool.ops' numeric operations, next to what a user would otherwise reach for, measured
// in this run? GEMM against tfjs-backend-wasm (XNNPACK), onnxruntime-web and ml-matrix; reductions, scans and
// maps against plain JS loops; FFT against pffft-wasm (SIMD) and fft.js; tfjs-backend-wasm (f32) and numpy (when python3 has it). Each as ms per call,
// as GFLOP/s or GB/s, and as a fraction of this core's limits, probed in the same run (SIMD128 mul+add peak,
// one-thread read bandwidth). One thread each unless the label says 2 workers.
import { cpus } from 'node:os';
import { fmt } from './lib/format.mjs';
import { convModel, matmulModel } from './lib/onnx-model.mjs';
import {
  DIRECT,
  DIRECT_RELAXED,
  FOUR_STEP_DIRECT,
  compare,
  directKernels,
  disposeAll,
  jsArgmax,
  jsAxpby,
  jsCumsum,
  jsExp,
  jsMin,
  jsSum,
  jsVariance,
  loadAnchors,
  probeLimits,
  randomInto,
  runNumpy,
  slug,
  writeCharts,
} from './lib/ops-host.mjs';
import { summarize } from './lib/stats.mjs';

export async function run(ctx) {
  ctx.begin('ops');
  const quick = ctx.quick;
  const { Pool } = await import('../dist/index.js');
  const twin = await import('../dist/ops/reference.js');
  const fourStep = await import('../dist/ops/four-step.js');
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
  pools.fourStep = fourStep;
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
        if (d.relaxed) contenders[DIRECT_RELAXED] = () => d.relaxed[`opsMatmul${f32 ? 'F32' : 'F64'}`](pa, pb, pc, n, n, n, 0, n, scratch, 200_000);
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
      const fused = results[DIRECT_RELAXED];
      if (n === size.gemm[0] && f32) {
        const label = `${what}: ≥ 40 GFLOP/s with relaxed-SIMD FMA (one thread)`;
        if (fused) ctx.target(`ops.gemm.f32.${n}.relaxed`, label, { op: '>=', value: 40 }, fused.rate, `${fmt(fused.rate.median)} GFLOP/s`);
        else
          ctx.target(
            `ops.gemm.f32.${n}.relaxed`,
            label,
            { op: '>=', value: 40 },
            undefined,
            'relaxed SIMD does not validate in this Node (Node 20: run it with --experimental-wasm-relaxed-simd)',
            'skipped',
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
      if (n >= 2 ** 16) {
        // The four-step plan's two stages, each over its whole range, on this thread: its one-thread cost against
        // the Stockham's is what decides from how many workers pool.ops uses it (src/ops/four-step.ts).
        const d = pools.direct;
        const { fourStepShape, panelTwiddles } = pools.fourStep;
        const { n1, n2, panel } = fourStepShape(n, type.BYTES_PER_ELEMENT);
        const table = (tw) => [d.copy(type.from(tw.re)), d.copy(type.from(tw.im))];
        const [t1r, t1i] = table(pools.twin.kernelTwiddles(n1 * panel));
        const [t2r, t2i] = table(pools.twin.kernelTwiddles(n2 * panel));
        const [tpr, tpi] = table(panelTwiddles(n, n1, panel));
        const [twr, twi] = table(pools.twin.kernelTwiddles(n));
        const [xr, xi] = [d.copy(views[0].re), d.copy(views[0].im)];
        const [zr, zi, yr, yi] = [0, 1, 2, 3].map(() => d.reserve(n * type.BYTES_PER_ELEMENT));
        const buf = d.reserve(4 * Math.max(n1, n2) * panel * type.BYTES_PER_ELEMENT);
        const suffix = f32 ? 'F32' : 'F64';
        contenders[FOUR_STEP_DIRECT] = () => {
          d.exports[`opsFftColumns${suffix}`](n1, n2, xr, xi, zr, zi, 0, n2, buf, t1r, t1i, twr, twi, tpr, tpi, 0);
          d.exports[`opsFftRows${suffix}`](n1, n2, zr, zi, yr, yi, 0, n1, buf, t2r, t2i, 0);
        };
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
          `${what}: 2 workers vs 1 (one transform runs on one worker below 3 workers; see the four-step row)`,
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
      if (d.relaxed) contenders[DIRECT_RELAXED] = () => d.relaxed.opsConv2dF32(...args);
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
