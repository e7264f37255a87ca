// Limits of one core for bench/ops.mjs (built into build/bench/, not shipped): SIMD128 mul+add throughput (12 independent
// chains of acc = acc*m + c hide the add and mul latencies) and read bandwidth (the same 4 × f64x2 sum as
// assembly/ops/reduce.ts). The same probes as ../shared/anchors/numeric/peak.ts.

// @ts-ignore: decorator
@inline function mulAdd<T>(iters: i32): T {
  const m = v128.splat<T>(<T>0.9999), c = v128.splat<T>(<T>1e-4);
  let a0 = v128.splat<T>(<T>1.0), a1 = v128.splat<T>(<T>1.1), a2 = v128.splat<T>(<T>1.2), a3 = v128.splat<T>(<T>1.3);
  let a4 = v128.splat<T>(<T>1.4), a5 = v128.splat<T>(<T>1.5), a6 = v128.splat<T>(<T>1.6), a7 = v128.splat<T>(<T>1.7);
  let a8 = v128.splat<T>(<T>1.8), a9 = v128.splat<T>(<T>1.9), a10 = v128.splat<T>(<T>2.0), a11 = v128.splat<T>(<T>2.1);
  for (let i = 0; i < iters; i++) {
    a0 = v128.add<T>(v128.mul<T>(a0, m), c); a1 = v128.add<T>(v128.mul<T>(a1, m), c);
    a2 = v128.add<T>(v128.mul<T>(a2, m), c); a3 = v128.add<T>(v128.mul<T>(a3, m), c);
    a4 = v128.add<T>(v128.mul<T>(a4, m), c); a5 = v128.add<T>(v128.mul<T>(a5, m), c);
    a6 = v128.add<T>(v128.mul<T>(a6, m), c); a7 = v128.add<T>(v128.mul<T>(a7, m), c);
    a8 = v128.add<T>(v128.mul<T>(a8, m), c); a9 = v128.add<T>(v128.mul<T>(a9, m), c);
    a10 = v128.add<T>(v128.mul<T>(a10, m), c); a11 = v128.add<T>(v128.mul<T>(a11, m), c);
  }
  const s = v128.add<T>(v128.add<T>(v128.add<T>(a0, a1), v128.add<T>(a2, a3)), v128.add<T>(v128.add<T>(a4, a5), v128.add<T>(a6, a7)));
  const t = v128.add<T>(s, v128.add<T>(v128.add<T>(a8, a9), v128.add<T>(a10, a11)));
  return v128.extract_lane<T>(t, 0) + v128.extract_lane<T>(t, 1);
}

/** 12 chains × 4 lanes × 2 flop per iteration. */
export function f32MulAdd(iters: i32): f32 { return mulAdd<f32>(iters); }
/** 12 chains × 2 lanes × 2 flop per iteration. */
export function f64MulAdd(iters: i32): f64 { return mulAdd<f64>(iters); }

/** Sum of n f64 at byte offset p: the read-bandwidth probe. */
export function sumF64(p: usize, n: i32): f64 {
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0), s2 = f64x2.splat(0), s3 = f64x2.splat(0);
  const end = p + (<usize>n << 3);
  let q = p;
  for (; q + 64 <= end; q += 64) {
    s0 = f64x2.add(s0, v128.load(q)); s1 = f64x2.add(s1, v128.load(q, 16));
    s2 = f64x2.add(s2, v128.load(q, 32)); s3 = f64x2.add(s3, v128.load(q, 48));
  }
  const s = f64x2.add(f64x2.add(s0, s1), f64x2.add(s2, s3));
  let r = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  for (; q < end; q += 8) r += load<f64>(q);
  return r;
}
