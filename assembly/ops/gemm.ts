// Dense matrix product for pool.ops, pointer-only: c[m×n] = a[m×k] · b[k×n], row-major, f32 or f64.
//
// GotoBLAS's structure with SIMD128: for each NC-wide column block of b and KC-deep slice of k, b's slice is
// packed into NR-wide column panels (k-major, so the micro-kernel reads NR consecutive values per k); for each
// MC-high row block of a, a's slice is packed into MR-high row panels. The micro-kernel keeps an MR×NR tile
// of c in MR·2 v128 registers and, for every k, loads two vectors of b's panel and one value of a per row.
// Panels are padded with zeros, so edge tiles run the same micro-kernel on a copy of their part of c.
//
// Every c[i][j] is c = ((0 + a[i][0]·b[0][j]) + a[i][1]·b[1][j]) + ...: in ascending k (the tile is loaded from
// c between k slices, never summed apart). In the baseline build products and sums are each rounded, with no
// fused multiply-add, so the result is bit-identical to the plain i-j-k loop of the JS twin; in the relaxed-SIMD
// build each step is one madd (fused where the CPU has FMA: one rounding instead of two). Either way the order
// is the same on any split of the rows: a worker computes rows [r0, r1) of c and packs the slices of b it needs.

import { madd } from "./madd";

// @ts-ignore: decorator
@inline const MR = 4;
// @ts-ignore: decorator
@inline const KC = 256;

/** Elements of one v128. */
// @ts-ignore: decorator
@inline function lanes<T>(): i32 { return 16 / sizeof<T>(); }
/** Columns of a tile: two vectors. */
// @ts-ignore: decorator
@inline function nr<T>(): i32 { return 2 * lanes<T>(); }
/** Rows of a's block packed at once (its packed block stays in L2). */
// @ts-ignore: decorator
@inline function mc<T>(): i32 { return sizeof<T>() == 4 ? 128 : 64; }
/** Columns of b's block packed at once. */
// @ts-ignore: decorator
@inline function nc<T>(): i32 { return sizeof<T>() == 4 ? 512 : 256; }

// @ts-ignore: decorator
@inline function splat<T>(p: usize): v128 { return sizeof<T>() == 4 ? v128.load32_splat(p) : v128.load64_splat(p); }

/** Elements of scratch a part needs: packed a block, packed b block, one tile (src/ops/ops.ts reserves as many). */
// @ts-ignore: decorator
@inline function scratchLength<T>(): i32 { return mc<T>() * KC + KC * nc<T>() + MR * nr<T>(); }

/** Packs b[p0 + kk][j0 + jj] for kk < kc, jj < ncols into panels of NR columns, zero-padded. */
// @ts-ignore: decorator
@inline function packB<T>(b: usize, n: i32, p0: i32, kc: i32, j0: i32, ncols: i32, dst: usize): void {
  const NR = nr<T>();
  const s = sizeof<T>();
  for (let q = 0; q < ncols; q += NR) {
    const w = min(NR, ncols - q);
    const panel = dst + <usize>(q * kc) * s;
    for (let kk = 0; kk < kc; kk++) {
      const src = b + (<usize>(p0 + kk) * <usize>n + <usize>(j0 + q)) * s;
      const to = panel + <usize>(kk * NR) * s;
      if (w == NR) {
        v128.store(to, v128.load(src));
        v128.store(to, v128.load(src, 16), 16);
      } else {
        for (let jj = 0; jj < NR; jj++) store<T>(to + <usize>jj * s, jj < w ? load<T>(src + <usize>jj * s) : <T>0);
      }
    }
  }
}

/** Packs a[i0 + ii][p0 + kk] for ii < rows, kk < kc into panels of MR rows, zero-padded. */
// @ts-ignore: decorator
@inline function packA<T>(a: usize, k: i32, i0: i32, rows: i32, p0: i32, kc: i32, dst: usize): void {
  const s = sizeof<T>();
  for (let p = 0; p < rows; p += MR) {
    const h = min(MR, rows - p);
    const panel = dst + <usize>(p * kc) * s;
    for (let r = 0; r < MR; r++) {
      const src = a + (<usize>(i0 + p + r) * <usize>k + <usize>p0) * s;
      if (r < h) for (let kk = 0; kk < kc; kk++) store<T>(panel + <usize>(kk * MR + r) * s, load<T>(src + <usize>kk * s));
      else for (let kk = 0; kk < kc; kk++) store<T>(panel + <usize>(kk * MR + r) * s, <T>0);
    }
  }
}

/** tile (MR×NR at c, row stride ldc elements) = (first ? 0 : tile) + Apanel · Bpanel over kc. */
// @ts-ignore: decorator
@inline function micro<T>(kc: i32, ap: usize, bp: usize, c: usize, ldc: i32, first: bool): void {
  const s = sizeof<T>();
  const NR = nr<T>();
  const row = <usize>ldc * s;
  let c00 = v128.splat<T>(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  if (!first) {
    c00 = v128.load(c); c01 = v128.load(c, 16);
    c10 = v128.load(c + row); c11 = v128.load(c + row, 16);
    c20 = v128.load(c + 2 * row); c21 = v128.load(c + 2 * row, 16);
    c30 = v128.load(c + 3 * row); c31 = v128.load(c + 3 * row, 16);
  }
  for (let kk = 0; kk < kc; kk++) {
    const b0 = v128.load(bp), b1 = v128.load(bp, 16);
    let a = splat<T>(ap);
    c00 = madd<T>(a, b0, c00); c01 = madd<T>(a, b1, c01);
    a = splat<T>(ap + s);
    c10 = madd<T>(a, b0, c10); c11 = madd<T>(a, b1, c11);
    a = splat<T>(ap + 2 * s);
    c20 = madd<T>(a, b0, c20); c21 = madd<T>(a, b1, c21);
    a = splat<T>(ap + 3 * s);
    c30 = madd<T>(a, b0, c30); c31 = madd<T>(a, b1, c31);
    ap += <usize>MR * s;
    bp += <usize>NR * s;
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c + row, c10); v128.store(c + row, c11, 16);
  v128.store(c + 2 * row, c20); v128.store(c + 2 * row, c21, 16);
  v128.store(c + 3 * row, c30); v128.store(c + 3 * row, c31, 16);
}

// @ts-ignore: decorator
@inline function matmul<T>(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32, r0: i32, r1: i32, scratch: usize, scratchLen: i32): void {
  assert(scratchLen >= scratchLength<T>(), "opsMatmul: scratch too small");
  const s = sizeof<T>();
  const NR = nr<T>();
  const MC = mc<T>(), NC = nc<T>();
  const apack = scratch;
  const bpack = apack + <usize>(MC * KC) * s;
  const tile = bpack + <usize>(KC * NC) * s;
  if (k == 0) {
    for (let i = r0; i < r1; i++) memory.fill(c + <usize>i * <usize>n * s, 0, <usize>n * s);
    return;
  }
  for (let j0 = 0; j0 < n; j0 += NC) {
    const ncols = min(NC, n - j0);
    for (let p0 = 0; p0 < k; p0 += KC) {
      const kc = min(KC, k - p0);
      packB<T>(b, n, p0, kc, j0, ncols, bpack);
      for (let i0 = r0; i0 < r1; i0 += MC) {
        const rows = min(MC, r1 - i0);
        packA<T>(a, k, i0, rows, p0, kc, apack);
        for (let q = 0; q < ncols; q += NR) {
          const w = min(NR, ncols - q);
          const bp = bpack + <usize>(q * kc) * s;
          for (let p = 0; p < rows; p += MR) {
            const h = min(MR, rows - p);
            const ap = apack + <usize>(p * kc) * s;
            const ct = c + (<usize>(i0 + p) * <usize>n + <usize>(j0 + q)) * s;
            if (h == MR && w == NR) {
              micro<T>(kc, ap, bp, ct, n, p0 == 0);
            } else {
              // An edge tile: its part of c goes through `tile` (stride NR); the zero padding fills the rest.
              if (p0 > 0) for (let r = 0; r < h; r++) memory.copy(tile + <usize>(r * NR) * s, ct + <usize>r * <usize>n * s, <usize>w * s);
              micro<T>(kc, ap, bp, tile, NR, p0 == 0);
              for (let r = 0; r < h; r++) memory.copy(ct + <usize>r * <usize>n * s, tile + <usize>(r * NR) * s, <usize>w * s);
            }
          }
        }
      }
    }
  }
}

/** Rows [r0, r1) of c = a · b (f64). `scratch` holds scratchLen >= 81,936 elements of this part's own. */
export function opsMatmulF64(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32, r0: i32, r1: i32, scratch: usize, scratchLen: i32): void {
  matmul<f64>(a, b, c, m, k, n, r0, r1, scratch, scratchLen);
}

/** Rows [r0, r1) of c = a · b (f32 arithmetic). `scratch` holds scratchLen >= 163,872 elements. */
export function opsMatmulF32(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32, r0: i32, r1: i32, scratch: usize, scratchLen: i32): void {
  matmul<f32>(a, b, c, m, k, n, r0, r1, scratch, scratchLen);
}
