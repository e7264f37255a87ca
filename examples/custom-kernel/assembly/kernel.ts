// A user's own kernels, for a pool whose workers share one memory. Typed arrays arrive as
// (ptr, len); the helpers from "wasmpool/assembly" index them, log from inside a worker, and
// read the clock. Declaring the pointers as Float64Ptr lets the pool refuse any other typed array
// (and `wasmpool build --types` declare them as Float64Array). Kernels may allocate: each worker
// has a heap of its own (`median` copies its input there).
import { Float64Ptr, getF64, setF64, logNumber, now } from "wasmpool/assembly";

/** Rescales x in place to values in [0, 1]; returns the range (max - min) it found. */
export function normalize(x: Float64Ptr, n: i32): f64 {
  if (n == 0) return 0;
  const start = now();
  let lo = getF64(x, 0);
  let hi = lo;
  for (let i = 1; i < n; i++) {
    const v = getF64(x, i);
    lo = min(lo, v);
    hi = max(hi, v);
  }
  const range = hi - lo;
  const scale = range > 0 ? 1.0 / range : 0.0;
  for (let i = 0; i < n; i++) setF64(x, i, (getF64(x, i) - lo) * scale);
  logNumber("normalize: ms in this worker = ", now() - start);
  return range;
}

/** Moving average of width w: out[i] = mean(x[i .. i+w)); out must hold n - w + 1 values. */
export function movingAverage(x: Float64Ptr, n: i32, out: Float64Ptr, nOut: i32, w: i32): void {
  assert(w > 0 && nOut == n - w + 1, "movingAverage: out must hold x.length - w + 1 values");
  let window: f64 = 0;
  for (let i = 0; i < w; i++) window += getF64(x, i);
  setF64(out, 0, window / w);
  for (let i = w; i < n; i++) {
    window += getF64(x, i) - getF64(x, i - w);
    setF64(out, i - w + 1, window / w);
  }
}

/** The median of x, from a sorted copy: x itself is left as it is. */
export function median(x: Float64Ptr, n: i32): f64 {
  if (n == 0) return NaN;
  const copy = new Float64Array(n); // in this worker's own heap, given back when the call returns
  for (let i = 0; i < n; i++) copy[i] = getF64(x, i);
  copy.sort();
  return n & 1 ? copy[n >> 1] : (copy[(n >> 1) - 1] + copy[n >> 1]) / 2;
}
