// Reductions for pool.ops, pointer-only (see ../kernels/vector.ts). Every kernel works on whole blocks of
// BLOCK elements, [b0, b1) of the array x[0, n), and writes one partial result per block; the main thread
// combines the partials in a fixed pairwise order. A block's result depends only on its elements, never on
// which worker ran it or how many there were, so every reduction is bit-identical on any worker count.
// The JS twins in src/ops/reference.ts perform the same operations in the same order.
// Each kernel is generic over the element type T (f64 or f32); f32 values are promoted to f64, exactly,
// before any arithmetic, so f32 reductions accumulate in f64.

/** Elements per block: 16 KiB of f64, so a block's second sweep (variance, argmax) hits L1. Same in src/ops/blocks.ts. */
export const BLOCK: i32 = 2048;

// @ts-ignore: decorator
@inline function blockEnd(b: i32, n: i32): i32 { return min(n, (b + 1) * BLOCK); }

// @ts-ignore: decorator
@inline function at<T>(x: usize, i: i32): f64 { return <f64>load<T>(x + (<usize>i << alignof<T>())); }

/** Lanes 0-1 of the eight f64 values at x[i, i + 8), as f64x2 (f32 promoted): `part` 0..3 picks the pair. */
// @ts-ignore: decorator
@inline function pair<T>(x: usize, i: i32, part: i32): v128 {
  if (sizeof<T>() == 8) return v128.load(x + (<usize>(i + 2 * part) << 3));
  const v = v128.load(x + (<usize>(i + 4 * (part >> 1)) << 2));
  return f64x2.promote_low_f32x4(part & 1 ? i32x4.shuffle(v, v, 2, 3, 0, 1) : v);
}

/**
 * Sum over x[i0, i1) of v (or of (v - mean)^2 when `dev`) in eight lanes: lane j adds the terms of x[i0 + j],
 * x[i0 + 8 + j], ... in order; the lanes are joined as ((l0+l2)+(l4+l6)) + ((l1+l3)+(l5+l7)), then the tail
 * (fewer than eight) is added in order.
 */
// @ts-ignore: decorator
@inline function laneSum<T>(x: usize, i0: i32, i1: i32, dev: bool, mean: f64): f64 {
  const m = f64x2.splat(mean);
  let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
  let i = i0;
  for (; i + 8 <= i1; i += 8) {
    let v0 = pair<T>(x, i, 0), v1 = pair<T>(x, i, 1), v2 = pair<T>(x, i, 2), v3 = pair<T>(x, i, 3);
    if (dev) {
      v0 = f64x2.sub(v0, m); v0 = f64x2.mul(v0, v0);
      v1 = f64x2.sub(v1, m); v1 = f64x2.mul(v1, v1);
      v2 = f64x2.sub(v2, m); v2 = f64x2.mul(v2, v2);
      v3 = f64x2.sub(v3, m); v3 = f64x2.mul(v3, v3);
    }
    a0 = f64x2.add(a0, v0);
    a1 = f64x2.add(a1, v1);
    a2 = f64x2.add(a2, v2);
    a3 = f64x2.add(a3, v3);
  }
  const t = f64x2.add(f64x2.add(a0, a1), f64x2.add(a2, a3));
  let s = f64x2.extract_lane(t, 0) + f64x2.extract_lane(t, 1);
  for (; i < i1; i++) {
    const d = dev ? at<T>(x, i) - mean : at<T>(x, i);
    s += dev ? d * d : d;
  }
  return s;
}

// @ts-ignore: decorator
@inline function sumBlocks<T>(x: usize, n: i32, b0: i32, b1: i32, out: usize): void {
  for (let b = b0; b < b1; b++) store<f64>(out + (<usize>b << 3), laneSum<T>(x, b * BLOCK, blockEnd(b, n), false, 0));
}

/** out[b] = the sum of block b, for b in [b0, b1). */
export function opsSumBlocksF64(x: usize, n: i32, b0: i32, b1: i32, out: usize): void { sumBlocks<f64>(x, n, b0, b1, out); }
export function opsSumBlocksF32(x: usize, n: i32, b0: i32, b1: i32, out: usize): void { sumBlocks<f32>(x, n, b0, b1, out); }

// @ts-ignore: decorator
@inline function momentsBlocks<T>(x: usize, n: i32, b0: i32, b1: i32, out: usize): void {
  for (let b = b0; b < b1; b++) {
    const i0 = b * BLOCK, i1 = blockEnd(b, n);
    const s = laneSum<T>(x, i0, i1, false, 0);
    store<f64>(out + (<usize>b << 4), s);
    store<f64>(out + (<usize>b << 4), laneSum<T>(x, i0, i1, true, s / <f64>(i1 - i0)), 8);
  }
}

/**
 * out[2b] = the sum of block b, out[2b+1] = its sum of squared deviations from its own mean. Two sweeps of a
 * block that sits in L1, so memory is read once.
 */
export function opsMomentsBlocksF64(x: usize, n: i32, b0: i32, b1: i32, out: usize): void { momentsBlocks<f64>(x, n, b0, b1, out); }
export function opsMomentsBlocksF32(x: usize, n: i32, b0: i32, b1: i32, out: usize): void { momentsBlocks<f32>(x, n, b0, b1, out); }

/**
 * The least (or greatest) value of x[i0, i1) with WASM's f64.min/max rules (NaN if any element is NaN; -0 below
 * +0). The vector loop uses pmin/pmax (one instruction each, where min/max cost V8 several for those rules) and
 * notes NaNs apart; a zero result has its sign settled by a scan of the block (only then).
 */
// @ts-ignore: decorator
@inline function extremum<T>(x: usize, i0: i32, i1: i32, wantMax: bool): f64 {
  let m = at<T>(x, i0);
  let i = i0;
  let nan = v128.splat<i64>(0);
  if (sizeof<T>() == 8) {
    let a0 = f64x2.splat(m), a1 = a0, a2 = a0, a3 = a0;
    for (; i + 8 <= i1; i += 8) {
      const p = x + (<usize>i << 3);
      const v0 = v128.load(p), v1 = v128.load(p, 16), v2 = v128.load(p, 32), v3 = v128.load(p, 48);
      nan = v128.or(nan, v128.or(v128.or(f64x2.ne(v0, v0), f64x2.ne(v1, v1)), v128.or(f64x2.ne(v2, v2), f64x2.ne(v3, v3))));
      if (wantMax) {
        a0 = f64x2.pmax(a0, v0); a1 = f64x2.pmax(a1, v1); a2 = f64x2.pmax(a2, v2); a3 = f64x2.pmax(a3, v3);
      } else {
        a0 = f64x2.pmin(a0, v0); a1 = f64x2.pmin(a1, v1); a2 = f64x2.pmin(a2, v2); a3 = f64x2.pmin(a3, v3);
      }
    }
    const t = wantMax ? f64x2.max(f64x2.max(a0, a1), f64x2.max(a2, a3)) : f64x2.min(f64x2.min(a0, a1), f64x2.min(a2, a3));
    const l0 = f64x2.extract_lane(t, 0), l1 = f64x2.extract_lane(t, 1);
    m = wantMax ? max<f64>(m, max<f64>(l0, l1)) : min<f64>(m, min<f64>(l0, l1));
  } else {
    let a0 = f32x4.splat(<f32>m), a1 = a0;
    for (; i + 8 <= i1; i += 8) {
      const p = x + (<usize>i << 2);
      const v0 = v128.load(p), v1 = v128.load(p, 16);
      nan = v128.or(nan, v128.or(f32x4.ne(v0, v0), f32x4.ne(v1, v1)));
      if (wantMax) {
        a0 = f32x4.pmax(a0, v0); a1 = f32x4.pmax(a1, v1);
      } else {
        a0 = f32x4.pmin(a0, v0); a1 = f32x4.pmin(a1, v1);
      }
    }
    const r = wantMax ? f32x4.max(a0, a1) : f32x4.min(a0, a1);
    const t = f64x2.promote_low_f32x4(r);
    const u = f64x2.promote_low_f32x4(i32x4.shuffle(r, r, 2, 3, 0, 1));
    const v = wantMax ? f64x2.max(t, u) : f64x2.min(t, u);
    const l0 = f64x2.extract_lane(v, 0), l1 = f64x2.extract_lane(v, 1);
    m = wantMax ? max<f64>(m, max<f64>(l0, l1)) : min<f64>(m, min<f64>(l0, l1));
  }
  for (; i < i1; i++) m = wantMax ? max<f64>(m, at<T>(x, i)) : min<f64>(m, at<T>(x, i));
  if (v128.any_true(nan)) return NaN;
  if (m == 0) {
    // pmin/pmax keep whichever zero came first: the block holds the other sign if any element is that zero.
    const want: f64 = wantMax ? 0.0 : -0.0;
    for (let j = i0; j < i1; j++) {
      const e = at<T>(x, j);
      if (e == 0 && (1 / e > 0) == wantMax) return want;
    }
  }
  return m;
}

/** The first index in [i0, i1) holding `m` (a NaN when `m` is NaN; -0 and +0 are equal). */
// @ts-ignore: decorator
@inline function firstIndex<T>(x: usize, i0: i32, i1: i32, m: f64): i32 {
  if (m != m) {
    for (let j = i0; j < i1; j++) {
      const v = at<T>(x, j);
      if (v != v) return j;
    }
  } else {
    for (let j = i0; j < i1; j++) if (at<T>(x, j) == m) return j;
  }
  return i1;
}

// @ts-ignore: decorator
@inline function extremaBlocks<T>(x: usize, n: i32, b0: i32, b1: i32, out: usize, wantMax: i32, withIndex: i32): void {
  for (let b = b0; b < b1; b++) {
    const i0 = b * BLOCK, i1 = blockEnd(b, n);
    const m = wantMax ? extremum<T>(x, i0, i1, true) : extremum<T>(x, i0, i1, false);
    store<f64>(out + (<usize>b << 4), m);
    store<f64>(out + (<usize>b << 4), withIndex ? <f64>firstIndex<T>(x, i0, i1, m) : -1, 8);
  }
}

/**
 * out[2b] = the least value of block b and out[2b+1] the index (in x) of its first occurrence, for b in
 * [b0, b1). NaN propagates: a block holding a NaN reports NaN at the index of its first NaN. -0 and +0 are
 * equal for the index (the first of them counts); the value is WASM's f64.min (-0 below +0).
 * `wantMax` != 0 finds the greatest value instead; `withIndex` == 0 skips the index (stored as -1).
 */
export function opsExtremaBlocksF64(x: usize, n: i32, b0: i32, b1: i32, out: usize, wantMax: i32, withIndex: i32): void {
  extremaBlocks<f64>(x, n, b0, b1, out, wantMax, withIndex);
}
export function opsExtremaBlocksF32(x: usize, n: i32, b0: i32, b1: i32, out: usize, wantMax: i32, withIndex: i32): void {
  extremaBlocks<f32>(x, n, b0, b1, out, wantMax, withIndex);
}
