/**
 * Plain-JavaScript twins of the pool.ops kernels (assembly/ops/). Each performs the same floating-point
 * operations in the same order as its kernel, so where README "Numeric operations" says an operation is
 * bit-identical, the twin's answer is the kernel's, bit for bit: the tests use them as the reference, and the
 * bench as the plain-JS baseline. Written plainly, one element at a time, on purpose.
 */
import { BLOCK, blockCount, joinExtrema, pairwiseMoments, pairwiseSum, scanOffsets } from './blocks.js';

export type FloatArray = Float32Array | Float64Array;

/** The kernels' eight-lane sum of x[i0, i1): see laneSumF64 in assembly/ops/reduce.ts. */
function laneSum(x: FloatArray, i0: number, i1: number, term: (v: number) => number): number {
  const lane = [0, 0, 0, 0, 0, 0, 0, 0];
  let i = i0;
  for (; i + 8 <= i1; i += 8) for (let j = 0; j < 8; j++) lane[j] += term(x[i + j]);
  const even = lane[0] + lane[2] + (lane[4] + lane[6]);
  const odd = lane[1] + lane[3] + (lane[5] + lane[7]);
  let s = even + odd;
  for (; i < i1; i++) s += term(x[i]);
  return s;
}

const identity = (v: number): number => v;

function blockEnd(b: number, n: number): number {
  return Math.min(n, (b + 1) * BLOCK);
}

export function sumBlocks(x: FloatArray): Float64Array {
  const sums = new Float64Array(blockCount(x.length));
  for (let b = 0; b < sums.length; b++) sums[b] = laneSum(x, b * BLOCK, blockEnd(b, x.length), identity);
  return sums;
}

export function sum(x: FloatArray): number {
  return pairwiseSum(sumBlocks(x));
}

export function mean(x: FloatArray): number {
  return sum(x) / x.length;
}

export function momentsBlocks(x: FloatArray): Float64Array {
  const out = new Float64Array(2 * blockCount(x.length));
  for (let b = 0; b < out.length / 2; b++) {
    const i0 = b * BLOCK;
    const i1 = blockEnd(b, x.length);
    const s = laneSum(x, i0, i1, identity);
    const m = s / (i1 - i0);
    out[2 * b] = s;
    out[2 * b + 1] = laneSum(x, i0, i1, (v) => (v - m) * (v - m));
  }
  return out;
}

export function variance(x: FloatArray, ddof = 0): number {
  return pairwiseMoments(momentsBlocks(x), x.length).m2 / (x.length - ddof);
}

function extremum(x: FloatArray, max: boolean): { value: number; index: number } {
  const blocks = blockCount(x.length);
  const partials = new Float64Array(2 * blocks);
  for (let b = 0; b < blocks; b++) {
    const i0 = b * BLOCK;
    const i1 = blockEnd(b, x.length);
    let m = x[i0];
    for (let i = i0 + 1; i < i1; i++) m = max ? Math.max(m, x[i]) : Math.min(m, x[i]);
    let at = i0;
    while (at < i1 && !(Number.isNaN(m) ? Number.isNaN(x[at]) : x[at] === m)) at++;
    partials[2 * b] = m;
    partials[2 * b + 1] = at;
  }
  return joinExtrema(partials, blocks, max);
}

export const min = (x: FloatArray): number => extremum(x, false).value;
export const max = (x: FloatArray): number => extremum(x, true).value;
export const argmin = (x: FloatArray): number => extremum(x, false).index;
export const argmax = (x: FloatArray): number => extremum(x, true).index;

/** The kernels' scan: four elements per step of the running sum (see assembly/ops/scan.ts). */
export function cumsum<A extends FloatArray>(x: A, out: A = new (x.constructor as new (n: number) => A)(x.length)): A {
  const offsets = new Float64Array(blockCount(x.length));
  scanOffsets(sumBlocks(x), offsets);
  for (let b = 0; b < offsets.length; b++) {
    const i1 = blockEnd(b, x.length);
    let s = offsets[b];
    let i = b * BLOCK;
    for (; i + 4 <= i1; i += 4) {
      const [a, c, d, e] = [x[i], x[i + 1], x[i + 2], x[i + 3]];
      const p1 = a + c;
      out[i] = s + a;
      out[i + 1] = s + p1;
      out[i + 2] = s + (p1 + d);
      const p3 = p1 + (d + e);
      out[i + 3] = s + p3;
      s = s + p3;
    }
    for (; i < i1; i++) {
      s += x[i];
      out[i] = s;
    }
  }
  return out;
}

export function axpby<A extends FloatArray>(alpha: number, x: A, beta: number, y: A, out: A = new (x.constructor as new (n: number) => A)(x.length)): A {
  if (x instanceof Float32Array) {
    const a = Math.fround(alpha);
    const b = Math.fround(beta);
    for (let i = 0; i < x.length; i++) out[i] = Math.fround(a * x[i]) + Math.fround(b * y[i]);
  } else {
    for (let i = 0; i < x.length; i++) out[i] = alpha * x[i] + beta * y[i];
  }
  return out;
}

// ---- exp and log: fdlibm's e_exp.c and e_log.c, as the kernels compute them ----

const LN2_HI = 6.9314718036912381649e-1;
const LN2_LO = 1.90821492927058770002e-10;
const INV_LN2 = 1.442695040888963387;
const P = [1.66666666666666019037e-1, -2.77777777770155933842e-3, 6.61375632143793436117e-5, -1.6533902205465251539e-6, 4.13813679705723846039e-8];
const LG = [
  6.66666666666673513e-1, 3.999999999940941908e-1, 2.857142874366239149e-1, 2.222219843214978396e-1, 1.818357216161805012e-1, 1.531383769920937332e-1,
  1.479819860511658591e-1,
];
const scratch = new Float64Array(1);
const words = new Uint32Array(scratch.buffer);

/** 2^k for an integer k in [-1022, 1023]. */
function pow2(k: number): number {
  words[0] = 0;
  words[1] = (k + 1023) << 20;
  return scratch[0];
}

/** WASM's f64.nearest: round half to even. */
function nearest(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function exp1(x: number): number {
  const xc = Math.min(Math.max(x, -746), 710);
  const kf = nearest(xc * INV_LN2);
  const hi = xc - kf * LN2_HI;
  const lo = kf * LN2_LO;
  const r = hi - lo;
  const t = r * r;
  const c = r - t * (P[0] + t * (P[1] + t * (P[2] + t * (P[3] + t * P[4]))));
  const y = 1 - (lo - (r * c) / (2 - c) - hi);
  const k = Number.isNaN(kf) ? 0 : kf;
  const k1 = k >> 1;
  return y * pow2(k1) * pow2(k - k1);
}

export function log1(x: number): number {
  if (Number.isNaN(x) || x === Infinity) return x;
  if (x === 0) return -Infinity;
  if (x < 0) return NaN;
  let k = 0;
  scratch[0] = x;
  if (x < 2.2250738585072014e-308) {
    scratch[0] = x * 1.8014398509481984e16;
    k = -54;
  }
  const hx = words[1];
  const hm = hx & 0x000fffff;
  const i = (hm + 0x95f64) & 0x100000;
  words[1] = hm | (i ^ 0x3ff00000);
  k += (hx >>> 20) - 1023 + (i >>> 20);
  const f = scratch[0] - 1;
  const s = f / (2 + f);
  const z = s * s;
  const w = z * z;
  const t1 = w * (LG[1] + w * (LG[3] + w * LG[5]));
  const t2 = z * (LG[0] + w * (LG[2] + w * (LG[4] + w * LG[6])));
  const R = t2 + t1;
  const khi = k * LN2_HI;
  const klo = k * LN2_LO;
  if (((hm - 0x6147a) | (0x6b851 - hm)) > 0) {
    const hfsq = 0.5 * f * f;
    return khi - (hfsq - (s * (hfsq + R) + klo) - f);
  }
  return khi - (s * (f - R) - klo - f);
}

function map<A extends FloatArray>(f: (v: number) => number, x: A, out: A): A {
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]);
  return out;
}

export const exp = <A extends FloatArray>(x: A, out: A = new (x.constructor as new (n: number) => A)(x.length)): A => map(exp1, x, out);
export const log = <A extends FloatArray>(x: A, out: A = new (x.constructor as new (n: number) => A)(x.length)): A => map(log1, x, out);

/** c[m×n] = a[m×k] · b[k×n], row-major: each c[i][j] summed in ascending k from 0, f32 rounding for Float32Array. */
export function matmul<A extends FloatArray>(a: A, b: A, m: number, k: number, n: number, c: A = new (a.constructor as new (n: number) => A)(m * n)): A {
  const f32 = a instanceof Float32Array;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      if (f32) for (let p = 0; p < k; p++) s = Math.fround(s + Math.fround(a[i * k + p] * b[p * n + j]));
      else for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
      c[i * n + j] = s;
    }
  }
  return c;
}

/** The geometry of a conv2d call (see pool.ops.conv2d). */
export interface ConvShape {
  width: number;
  height: number;
  kernelWidth: number;
  kernelHeight: number;
  channelsIn: number;
  channelsOut: number;
  outWidth: number;
  outHeight: number;
  padTop: number;
  padLeft: number;
}

/**
 * Cross-correlation, channels-last: out[oy][ox][co] = Σ_dy Σ_dx Σ_ci image[oy-padTop+dy][ox-padLeft+dx][ci] ·
 * kernel[dy][dx][ci][co], in that order, f32 rounding, taps outside the image skipped.
 */
export function conv2d(
  image: Float32Array,
  kernel: Float32Array,
  g: ConvShape,
  out = new Float32Array(g.outWidth * g.outHeight * g.channelsOut),
): Float32Array {
  const { width: w, height: h, kernelWidth: kw, kernelHeight: kh, channelsIn: cin, channelsOut: cout } = g;
  for (let oy = 0; oy < g.outHeight; oy++) {
    for (let ox = 0; ox < g.outWidth; ox++) {
      for (let co = 0; co < cout; co++) {
        let acc = 0;
        for (let dy = 0; dy < kh; dy++) {
          const iy = oy - g.padTop + dy;
          if (iy < 0 || iy >= h) continue;
          for (let dx = 0; dx < kw; dx++) {
            const ix = ox - g.padLeft + dx;
            if (ix < 0 || ix >= w) continue;
            for (let ci = 0; ci < cin; ci++)
              acc = Math.fround(acc + Math.fround(image[(iy * w + ix) * cin + ci] * kernel[((dy * kw + dx) * cin + ci) * cout + co]));
          }
        }
        out[(oy * g.outWidth + ox) * cout + co] = acc;
      }
    }
  }
  return out;
}

// ---- FFT ----

/** Twiddles W_n^j = e^(-2πij/n) for j < n, as (cos, -sin): the kernels' table, computed in f64. */
export function twiddles(n: number): { re: Float64Array; im: Float64Array } {
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    re[j] = Math.cos((2 * Math.PI * j) / n);
    im[j] = -Math.sin((2 * Math.PI * j) / n);
  }
  return { re, im };
}

/** The kernels' twiddle table: W_n^j for j < n, then W_n^(2p) and W_n^(3p) for p < n/4 (the first stage's, contiguous). */
export function kernelTwiddles(n: number): { re: Float64Array; im: Float64Array } {
  const tw = twiddles(n);
  const q = n >= 4 ? n / 4 : 0;
  const re = new Float64Array(n + 2 * q);
  const im = new Float64Array(n + 2 * q);
  re.set(tw.re);
  im.set(tw.im);
  for (let p = 0; p < q; p++) {
    [re[n + p], im[n + p]] = [tw.re[2 * p], tw.im[2 * p]];
    [re[n + q + p], im[n + q + p]] = [tw.re[3 * p], tw.im[3 * p]];
  }
  return { re, im };
}

/** Bluestein's chirp c_k = e^(-πi k²/n), with k² reduced mod 2n first (exact), so the angle is accurate. */
export function chirp(n: number): { re: Float64Array; im: Float64Array } {
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const a = (Math.PI * ((k * k) % (2 * n))) / n;
    re[k] = Math.cos(a);
    im[k] = -Math.sin(a);
  }
  return { re, im };
}

/** The length of Bluestein's power-of-two transforms for length n: the least power of two >= 2n - 1. */
export function bluesteinLength(n: number): number {
  return 2 ** Math.ceil(Math.log2(2 * n - 1));
}

/**
 * The forward radix-4 Stockham FFT of a power-of-two length, as the kernels compute it (assembly/ops/fft.ts),
 * in f64: the reference the f64 kernel equals, and how the Bluestein filter is computed.
 */
export function fftPow2(re: ArrayLike<number>, im: ArrayLike<number>, tw = twiddles(re.length)): { re: Float64Array; im: Float64Array } {
  const n = re.length;
  let xr = Float64Array.from(re);
  let xi = Float64Array.from(im);
  let yr = new Float64Array(n);
  let yi = new Float64Array(n);
  let s = 1;
  for (; s * 4 <= n; s *= 4) {
    const m = n / (4 * s);
    for (let p = 0; p < m; p++) {
      const j = p * s;
      for (let q = 0; q < s; q++) {
        const [a, b, c, d] = [0, 1, 2, 3].map((k) => s * (p + k * m) + q);
        const apcr = xr[a] + xr[c],
          apci = xi[a] + xi[c],
          amcr = xr[a] - xr[c],
          amci = xi[a] - xi[c];
        const bpdr = xr[b] + xr[d],
          bpdi = xi[b] + xi[d],
          jr = xi[b] - xi[d],
          ji = xr[d] - xr[b];
        const o = s * 4 * p + q;
        yr[o] = apcr + bpdr;
        yi[o] = apci + bpdi;
        const t = [
          [amcr + jr, amci + ji],
          [apcr - bpdr, apci - bpdi],
          [amcr - jr, amci - ji],
        ];
        for (let k = 1; k <= 3; k++) {
          const [tr, ti] = t[k - 1];
          const [wr, wi] = [tw.re[k * j], tw.im[k * j]];
          yr[o + k * s] = tr * wr - ti * wi;
          yi[o + k * s] = tr * wi + ti * wr;
        }
      }
    }
    [xr, yr] = [yr, xr];
    [xi, yi] = [yi, xi];
  }
  if (s < n) {
    const h = n / 2;
    for (let q = 0; q < h; q++) {
      yr[q] = xr[q] + xr[q + h];
      yi[q] = xi[q] + xi[q + h];
      yr[q + h] = xr[q] - xr[q + h];
      yi[q + h] = xi[q] - xi[q + h];
    }
    return { re: yr, im: yi };
  }
  return { re: xr, im: xi };
}

/** Bluestein's filter for length n: the forward FFT (length M) of conj(chirp) wrapped around. */
export function bluesteinFilter(n: number): { re: Float64Array; im: Float64Array } {
  const m = bluesteinLength(n);
  const c = chirp(n);
  const re = new Float64Array(m);
  const im = new Float64Array(m);
  for (let k = 0; k < n; k++) {
    re[k] = c.re[k];
    im[k] = -c.im[k];
    if (k > 0) {
      re[m - k] = c.re[k];
      im[m - k] = -c.im[k];
    }
  }
  return fftPow2(re, im);
}

/** The DFT by its definition, in f64, twiddles reduced mod n (exact angles): the tests' reference, O(n²). */
export function dft(re: ArrayLike<number>, im: ArrayLike<number>, inverse = false): { re: Float64Array; im: Float64Array } {
  const n = re.length;
  const outRe = new Float64Array(n);
  const outIm = new Float64Array(n);
  const sign = inverse ? 1 : -1;
  for (let k = 0; k < n; k++) {
    let sr = 0;
    let si = 0;
    for (let j = 0; j < n; j++) {
      const a = (sign * 2 * Math.PI * ((j * k) % n)) / n;
      const [c, s] = [Math.cos(a), Math.sin(a)];
      sr += re[j] * c - im[j] * s;
      si += re[j] * s + im[j] * c;
    }
    outRe[k] = inverse ? sr / n : sr;
    outIm[k] = inverse ? si / n : si;
  }
  return { re: outRe, im: outIm };
}
