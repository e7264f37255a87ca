// Elementwise maps for pool.ops, pointer-only: out[i] = f(x[i]) (and y[i]) for i in [0, n). The pool splits
// the range and passes each part's pointers; `out` may equal `x` or `y` (in place).
//
// exp and log are fdlibm's algorithms (e_exp.c, e_log.c: Sun's, < 1 ulp), vectorised: both branches of a
// branch are computed and selected with a mask, and the scalings by 2^k are done on the exponent bits. The
// JS twins (src/ops/reference.ts) perform the same operations in the same order. f32 is computed through the
// f64 path and rounded once, so its error is at most 0.5 ulp (f32) plus the f64 error, i.e. under 1 ulp.

// ---- axpby ----

/** out = alpha*x + beta*y (each product rounded, then the sum: no fused multiply-add). */
export function opsAxpbyF64(alpha: f64, x: usize, beta: f64, y: usize, out: usize, n: i32): void {
  const va = f64x2.splat(alpha), vb = f64x2.splat(beta);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 3;
    v128.store(out + o, f64x2.add(f64x2.mul(va, v128.load(x + o)), f64x2.mul(vb, v128.load(y + o))));
    v128.store(out + o, f64x2.add(f64x2.mul(va, v128.load(x + o, 16)), f64x2.mul(vb, v128.load(y + o, 16))), 16);
  }
  for (; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(out + o, alpha * load<f64>(x + o) + beta * load<f64>(y + o));
  }
}

/** f32 arithmetic throughout: alpha and beta are rounded to f32 first. */
export function opsAxpbyF32(alpha: f32, x: usize, beta: f32, y: usize, out: usize, n: i32): void {
  const va = f32x4.splat(alpha), vb = f32x4.splat(beta);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.add(f32x4.mul(va, v128.load(x + o)), f32x4.mul(vb, v128.load(y + o))));
    v128.store(out + o, f32x4.add(f32x4.mul(va, v128.load(x + o, 16)), f32x4.mul(vb, v128.load(y + o, 16))), 16);
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, alpha * load<f32>(x + o) + beta * load<f32>(y + o));
  }
}

// ---- exp ----

const LN2_HI: f64 = 6.93147180369123816490e-01;
const LN2_LO: f64 = 1.90821492927058770002e-10;
const INV_LN2: f64 = 1.44269504088896338700e00;
const P1: f64 = 1.66666666666666019037e-01;
const P2: f64 = -2.77777777770155933842e-03;
const P3: f64 = 6.61375632143793436117e-05;
const P4: f64 = -1.65339022054652515390e-06;
const P5: f64 = 4.13813679705723846039e-08;
/** Below this exp rounds to 0, above the other it overflows; clamping keeps k in range (NaN passes through). */
const EXP_LO: f64 = -746.0;
const EXP_HI: f64 = 710.0;

/** 2^k for integer k in [-1022, 1023] held in each i64 lane, as f64x2. */
// @ts-ignore: decorator
@inline function pow2(k: v128): v128 {
  return i64x2.shl(i64x2.add(k, i64x2.splat(1023)), 52);
}

/** 1.5·2^52: adding it to an integer-valued f64 of magnitude below 2^51 leaves the integer in the low mantissa bits. */
const MAGIC: f64 = 6755399441055744.0;

// @ts-ignore: decorator
@inline function expF64x2(x: v128): v128 {
  // pmax/pmin (one instruction each) clamp like max/min here and let NaN through: NaN < c and c < NaN are false.
  const xc = f64x2.pmin(f64x2.pmax(x, f64x2.splat(EXP_LO)), f64x2.splat(EXP_HI));
  const kf = f64x2.nearest(f64x2.mul(xc, f64x2.splat(INV_LN2)));
  const hi = f64x2.sub(xc, f64x2.mul(kf, f64x2.splat(LN2_HI)));
  const lo = f64x2.mul(kf, f64x2.splat(LN2_LO));
  const r = f64x2.sub(hi, lo);
  const t = f64x2.mul(r, r);
  let p = f64x2.add(f64x2.splat(P4), f64x2.mul(t, f64x2.splat(P5)));
  p = f64x2.add(f64x2.splat(P3), f64x2.mul(t, p));
  p = f64x2.add(f64x2.splat(P2), f64x2.mul(t, p));
  p = f64x2.add(f64x2.splat(P1), f64x2.mul(t, p));
  const c = f64x2.sub(r, f64x2.mul(t, p));
  const q = f64x2.div(f64x2.mul(r, c), f64x2.sub(f64x2.splat(2), c));
  const y = f64x2.sub(f64x2.splat(1), f64x2.sub(f64x2.sub(lo, q), hi));
  // 2^k as 2^k1 * 2^k2 with k1 = k >> 1: both factors normal for every k the clamp allows.
  // k as an i64 per lane: kf + MAGIC holds kf in its low bits exactly (|kf| <= 1077), minus MAGIC's own bits.
  const k = i64x2.sub(f64x2.add(kf, f64x2.splat(MAGIC)), i64x2.splat(0x4338000000000000));
  const k1 = i64x2.shr_s(k, 1);
  const k2 = i64x2.sub(k, k1);
  return f64x2.mul(f64x2.mul(y, pow2(k1)), pow2(k2));
}

/** out[i] = f(x[i]) with f = exp (`isExp`) or log over f64x2; f32 goes through f64 and is rounded once. */
// @ts-ignore: decorator
@inline function mapF64x2<T>(x: usize, out: usize, n: i32, isExp: bool): void {
  let i = 0;
  if (sizeof<T>() == 8) {
    for (; i + 2 <= n; i += 2) {
      const v = v128.load(x + (<usize>i << 3));
      v128.store(out + (<usize>i << 3), isExp ? expF64x2(v) : logF64x2(v));
    }
  } else {
    for (; i + 4 <= n; i += 4) {
      const v = v128.load(x + (<usize>i << 2));
      const lo = f64x2.promote_low_f32x4(v);
      const hi = f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1));
      const rlo = f32x4.demote_f64x2_zero(isExp ? expF64x2(lo) : logF64x2(lo));
      const rhi = f32x4.demote_f64x2_zero(isExp ? expF64x2(hi) : logF64x2(hi));
      v128.store(out + (<usize>i << 2), i32x4.shuffle(rlo, rhi, 0, 1, 4, 5));
    }
  }
  for (; i < n; i++) {
    const v = f64x2.splat(<f64>load<T>(x + (<usize>i << alignof<T>())));
    store<T>(out + (<usize>i << alignof<T>()), <T>f64x2.extract_lane(isExp ? expF64x2(v) : logF64x2(v), 0));
  }
}

export function opsExpF64(x: usize, out: usize, n: i32): void { mapF64x2<f64>(x, out, n, true); }
export function opsExpF32(x: usize, out: usize, n: i32): void { mapF64x2<f32>(x, out, n, true); }

// ---- log ----

const LG1: f64 = 6.666666666666735130e-01;
const LG2: f64 = 3.999999999940941908e-01;
const LG3: f64 = 2.857142874366239149e-01;
const LG4: f64 = 2.222219843214978396e-01;
const LG5: f64 = 1.818357216161805012e-01;
const LG6: f64 = 1.531383769920937332e-01;
const LG7: f64 = 1.479819860511658591e-01;
const TWO54: f64 = 1.80143985094819840000e16;

// @ts-ignore: decorator
@inline function logF64x2(x: v128): v128 {
  // Subnormals are scaled by 2^54 first; k counts the power of two taken out.
  const sub = f64x2.lt(x, f64x2.splat(2.2250738585072014e-308));
  const xs = v128.bitselect(f64x2.mul(x, f64x2.splat(TWO54)), x, sub);
  const hx = i64x2.shr_u(xs, 32);
  const hm = v128.and(hx, i64x2.splat(0x000fffff));
  const i = v128.and(i64x2.add(hm, i64x2.splat(0x95f64)), i64x2.splat(0x100000));
  // m = the mantissa, with the exponent chosen so that m lies in [sqrt(2)/2, sqrt(2)).
  const m = v128.or(i64x2.shl(v128.or(hm, v128.xor(i, i64x2.splat(0x3ff00000))), 32), v128.and(xs, i64x2.splat(0xffffffff)));
  let k = i64x2.add(i64x2.sub(i64x2.shr_u(hx, 20), i64x2.splat(1023)), i64x2.shr_u(i, 20));
  k = i64x2.add(k, v128.and(sub, i64x2.splat(-54)));
  const dk = f64x2.convert_low_i32x4_s(i32x4.shuffle(k, k, 0, 2, 0, 2));
  const f = f64x2.sub(m, f64x2.splat(1));
  const s = f64x2.div(f, f64x2.add(f64x2.splat(2), f));
  const z = f64x2.mul(s, s);
  const w = f64x2.mul(z, z);
  const t1 = f64x2.mul(w, f64x2.add(f64x2.splat(LG2), f64x2.mul(w, f64x2.add(f64x2.splat(LG4), f64x2.mul(w, f64x2.splat(LG6))))));
  const t2 = f64x2.mul(
    z,
    f64x2.add(f64x2.splat(LG1), f64x2.mul(w, f64x2.add(f64x2.splat(LG3), f64x2.mul(w, f64x2.add(f64x2.splat(LG5), f64x2.mul(w, f64x2.splat(LG7))))))),
  );
  const R = f64x2.add(t2, t1);
  const khi = f64x2.mul(dk, f64x2.splat(LN2_HI));
  const klo = f64x2.mul(dk, f64x2.splat(LN2_LO));
  // fdlibm's two forms; the first where f is far from 0 (its test on the high mantissa bits, i | j > 0).
  const hfsq = f64x2.mul(f64x2.mul(f64x2.splat(0.5), f), f);
  const far = f64x2.sub(khi, f64x2.sub(f64x2.sub(hfsq, f64x2.add(f64x2.mul(s, f64x2.add(hfsq, R)), klo)), f));
  const near = f64x2.sub(khi, f64x2.sub(f64x2.sub(f64x2.mul(s, f64x2.sub(f, R)), klo), f));
  const useFar = i64x2.gt_s(v128.or(i64x2.sub(hm, i64x2.splat(0x6147a)), i64x2.sub(i64x2.splat(0x6b851), hm)), i64x2.splat(0));
  let r = v128.bitselect(far, near, useFar);
  // log(±0) = -inf, log(x < 0) = NaN, log(+inf) = +inf, log(NaN) = NaN.
  r = v128.bitselect(f64x2.splat(-Infinity), r, f64x2.eq(x, f64x2.splat(0)));
  r = v128.bitselect(f64x2.splat(NaN), r, f64x2.lt(x, f64x2.splat(0)));
  r = v128.bitselect(x, r, v128.or(f64x2.ne(x, x), f64x2.eq(x, f64x2.splat(Infinity))));
  return r;
}

export function opsLogF64(x: usize, out: usize, n: i32): void { mapF64x2<f64>(x, out, n, false); }
export function opsLogF32(x: usize, out: usize, n: i32): void { mapF64x2<f32>(x, out, n, false); }
