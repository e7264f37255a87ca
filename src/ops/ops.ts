import type { AsyncResult } from '../async-result.js';
import { PoolStateError } from '../errors.js';
import { checkKnownKeys, checkOptionsObject, expected } from '../validate.js';
import { checkApart, checkComplexOut, checkDimension, checkFloatArray, checkNonEmpty, checkNumber, checkOut, sameKind, suffix } from './checks.js';
import { blockCount, joinExtrema, pairwiseMoments, pairwiseSum, scanOffsets } from './blocks.js';
import { FftPlans } from './fft-plans.js';
import { FOUR_STEP_MIN, FOUR_STEP_WORKERS, fourStepFft } from './four-step.js';
import type { FloatArray } from './reference.js';
import { runOp, type OpSteps, type Stage } from './run.js';
import { Workspace, type OpsHost } from './workspace.js';
import type { KernelBuild } from '../modules/relaxed-simd.js';

/** `out` of the operations that return an array: where to write the result (a plain array or a pool.alloc view). */
export interface OutOptions<A extends FloatArray = FloatArray> {
  /** Receives the result; same type and length as the result. Default: a new plain typed array. */
  out?: A;
}

/** Options of `pool.ops.matmul`: the shapes, `a` is m×k, `b` is k×n, the result m×n, all row-major. */
export interface MatmulOptions<A extends FloatArray = FloatArray> {
  m: number;
  k: number;
  n: number;
  /** Receives the m×n product (same type as `a`). Default: a new plain typed array. */
  out?: A;
}

/** Options of `pool.ops.conv2d`: the image is height×width×channelsIn, the kernel kernelHeight×kernelWidth×channelsIn×channelsOut. */
export interface Conv2dOptions {
  width: number;
  height: number;
  kernelWidth: number;
  kernelHeight: number;
  /** @default 1 */
  channelsIn?: number;
  /** @default 1 */
  channelsOut?: number;
  /**
   * 'same': the output is height×width, the kernel centred (for an even size the extra row/column of padding goes
   * below/right, as TensorFlow pads); 'valid': (height−kernelHeight+1)×(width−kernelWidth+1), no padding. @default 'same'
   */
  padding?: 'same' | 'valid';
  /** Receives the output (a Float32Array of outHeight·outWidth·channelsOut). Default: a new Float32Array. */
  out?: Float32Array;
}

/** A complex array in split form: real and imaginary parts of the same type and length. */
export interface Complex<A extends FloatArray = FloatArray> {
  re: A;
  im: A;
}

/** Options of `pool.ops.fft`. */
export interface FftOptions<A extends FloatArray = FloatArray> {
  /** The inverse transform, scaled by 1/n (numpy's `ifft`). @default false */
  inverse?: boolean;
  /** Receives the result: two arrays of the input's type and length, distinct from the input. */
  out?: Complex<A>;
}

/** Options of `pool.ops.variance`. */
export interface VarianceOptions {
  /** Delta degrees of freedom: the divisor is `n - ddof` (0: population variance, 1: sample variance). @default 0 */
  ddof?: number;
}

/** Reductions are split into parts of at least this many blocks (fewer parts for small arrays: dispatch costs ~10 µs). */
const MIN_BLOCKS_PER_PART = 16;
/** Elementwise maps: at least this many elements per part; part boundaries are multiples of ALIGN. */
const MIN_ELEMENTS_PER_PART = 32768;
/** Rough one-thread rates, to estimate whether a call is small enough to run on the calling thread (ns per unit). */
const GBPS = 10; // bytes per ns
const GFLOPS = 15; // flop per ns
const MAP_NS = 4; // exp and log, per element
const fftNs = (n: number): number => (5 * n * Math.log2(Math.max(2, n))) / 10;
const ALIGN = 16;
/** matmul: rows per part are multiples of the micro-tile height; a part does at least ~2 MFLOP. */
const MATMUL_ROWS = 4;
const MATMUL_MIN_FLOP = 1 << 21;
/** conv2d: a band of output rows does at least ~1 MFLOP. */
const CONV_MIN_FLOP = 1 << 20;
/** Scratch elements of one matmul part (assembly/ops/gemm.ts scratchLength: MC·KC + KC·NC + MR·NR). */
const MATMUL_SCRATCH = { F32: 128 * 256 + 256 * 512 + 4 * 8, F64: 64 * 256 + 256 * 256 + 4 * 4 };

/**
 * `pool.ops`: numeric operations split over every worker of the pool, on its built-in kernels (see README
 * "Numeric operations"). Every method checks its arguments at the call, throwing TypeError/RangeError before
 * anything is queued, and returns an AsyncResult. Inputs may be plain typed arrays (copied into shared memory
 * for the call) or pool.alloc views (used in place, no copy).
 */
export class Ops {
  readonly #host: OpsHost;
  readonly #plans: FftPlans;

  /** @internal Created by the Pool. */
  constructor(host: OpsHost) {
    this.#host = host;
    this.#plans = new FftPlans(host);
  }

  /**
   * The build of the GEMM and convolution kernels this pool loaded: `'relaxed'` (relaxed-SIMD multiply-adds,
   * fused where the CPU has FMA) where the runtime validates relaxed SIMD and `PoolOptions.relaxedSimd` is not
   * false, else `'baseline'` (SIMD128, bit-identical to the plain loops). The other operations are the same in both.
   */
  get simd(): KernelBuild {
    return this.#host.build();
  }

  /**
   * The discrete Fourier transform X_k = Σ_j x_j·e^(-2πijk/n) of a complex array of any length n >= 1 (`im`
   * omitted: real input), Float32Array or Float64Array, as `{ re, im }`. Radix-4 Stockham for powers of two,
   * Bluestein's algorithm for other lengths. One transform runs on one worker, except powers of two from 2^18
   * on a pool of three or more workers, where a four-step plan splits it over them.
   */
  fft<A extends FloatArray>(re: A, im?: A, options?: FftOptions<A>): AsyncResult<Complex<A>> {
    checkFloatArray('re', re);
    if (im !== undefined) {
      checkFloatArray('im', im);
      sameKind('re', re, 'im', im);
      if (im.length !== re.length) throw new RangeError(`Expected \`im\` to hold ${re.length} elements like \`re\`, got ${im.length}`);
    }
    const valid = checkOptionsObject('options', options) as FftOptions<A>;
    checkKnownKeys('fft options', valid, ['inverse', 'out']);
    if (valid.inverse !== undefined && typeof valid.inverse !== 'boolean') throw new TypeError(expected('inverse', 'a boolean', valid.inverse));
    const out = checkComplexOut(valid.out, re, re.length, [re, im]);
    return this.#transform(re, im, re.length, valid.inverse ?? false, out, 'fft');
  }

  /** The FFT of a real array: the first floor(n/2) + 1 bins (the others are their conjugates), as numpy's `rfft`. */
  rfft<A extends FloatArray>(x: A, options?: { out?: Complex<A> }): AsyncResult<Complex<A>> {
    checkFloatArray('x', x);
    const valid = checkOptionsObject('options', options) as { out?: Complex<A> };
    checkKnownKeys('rfft options', valid, ['out']);
    const out = checkComplexOut(valid.out, x, Math.floor(x.length / 2) + 1, [x]);
    return this.#transform(x, undefined, Math.floor(x.length / 2) + 1, false, out, 'rfft');
  }

  #transform<A extends FloatArray>(
    re: A,
    im: A | undefined,
    keep: number,
    inverse: boolean,
    out: Complex<A> | undefined,
    what: string,
  ): AsyncResult<Complex<A>> {
    const n = re.length;
    if (n === 0)
      throw new RangeError(
        `Expected \`${what === 'fft' ? 're' : 'x'}\` to hold at least one element (the ${what} of no elements is undefined), got an empty ${re.constructor.name}`,
      );
    if (n > 2 ** 26) throw new RangeError(`Expected at most 2^26 elements for the ${what}, got ${n}`);
    const type = re.constructor as Float64ArrayConstructor;
    const plans = this.#plans;
    const workers = this.#host.workers();
    return this.#run(function* (ws) {
      const plan = plans.acquire(type, n);
      try {
        const pr = ws.input(re, what === 'fft' ? 're' : 'x');
        let pi: number;
        if (im) pi = ws.input(im, 'im');
        else {
          const zeros = ws.scratch(type, n);
          zeros.fill(0);
          pi = zeros.byteOffset;
        }
        // The transform's own output: the caller's `out` for a full fft, else a block to take `keep` bins from.
        const full = keep === n;
        const half = full ? undefined : { re: ws.scratch(type, n), im: ws.scratch(type, n) };
        const yr = half ? { ptr: half.re.byteOffset, result: () => half.re.subarray(0, keep) as A } : ws.output<A>(type, n, out?.re, 'out.re');
        const yi = half ? { ptr: half.im.byteOffset, result: () => half.im.subarray(0, keep) as A } : ws.output<A>(type, n, out?.im, 'out.im');
        const suffixed = suffix(re);
        if (plan.pow2 && n >= FOUR_STEP_MIN && workers >= FOUR_STEP_WORKERS) {
          yield* fourStepFft(ws, plans, plan, { type, xr: pr, xi: pi, yr: yr.ptr, yi: yi.ptr, inverse }, fftNs(n));
        } else if (plan.pow2) {
          const s = ws.scratch(type, 2 * n);
          const args = [
            n,
            pr,
            pi,
            yr.ptr,
            yi.ptr,
            s.byteOffset,
            s.byteOffset + n * re.BYTES_PER_ELEMENT,
            plan.twr.byteOffset,
            plan.twi.byteOffset,
            inverse ? 1 : 0,
          ];
          yield ws.split(`opsFftPow2${suffixed}`, 1, 1, 1, () => args, fftNs(n));
        } else {
          const s = ws.scratch(type, 6 * plan.m);
          const args = [
            n,
            plan.m,
            pr,
            pi,
            yr.ptr,
            yi.ptr,
            plan.chirp!.re.byteOffset,
            plan.chirp!.im.byteOffset,
            plan.filter!.re.byteOffset,
            plan.filter!.im.byteOffset,
          ];
          yield ws.split(
            `opsFftBluestein${suffixed}`,
            1,
            1,
            1,
            () => [...args, s.byteOffset, plan.twr.byteOffset, plan.twi.byteOffset, inverse ? 1 : 0],
            3 * fftNs(plan.m),
          );
        }
        if (full) {
          ws.commit();
          return out ?? { re: yr.result(), im: yi.result() };
        }
        const target = out ?? { re: new type(keep) as A, im: new type(keep) as A };
        target.re.set(yr.result()); // the first `keep` bins of the full transform
        target.im.set(yi.result());
        return target;
      } finally {
        plans.release(plan);
      }
    });
  }

  /**
   * The matrix product `a · b` (m×k times k×n, row-major), Float32Array or Float64Array. Split over the workers
   * by row panels, each entry summed in ascending k: with the baseline build (`simd`) bit-identical to the plain
   * i-j-k loop (no fused multiply-add); with the relaxed one each step is fused where the CPU has FMA.
   */
  matmul<A extends FloatArray>(a: A, b: A, options: MatmulOptions<A>): AsyncResult<A> {
    checkFloatArray('a', a);
    checkFloatArray('b', b);
    sameKind('a', a, 'b', b);
    if (typeof options !== 'object' || options === null) throw new TypeError(expected('options', 'an object with `m`, `k` and `n`', options));
    checkKnownKeys('matmul options', options, ['m', 'k', 'n', 'out']);
    const [m, k, n] = (['m', 'k', 'n'] as const).map((key) => checkDimension(key, options[key]));
    if (a.length !== m * k) throw new RangeError(`Expected \`a\` to hold m·k = ${m}·${k} = ${m * k} elements, got ${a.length}`);
    if (b.length !== k * n) throw new RangeError(`Expected \`b\` to hold k·n = ${k}·${n} = ${k * n} elements, got ${b.length}`);
    const out = options.out;
    if (out !== undefined) {
      if (out.constructor !== a.constructor) throw new TypeError(expected('out', `a ${a.constructor.name} (the type of \`a\`)`, out));
      if (out.length !== m * n) throw new RangeError(`Expected \`out\` to hold m·n = ${m}·${n} = ${m * n} elements, got ${out.length}`);
      checkApart('out', out, [a, b], 'the product is not computed in place');
    }
    const type = suffix(a);
    const scratch = MATMUL_SCRATCH[type];
    const minRows = Math.max(MATMUL_ROWS, Math.ceil(MATMUL_MIN_FLOP / Math.max(1, 2 * k * n)));
    return this.#run(function* (ws) {
      const pa = ws.input(a, 'a');
      const pb = ws.input(b, 'b');
      const target = ws.output<A>(a.constructor as Float64ArrayConstructor, m * n, out, 'out');
      if (m > 0 && n > 0) {
        yield ws.split(
          `opsMatmul${type}`,
          m,
          minRows,
          MATMUL_ROWS,
          (r0, r1) => [pa, pb, target.ptr, m, k, n, r0, r1, ws.scratch(a.constructor as Float64ArrayConstructor, scratch).byteOffset, scratch],
          (2 * m * k * n) / GFLOPS,
        );
      }
      ws.commit();
      return target.result();
    });
  }

  /**
   * 2-D convolution (cross-correlation, as TensorFlow's and ONNX's conv), Float32Array, channels-last: image
   * [height][width][channelsIn], kernel [kernelHeight][kernelWidth][channelsIn][channelsOut], output
   * [outHeight][outWidth][channelsOut]. Split over the workers by bands of output rows. With the baseline build
   * (`simd`) bit-identical to the direct loop; with the relaxed one the vector paths fuse their multiply-adds.
   */
  conv2d(image: Float32Array, kernel: Float32Array, options: Conv2dOptions): AsyncResult<Float32Array> {
    if (!(image instanceof Float32Array)) throw new TypeError(expected('image', 'a Float32Array', image));
    if (!(kernel instanceof Float32Array)) throw new TypeError(expected('kernel', 'a Float32Array', kernel));
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(expected('options', 'an object with `width`, `height`, `kernelWidth` and `kernelHeight`', options));
    }
    checkKnownKeys('conv2d options', options, ['width', 'height', 'kernelWidth', 'kernelHeight', 'channelsIn', 'channelsOut', 'padding', 'out']);
    const size = (key: keyof Conv2dOptions, fallback?: number): number => {
      const value = options[key] ?? fallback;
      if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError(expected(key, 'a positive integer', value));
      if (value < 1 || value > 2 ** 31 - 1) throw new RangeError(expected(key, 'a positive integer', value));
      return value;
    };
    const [w, h, kw, kh, cin, cout] = [size('width'), size('height'), size('kernelWidth'), size('kernelHeight'), size('channelsIn', 1), size('channelsOut', 1)];
    const padding = options.padding ?? 'same';
    if (padding !== 'same' && padding !== 'valid') throw new TypeError(expected('padding', "'same' or 'valid'", padding));
    if (image.length !== w * h * cin)
      throw new RangeError(`Expected \`image\` to hold height·width·channelsIn = ${h}·${w}·${cin} = ${h * w * cin} elements, got ${image.length}`);
    if (kernel.length !== kw * kh * cin * cout) {
      throw new RangeError(
        `Expected \`kernel\` to hold kernelHeight·kernelWidth·channelsIn·channelsOut = ${kh}·${kw}·${cin}·${cout} = ${kh * kw * cin * cout} elements, got ${kernel.length}`,
      );
    }
    if (padding === 'valid' && (kw > w || kh > h))
      throw new RangeError(`Expected the kernel (${kh}×${kw}) to fit in the image (${h}×${w}) with padding 'valid'`);
    const [ow, oh] = padding === 'same' ? [w, h] : [w - kw + 1, h - kh + 1];
    const [padTop, padLeft] = padding === 'same' ? [Math.floor((kh - 1) / 2), Math.floor((kw - 1) / 2)] : [0, 0];
    const out = options.out;
    if (out !== undefined) {
      if (!(out instanceof Float32Array)) throw new TypeError(expected('out', 'a Float32Array', out));
      if (out.length !== ow * oh * cout) throw new RangeError(`Expected \`out\` to hold ${oh}·${ow}·${cout} = ${oh * ow * cout} elements, got ${out.length}`);
      checkApart('out', out, [image, kernel], 'the convolution is not computed in place');
    }
    const minRows = Math.max(1, Math.ceil(CONV_MIN_FLOP / Math.max(1, 2 * ow * kh * kw * cin * cout)));
    const flops = 2 * ow * oh * kh * kw * cin * cout;
    return this.#run(function* (ws) {
      const pi = ws.input(image, 'image');
      const pk = ws.input(kernel, 'kernel');
      const target = ws.output(Float32Array, ow * oh * cout, out, 'out');
      yield ws.split('opsConv2dF32', oh, minRows, 1, (r0, r1) => [pi, w, h, cin, pk, kh, kw, cout, target.ptr, ow, padTop, padLeft, r0, r1], flops / GFLOPS);
      ws.commit();
      return target.result();
    });
  }

  /** The sum, in f64 (f32 input too). Bit-identical on any number of workers; error bound in README. */
  sum(x: FloatArray): AsyncResult<number> {
    checkFloatArray('x', x);
    return this.#reduce(x, function* (ws, ptr) {
      const sums = yield* blockSums(ws, x, ptr);
      return pairwiseSum(sums);
    });
  }

  /** The arithmetic mean, sum(x) / n. RangeError for an empty array. */
  mean(x: FloatArray): AsyncResult<number> {
    checkFloatArray('x', x);
    checkNonEmpty('x', x, 'the mean');
    return this.#reduce(x, function* (ws, ptr) {
      const sums = yield* blockSums(ws, x, ptr);
      return pairwiseSum(sums) / x.length;
    });
  }

  /** The variance, sum((x - mean)^2) / (n - ddof), from one pass over memory. RangeError unless n > ddof. */
  variance(x: FloatArray, options?: VarianceOptions): AsyncResult<number> {
    checkFloatArray('x', x);
    const valid = checkOptionsObject('options', options) as VarianceOptions;
    checkKnownKeys('variance options', valid, ['ddof']);
    const ddof = valid.ddof ?? 0;
    if (typeof ddof !== 'number' || !Number.isInteger(ddof)) throw new TypeError(expected('ddof', 'an integer >= 0', ddof));
    if (ddof < 0) throw new RangeError(expected('ddof', 'an integer >= 0', ddof));
    if (x.length <= ddof) throw new RangeError(`Expected \`x\` to hold more than ddof = ${ddof} elements, got ${x.length}`);
    const kernel = `opsMomentsBlocks${suffix(x)}`;
    return this.#reduce(x, function* (ws, ptr) {
      const blocks = blockCount(x.length);
      const partials = ws.scratch(Float64Array, 2 * blocks);
      yield ws.split(kernel, blocks, MIN_BLOCKS_PER_PART, 1, (b0, b1) => [ptr, x.length, b0, b1, partials.byteOffset], x.byteLength / GBPS);
      return pairwiseMoments(partials, x.length).m2 / (x.length - ddof);
    });
  }

  /** The least value; NaN if any element is NaN. RangeError for an empty array. */
  min(x: FloatArray): AsyncResult<number> {
    return this.#extremum(x, 'min', false, false) as AsyncResult<number>;
  }

  /** The greatest value; NaN if any element is NaN. RangeError for an empty array. */
  max(x: FloatArray): AsyncResult<number> {
    return this.#extremum(x, 'max', true, false) as AsyncResult<number>;
  }

  /** The index of the first least value (of the first NaN, if any). RangeError for an empty array. */
  argmin(x: FloatArray): AsyncResult<number> {
    return this.#extremum(x, 'argmin', false, true) as AsyncResult<number>;
  }

  /** The index of the first greatest value (of the first NaN, if any). RangeError for an empty array. */
  argmax(x: FloatArray): AsyncResult<number> {
    return this.#extremum(x, 'argmax', true, true) as AsyncResult<number>;
  }

  /** Inclusive prefix sums: out[i] = x[0] + ... + x[i] (accumulated in f64 for f32 input). */
  cumsum<A extends FloatArray>(x: A, options?: OutOptions<A>): AsyncResult<A> {
    checkFloatArray('x', x);
    const out = checkOut(options, x, 'cumsum');
    const type = suffix(x);
    return this.#run(function* (ws) {
      const ptr = ws.input(x, 'x');
      const target = ws.output<A>(x.constructor as Float64ArrayConstructor, x.length, out, 'out');
      if (x.length > 0) {
        const sums = yield* blockSums(ws, x, ptr);
        const offsets = ws.scratch(Float64Array, sums.length);
        scanOffsets(sums, offsets);
        const blocks = sums.length;
        yield ws.split(
          `opsCumsumBlocks${type}`,
          blocks,
          MIN_BLOCKS_PER_PART,
          1,
          (b0, b1) => [ptr, x.length, b0, b1, offsets.byteOffset, target.ptr],
          (2 * x.byteLength) / GBPS,
        );
      }
      ws.commit();
      return target.result();
    });
  }

  /** out = alpha·x + beta·y, elementwise (f32 arithmetic for Float32Array). */
  axpby<A extends FloatArray>(alpha: number, x: A, beta: number, y: A, options?: OutOptions<A>): AsyncResult<A> {
    checkNumber('alpha', alpha);
    checkFloatArray('x', x);
    checkNumber('beta', beta);
    checkFloatArray('y', y);
    sameKind('x', x, 'y', y);
    if (y.length !== x.length) throw new RangeError(`Expected \`y\` to hold ${x.length} elements like \`x\`, got ${y.length}`);
    const out = checkOut(options, x, 'axpby', [x, y]);
    const size = x.BYTES_PER_ELEMENT;
    return this.#run(function* (ws) {
      const px = ws.input(x, 'x');
      const py = ws.input(y, 'y');
      const target = ws.output<A>(x.constructor as Float64ArrayConstructor, x.length, out, 'out');
      if (x.length > 0) {
        yield ws.split(
          `opsAxpby${suffix(x)}`,
          x.length,
          MIN_ELEMENTS_PER_PART,
          ALIGN,
          (s, e) => [alpha, px + s * size, beta, py + s * size, target.ptr + s * size, e - s],
          (3 * x.byteLength) / GBPS,
        );
      }
      ws.commit();
      return target.result();
    });
  }

  /** e^x elementwise (fdlibm's algorithm, vectorised: under 1 ulp). */
  exp<A extends FloatArray>(x: A, options?: OutOptions<A>): AsyncResult<A> {
    return this.#map('exp', x, options);
  }

  /** The natural logarithm elementwise (fdlibm's algorithm, vectorised: under 1 ulp); NaN below 0, -Infinity at ±0. */
  log<A extends FloatArray>(x: A, options?: OutOptions<A>): AsyncResult<A> {
    return this.#map('log', x, options);
  }

  #map<A extends FloatArray>(name: 'exp' | 'log', x: A, options: OutOptions<A> | undefined): AsyncResult<A> {
    checkFloatArray('x', x);
    const out = checkOut(options, x, name);
    const size = x.BYTES_PER_ELEMENT;
    const kernel = `ops${name === 'exp' ? 'Exp' : 'Log'}${suffix(x)}`;
    return this.#run(function* (ws) {
      const px = ws.input(x, 'x');
      const target = ws.output<A>(x.constructor as Float64ArrayConstructor, x.length, out, 'out');
      if (x.length > 0)
        yield ws.split(kernel, x.length, MIN_ELEMENTS_PER_PART, ALIGN, (s, e) => [px + s * size, target.ptr + s * size, e - s], x.length * MAP_NS);
      ws.commit();
      return target.result();
    });
  }

  #extremum(x: FloatArray, name: string, max: boolean, index: boolean): AsyncResult<number> {
    checkFloatArray('x', x);
    checkNonEmpty('x', x, `the ${name}`);
    const kernel = `opsExtremaBlocks${suffix(x)}`;
    return this.#reduce(x, function* (ws, ptr) {
      const blocks = blockCount(x.length);
      const partials = ws.scratch(Float64Array, 2 * blocks);
      yield ws.split(
        kernel,
        blocks,
        MIN_BLOCKS_PER_PART,
        1,
        (b0, b1) => [ptr, x.length, b0, b1, partials.byteOffset, max ? 1 : 0, index ? 1 : 0],
        x.byteLength / GBPS,
      );
      const best = joinExtrema(partials, blocks, max);
      return index ? best.index : best.value;
    });
  }

  /** A reduction of x to one number: `steps` gets the workspace and x's pointer. */
  #reduce<T>(x: FloatArray, steps: (ws: Workspace, ptr: number) => OpSteps<T>): AsyncResult<T> {
    return this.#run(function* (ws) {
      const ptr = ws.input(x, 'x');
      return yield* steps(ws, ptr);
    });
  }

  /** Checks the pool can run ops, then runs `steps` in a fresh workspace that is given back when they end. */
  #run<T>(steps: (ws: Workspace) => OpSteps<T>): AsyncResult<T> {
    this.#checkUsable();
    const host = this.#host;
    return runOp(
      (function* () {
        const ws = new Workspace(host);
        let ok = false;
        try {
          const value = yield* steps(ws);
          ok = true;
          return value;
        } finally {
          ws.dispose(ok);
        }
      })(),
    );
  }

  #checkUsable(): void {
    const host = this.#host;
    if (host.state() !== 'open') {
      throw new PoolStateError(`The pool is ${host.state() === 'closing' ? 'closed' : 'terminated'}; no new tasks can be submitted. Create a new Pool.`);
    }
    const kernels = host.kernels();
    if (!kernels?.has('opsView')) {
      throw new TypeError(
        `pool.ops needs wasmpool's built-in kernels (a Pool created without \`module\`), but this pool runs ${host.label()}; create a second Pool without \`module\` for numeric operations`,
      );
    }
  }
}

/** Stage: the sum of every block of x (phase one of sum, mean and cumsum). */
function* blockSums(ws: Workspace, x: FloatArray, ptr: number): Generator<Stage, Float64Array, unknown> {
  const blocks = blockCount(x.length);
  const sums = ws.scratch(Float64Array, Math.max(1, blocks));
  if (blocks === 0) return sums.subarray(0, 0);
  yield ws.split(`opsSumBlocks${suffix(x)}`, blocks, MIN_BLOCKS_PER_PART, 1, (b0, b1) => [ptr, x.length, b0, b1, sums.byteOffset], x.byteLength / GBPS);
  return sums;
}
