// Plain-JavaScript twins of wasmpool's built-in WASM kernels (assembly/kernels/*.ts).
//
// Each twin computes the same thing as the kernel of the same name, taking a typed array where the
// WASM kernel takes (ptr, len); the other arguments are the same, in the same order. So the same
// call runs on either module:
//   new Pool()                                  → WASM, typed arrays lowered to (ptr, len)
//   new Pool({ module: 'wasmpool/kernels-js' }) → these functions (typed arrays travel by structured
//                                                  clone; a SharedArrayBuffer-backed one is shared)
// They are the reference the tests compare against, and the baseline of the benchmarks. They are
// written plainly on purpose (no tricks a reader must trust); where the WASM kernel's result is
// bit-identical, the twin performs the same floating-point operations in the same order.

function sameLength(name, x, y) {
  if (x.length !== y.length) throw new RangeError(`${name}: x and y must have the same length, got ${x.length} and ${y.length}`);
}

// ---- vector.ts ----

export function sumF64(x) {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s;
}

/** Accumulates in f64, like the WASM kernel. */
export function sumF32(x) {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s;
}

export function dotF64(x, y) {
  sameLength('dotF64', x, y);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * y[i];
  return s;
}

export function dotF32(x, y) {
  sameLength('dotF32', x, y);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * y[i];
  return s;
}

/** y = a*x + y in place. */
export function axpyF64(a, x, y) {
  sameLength('axpyF64', x, y);
  for (let i = 0; i < x.length; i++) y[i] = a * x[i] + y[i];
}

/** f32 arithmetic: round the product to f32 before adding, as WASM's f32.mul does (the store rounds the sum). */
export function axpyF32(a, x, y) {
  sameLength('axpyF32', x, y);
  const a32 = Math.fround(a);
  for (let i = 0; i < x.length; i++) y[i] = Math.fround(a32 * x[i]) + y[i];
}

export function scaleF64(a, x) {
  for (let i = 0; i < x.length; i++) x[i] = a * x[i];
}

export function scaleF32(a, x) {
  const a32 = Math.fround(a);
  for (let i = 0; i < x.length; i++) x[i] = a32 * x[i];
}

// ---- matrix.ts ----

/** c (n×m) = a (n×k) · b (k×m), row-major, i-k-j order (each c[i][j] sums its products in ascending k). */
export function matmulF64(a, b, c, n, k, m) {
  if (a.length !== n * k || b.length !== k * m || c.length !== n * m) {
    throw new RangeError(`matmulF64: expected a, b, c to hold n*k, k*m, n*m values (${n * k}, ${k * m}, ${n * m}), got ${a.length}, ${b.length}, ${c.length}`);
  }
  c.fill(0);
  for (let i = 0; i < n; i++) {
    for (let kx = 0; kx < k; kx++) {
      const aik = a[i * k + kx];
      const bRow = kx * m;
      const cRow = i * m;
      for (let j = 0; j < m; j++) c[cRow + j] += aik * b[bRow + j];
    }
  }
}

// ---- mandelbrot.ts ----

function escapeCount(cr, ci, maxIter) {
  let zr = 0;
  let zi = 0;
  let n = 0;
  while (n < maxIter) {
    const zr2 = zr * zr;
    const zi2 = zi * zi;
    if (zr2 + zi2 > 4) break;
    zi = 2 * zr * zi + ci;
    zr = zr2 - zi2 + cr;
    n++;
  }
  return n;
}

/** Iteration counts of whole rows starting at image row `rowStart` into a Uint32Array. */
export function mandelbrot(out, width, rowStart, maxIter, x0, y0, step) {
  if (!(width > 0) || out.length % width !== 0) throw new RangeError('mandelbrot: the output length must be a multiple of a positive width');
  const rows = out.length / width;
  for (let r = 0; r < rows; r++) {
    const ci = y0 + (rowStart + r) * step;
    for (let px = 0; px < width; px++) out[r * width + px] = escapeCount(x0 + px * step, ci, maxIter);
  }
}

/** RGBA of whole rows into a Uint8ClampedArray (4 bytes a pixel); same palette as the WASM kernel. */
export function mandelbrotRGBA(out, width, rowStart, maxIter, x0, y0, step) {
  if (!(width > 0) || out.length % (width * 4) !== 0) throw new RangeError('mandelbrotRGBA: the output length must be a multiple of 4*width');
  const rows = out.length / (width * 4);
  for (let r = 0; r < rows; r++) {
    const ci = y0 + (rowStart + r) * step;
    for (let px = 0; px < width; px++) {
      const n = escapeCount(x0 + px * step, ci, maxIter);
      const o = (r * width + px) * 4;
      if (n >= maxIter) {
        out[o] = out[o + 1] = out[o + 2] = 0;
      } else {
        const t = n / maxIter;
        const u = 1 - t;
        out[o] = Math.trunc(9 * u * t * t * t * 255);
        out[o + 1] = Math.trunc(15 * u * u * t * t * 255);
        out[o + 2] = Math.trunc(8.5 * u * u * u * t * 255);
      }
      out[o + 3] = 255;
    }
  }
}

// ---- primes.ts ----

/** Smallest scratch block countPrimes accepts, in bytes (the twin allocates its own and ignores it). */
export const COUNT_PRIMES_SCRATCH = 65536;

/** Primes in [lo, hi): segmented sieve of Eratosthenes over odd numbers, like the WASM kernel. */
export function countPrimes(lo, hi, scratch) {
  if (!scratch || scratch.byteLength < COUNT_PRIMES_SCRATCH) throw new RangeError('countPrimes: the scratch block must hold at least 65536 bytes');
  if (hi <= lo) return 0;
  let count = lo <= 2 && hi > 2 ? 1 : 0;
  // First odd candidate >= max(lo, 3).
  const start = Math.max(lo, 3) % 2 === 0 ? Math.max(lo, 3) + 1 : Math.max(lo, 3);
  if (start >= hi) return count;
  const primes = [];
  for (let p = 3; p * p < hi; p += 2) {
    let isPrime = true;
    for (const q of primes) {
      if (q * q > p) break;
      if (p % q === 0) {
        isPrime = false;
        break;
      }
    }
    if (isPrime) primes.push(p);
  }
  const segmentOdds = 32768;
  const segment = new Uint8Array(segmentOdds);
  for (let low = start; low < hi; low += segmentOdds * 2) {
    const segEnd = Math.min(low + segmentOdds * 2, hi);
    const odds = Math.floor((segEnd - low + 1) / 2);
    segment.fill(0, 0, odds);
    for (const p of primes) {
      if (p * p >= segEnd) break;
      let m = Math.max(p * p, Math.ceil(low / p) * p);
      if (m % 2 === 0) m += p;
      for (; m < segEnd; m += 2 * p) segment[(m - low) / 2] = 1;
    }
    for (let i = 0; i < odds; i++) count += 1 - segment[i];
  }
  return count;
}

// ---- montecarlo.ts ----

/** Hits inside the quarter circle among `samples` points; the PRNG stream is the WASM kernel's exactly. */
export function monteCarloPi(samples, seed) {
  let sm = seed >>> 0;
  const next = () => {
    sm = (sm + 0x9e3779b9) >>> 0;
    let z = sm;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let s0 = next();
  let s1 = next();
  let s2 = next();
  let s3 = next();
  const n = Math.trunc(samples);
  let hits = 0;
  for (let i = 0; i < n; i++) {
    let m = Math.imul(s1, 5);
    let r = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    let t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    const x = r * 2.3283064365386963e-10;
    m = Math.imul(s1, 5);
    r = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    const y = r * 2.3283064365386963e-10;
    if (x * x + y * y < 1) hits++;
  }
  return hits;
}

// ---- histogram.ts ----

/** Adds the counts of `values` in [lo, hi) into `bins` (a Uint32Array); NaN and values outside are skipped. */
export function histogramF64(values, lo, hi, bins) {
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) throw new RangeError('histogramF64: lo and hi must be finite with lo < hi');
  if (bins.length === 0) throw new RangeError('histogramF64: bins must not be empty');
  const scale = bins.length / (hi - lo);
  const last = bins.length - 1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v >= lo && v < hi) bins[Math.min(Math.trunc((v - lo) * scale), last)]++;
  }
}

// ---- sort.ts ----

/** Ascending in place; NaNs last, -0 before +0 (Float64Array.prototype.sort's order). */
export function sortF64(x) {
  x.sort();
}

function lessOrEqual(a, b) {
  if (Number.isNaN(b)) return true;
  if (Number.isNaN(a)) return false;
  return a < b || (a === b && (a !== 0 || Object.is(a, -0) || Object.is(b, 0)));
}

/** Merges ascending runs a and b into out (stable; same order as sortF64). */
export function mergeF64(a, b, out) {
  if (out.length !== a.length + b.length) throw new RangeError('mergeF64: out must hold exactly a.length + b.length values');
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = lessOrEqual(a[i], b[j]) ? a[i++] : b[j++];
  while (i < a.length) out[k++] = a[i++];
  while (j < b.length) out[k++] = b[j++];
}
