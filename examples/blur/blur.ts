// A separable Gaussian blur of a Float32 image (row-major, width × height) that lives in the pool's shared
// memory. Two passes, each split over the workers by pool.parallel: blurRows over bands of rows (src → tmp),
// then blurCols over bands of columns (tmp → dst). Edges are clamped (the nearest pixel is repeated).
//
// Each pixel is Σ w[k] · src[clamp(i + k - r)] for k = 0 .. taps-1, added in that order in f64 and stored as
// f32; run.mjs does the same in plain JavaScript, so the results are bit-identical (WebAssembly has no fused
// multiply-add and -O3 does not reorder floating-point additions).
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
    for (let x = 0; x < width; x++) {
      let s: f64 = 0;
      if (x >= r && x + r < width) {
        // Inside: no clamping; the loads walk one row.
        const at = row + ((<usize>(x - r)) << 2);
        for (let k = 0; k < taps; k++) s += getF64(w, k) * <f64>load<f32>(at + ((<usize>k) << 2));
      } else {
        for (let k = 0; k < taps; k++) s += getF64(w, k) * <f64>getF32(row, clamp(x + k - r, width));
      }
      setF32(out, x, <f32>s);
    }
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
    for (let x = x0; x < x1; x++) {
      let s: f64 = 0;
      for (let k = 0; k < taps; k++) s += getF64(w, k) * <f64>getF32(src, clamp(y + k - r, height) * width + x);
      setF32(dst, y * width + x, <f32>s);
    }
  }
}

// Binaryen inlines it at -O3.
function clamp(i: i32, n: i32): i32 {
  return i < 0 ? 0 : i >= n ? n - 1 : i;
}
