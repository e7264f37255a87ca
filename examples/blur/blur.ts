// A separable Gaussian blur of a Float32 image (row-major, width × height) that lives in the pool's shared
// memory. Two passes, each split over the workers by pool.parallel: blurRows over bands of rows (src → tmp),
// then blurCols over bands of columns (tmp → dst). Edges are clamped (the nearest pixel is repeated).
//
// Each pixel is Σ w[k] · src[clamp(i + k - r)] for k = 0 .. taps-1, added in that order in f64 and stored as
// f32; run.mjs does the same in plain JavaScript, so the results are bit-identical (WebAssembly has no fused
// multiply-add and -O3 does not reorder floating-point additions). SIMD computes four neighbouring pixels at
// once, each lane doing exactly the scalar loop's operations, so it changes the speed and not one bit.
import { Float32Ptr, Float64Ptr, getF32, getF64, setF32 } from 'wasmpool/assembly';

/** Blurs whole rows along x: src and dst are the same band of rows (a multiple of `width` pixels). */
export function blurRows(src: Float32Ptr, srcLen: i32, dst: Float32Ptr, dstLen: i32, width: i32, w: Float64Ptr, taps: i32): void {
  assert(width > 0 && srcLen % width == 0 && dstLen == srcLen, 'blurRows: src and dst must be the same whole rows');
  assert(taps % 2 == 1, 'blurRows: the number of taps must be odd');
  const r = taps >> 1;
  const rows = srcLen / width;
  for (let y = 0; y < rows; y++) {
    const row = src + ((<usize>(y * width)) << 2);
    const out = dst + ((<usize>(y * width)) << 2);
    let x = 0;
    // The left edge, clamped.
    for (; x < min(r, width); x++) setF32(out, x, clampedRow(row, x, width, w, taps));
    // Inside: four pixels at a time, the taps walking one row.
    for (; x + 3 + r < width; x += 4) {
      const at = row + ((<usize>(x - r)) << 2);
      let lo = f64x2.splat(0);
      let hi = f64x2.splat(0);
      for (let k = 0; k < taps; k++) {
        const wk = f64x2.splat(getF64(w, k));
        const p = at + ((<usize>k) << 2);
        lo = f64x2.add(lo, f64x2.mul(wk, f64x2.promote_low_f32x4(v128.load64_zero(p))));
        hi = f64x2.add(hi, f64x2.mul(wk, f64x2.promote_low_f32x4(v128.load64_zero(p + 8))));
      }
      store4(out + ((<usize>x) << 2), lo, hi);
    }
    // The rest and the right edge, one at a time.
    for (; x < width; x++) setF32(out, x, clampedRow(row, x, width, w, taps));
  }
}

/** Blurs the columns [x0, x1) of the whole image along y, reading src and writing dst (both width × height). */
export function blurCols(src: Float32Ptr, srcLen: i32, dst: Float32Ptr, dstLen: i32, width: i32, x0: i32, x1: i32, w: Float64Ptr, taps: i32): void {
  assert(width > 0 && srcLen % width == 0 && dstLen == srcLen, 'blurCols: src and dst must be whole images of the same size');
  assert(0 <= x0 && x0 <= x1 && x1 <= width, 'blurCols: columns out of range');
  const r = taps >> 1;
  const height = srcLen / width;
  // Rows outer, columns inner: the taps' rows stay in cache while x walks along them.
  for (let y = 0; y < height; y++) {
    const out = dst + ((<usize>(y * width)) << 2);
    let x = x0;
    for (; x + 4 <= x1; x += 4) {
      let lo = f64x2.splat(0);
      let hi = f64x2.splat(0);
      for (let k = 0; k < taps; k++) {
        const wk = f64x2.splat(getF64(w, k));
        const p = src + ((<usize>(clamp(y + k - r, height) * width + x)) << 2);
        lo = f64x2.add(lo, f64x2.mul(wk, f64x2.promote_low_f32x4(v128.load64_zero(p))));
        hi = f64x2.add(hi, f64x2.mul(wk, f64x2.promote_low_f32x4(v128.load64_zero(p + 8))));
      }
      store4(out + ((<usize>x) << 2), lo, hi);
    }
    for (; x < x1; x++) {
      let s: f64 = 0;
      for (let k = 0; k < taps; k++) s += getF64(w, k) * <f64>getF32(src, clamp(y + k - r, height) * width + x);
      setF32(out, x, <f32>s);
    }
  }
}

/** One pixel of a row near its edges: the taps' indices clamped to the row. */
function clampedRow(row: usize, x: i32, width: i32, w: usize, taps: i32): f32 {
  const r = taps >> 1;
  let s: f64 = 0;
  for (let k = 0; k < taps; k++) s += getF64(w, k) * <f64>getF32(row, clamp(x + k - r, width));
  return <f32>s;
}

/** Stores four sums (two f64x2) as f32, each rounded as the scalar `<f32>s` would be. */
function store4(at: usize, lo: v128, hi: v128): void {
  store<f32>(at, <f32>f64x2.extract_lane(lo, 0));
  store<f32>(at, <f32>f64x2.extract_lane(lo, 1), 4);
  store<f32>(at, <f32>f64x2.extract_lane(hi, 0), 8);
  store<f32>(at, <f32>f64x2.extract_lane(hi, 1), 12);
}

// Binaryen inlines it at -O3.
function clamp(i: i32, n: i32): i32 {
  return i < 0 ? 0 : i >= n ? n - 1 : i;
}
