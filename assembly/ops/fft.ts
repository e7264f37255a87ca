// Complex FFT for pool.ops, split layout (re[], im[]), f32 or f64, pointer-only.
//
// Powers of two: Stockham's self-sorting FFT, radix 4 (one radix-2 stage at the end when log2(n) is odd),
// ping-ponging between the output and a scratch pair so no bit reversal is needed. A stage of length L = n/s
// (s the stride: 1, 4, 16, ...) does, for p < L/4 and q < s,
//   a, b, c, d = x[q + s(p + k·L/4)], k = 0..3;   y[q + s(4p + k)] = w^(kp) · (radix-4 butterfly)_k
// with w = e^(-2πi/L) = W_n^s, read from one table of W_n^j, j < n. Every stage after the first has s >= 4, so
// its q loop runs on whole vectors (f32x4 or f64x2) with the twiddle splatted; the first stage (s = 1) is
// scalar. The inverse transform conjugates the input as it is read and the output as it is scaled by 1/n.
//
// Other lengths: Bluestein's algorithm, x_k·c_k convolved with conj(c) through power-of-two FFTs of length
// M >= 2n - 1, where c_k = e^(-πi k²/n); the chirp and the transform of the filter come from the caller.

// @ts-ignore: decorator
@inline function ld<T>(p: usize, i: i32): T { return load<T>(p + (<usize>i << alignof<T>())); }
// @ts-ignore: decorator
@inline function st<T>(p: usize, i: i32, v: T): void { store<T>(p + (<usize>i << alignof<T>()), v); }
// @ts-ignore: decorator
@inline function vld<T>(p: usize, i: i32): v128 { return v128.load(p + (<usize>i << alignof<T>())); }
// @ts-ignore: decorator
@inline function vst<T>(p: usize, i: i32, v: v128): void { v128.store(p + (<usize>i << alignof<T>()), v); }

/** One radix-4 stage of stride s >= lanes: x (xr, xi) → y (yr, yi). tw: W_n^j as (cos, -sin) pairs... split: twr[j], twi[j]. */
// @ts-ignore: decorator
@inline function radix4<T>(n: i32, s: i32, xr: usize, xi: usize, yr: usize, yi: usize, twr: usize, twi: usize): void {
  const m = n / (4 * s); // p < m; L/4 with L = n/s
  const L = 16 / sizeof<T>();
  for (let p = 0; p < m; p++) {
    const j = p * s;
    const w1r = v128.splat<T>(ld<T>(twr, j)), w1i = v128.splat<T>(ld<T>(twi, j));
    const w2r = v128.splat<T>(ld<T>(twr, 2 * j)), w2i = v128.splat<T>(ld<T>(twi, 2 * j));
    const w3r = v128.splat<T>(ld<T>(twr, 3 * j)), w3i = v128.splat<T>(ld<T>(twi, 3 * j));
    const ia = s * p, ib = s * (p + m), ic = s * (p + 2 * m), id = s * (p + 3 * m);
    const o = s * 4 * p;
    for (let q = 0; q < s; q += L) {
      const ar = vld<T>(xr, ia + q), ai = vld<T>(xi, ia + q);
      const br = vld<T>(xr, ib + q), bi = vld<T>(xi, ib + q);
      const cr = vld<T>(xr, ic + q), ci = vld<T>(xi, ic + q);
      const dr = vld<T>(xr, id + q), di = vld<T>(xi, id + q);
      const apcr = v128.add<T>(ar, cr), apci = v128.add<T>(ai, ci);
      const amcr = v128.sub<T>(ar, cr), amci = v128.sub<T>(ai, ci);
      const bpdr = v128.add<T>(br, dr), bpdi = v128.add<T>(bi, di);
      // -i·(b - d) = ((bi - di), -(br - dr))
      const jr = v128.sub<T>(bi, di), ji = v128.sub<T>(dr, br);
      vst<T>(yr, o + q, v128.add<T>(apcr, bpdr));
      vst<T>(yi, o + q, v128.add<T>(apci, bpdi));
      const t1r = v128.add<T>(amcr, jr), t1i = v128.add<T>(amci, ji);
      const t2r = v128.sub<T>(apcr, bpdr), t2i = v128.sub<T>(apci, bpdi);
      const t3r = v128.sub<T>(amcr, jr), t3i = v128.sub<T>(amci, ji);
      vst<T>(yr, o + s + q, v128.sub<T>(v128.mul<T>(t1r, w1r), v128.mul<T>(t1i, w1i)));
      vst<T>(yi, o + s + q, v128.add<T>(v128.mul<T>(t1r, w1i), v128.mul<T>(t1i, w1r)));
      vst<T>(yr, o + 2 * s + q, v128.sub<T>(v128.mul<T>(t2r, w2r), v128.mul<T>(t2i, w2i)));
      vst<T>(yi, o + 2 * s + q, v128.add<T>(v128.mul<T>(t2r, w2i), v128.mul<T>(t2i, w2r)));
      vst<T>(yr, o + 3 * s + q, v128.sub<T>(v128.mul<T>(t3r, w3r), v128.mul<T>(t3i, w3i)));
      vst<T>(yi, o + 3 * s + q, v128.add<T>(v128.mul<T>(t3r, w3i), v128.mul<T>(t3i, w3r)));
    }
  }
}

/** Stores the four outputs y0..y3 of L stage-one butterflies (lane u = butterfly u) interleaved: a 4×L transpose. */
// @ts-ignore: decorator
@inline function storeInterleaved<T>(y: usize, o: i32, y0: v128, y1: v128, y2: v128, y3: v128): void {
  // y[o + 4u + k] = yk lane u: the outputs of L consecutive butterflies are 4·L consecutive values.
  if (sizeof<T>() == 8) {
    vst<T>(y, o, v128.shuffle<f64>(y0, y1, 0, 2));
    vst<T>(y, o + 2, v128.shuffle<f64>(y2, y3, 0, 2));
    vst<T>(y, o + 4, v128.shuffle<f64>(y0, y1, 1, 3));
    vst<T>(y, o + 6, v128.shuffle<f64>(y2, y3, 1, 3));
  } else {
    const t0 = i32x4.shuffle(y0, y1, 0, 4, 1, 5), t1 = i32x4.shuffle(y0, y1, 2, 6, 3, 7);
    const t2 = i32x4.shuffle(y2, y3, 0, 4, 1, 5), t3 = i32x4.shuffle(y2, y3, 2, 6, 3, 7);
    vst<T>(y, o, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
    vst<T>(y, o + 4, i32x4.shuffle(t0, t2, 2, 3, 6, 7));
    vst<T>(y, o + 8, i32x4.shuffle(t1, t3, 0, 1, 4, 5));
    vst<T>(y, o + 12, i32x4.shuffle(t1, t3, 2, 3, 6, 7));
  }
}

/**
 * The first stage (s = 1, radix 4); `sgn` = -1 conjugates the input (inverse transform). Vectorised over p,
 * L butterflies at a time: their inputs are contiguous, their twiddles W^p, W^2p, W^3p come from the tables
 * the plan appends to W_n (W^2p and W^3p for p < n/4, at twr + n and twr + n + n/4), and their outputs are
 * interleaved back into place. Scalar for lengths with fewer than L butterflies.
 */
// @ts-ignore: decorator
@inline function radix4First<T>(n: i32, xr: usize, xi: usize, yr: usize, yi: usize, twr: usize, twi: usize, sgn: T): void {
  const m = n >> 2;
  const L = 16 / sizeof<T>();
  let p = 0;
  if (m >= L) {
    const vs = v128.splat<T>(sgn);
    const t2r = twr + (<usize>n << alignof<T>()), t2i = twi + (<usize>n << alignof<T>());
    const t3r = t2r + (<usize>m << alignof<T>()), t3i = t2i + (<usize>m << alignof<T>());
    for (; p + L <= m; p += L) {
      const ar = vld<T>(xr, p), ai = v128.mul<T>(vs, vld<T>(xi, p));
      const br = vld<T>(xr, p + m), bi = v128.mul<T>(vs, vld<T>(xi, p + m));
      const cr = vld<T>(xr, p + 2 * m), ci = v128.mul<T>(vs, vld<T>(xi, p + 2 * m));
      const dr = vld<T>(xr, p + 3 * m), di = v128.mul<T>(vs, vld<T>(xi, p + 3 * m));
      const apcr = v128.add<T>(ar, cr), apci = v128.add<T>(ai, ci), amcr = v128.sub<T>(ar, cr), amci = v128.sub<T>(ai, ci);
      const bpdr = v128.add<T>(br, dr), bpdi = v128.add<T>(bi, di), jr = v128.sub<T>(bi, di), ji = v128.sub<T>(dr, br);
      const u1r = v128.add<T>(amcr, jr), u1i = v128.add<T>(amci, ji), u2r = v128.sub<T>(apcr, bpdr), u2i = v128.sub<T>(apci, bpdi);
      const u3r = v128.sub<T>(amcr, jr), u3i = v128.sub<T>(amci, ji);
      const w1r = vld<T>(twr, p), w1i = vld<T>(twi, p), w2r = vld<T>(t2r, p), w2i = vld<T>(t2i, p), w3r = vld<T>(t3r, p), w3i = vld<T>(t3i, p);
      storeInterleaved<T>(
        yr, 4 * p, v128.add<T>(apcr, bpdr),
        v128.sub<T>(v128.mul<T>(u1r, w1r), v128.mul<T>(u1i, w1i)),
        v128.sub<T>(v128.mul<T>(u2r, w2r), v128.mul<T>(u2i, w2i)),
        v128.sub<T>(v128.mul<T>(u3r, w3r), v128.mul<T>(u3i, w3i)),
      );
      storeInterleaved<T>(
        yi, 4 * p, v128.add<T>(apci, bpdi),
        v128.add<T>(v128.mul<T>(u1r, w1i), v128.mul<T>(u1i, w1r)),
        v128.add<T>(v128.mul<T>(u2r, w2i), v128.mul<T>(u2i, w2r)),
        v128.add<T>(v128.mul<T>(u3r, w3i), v128.mul<T>(u3i, w3r)),
      );
    }
  }
  for (; p < m; p++) {
    const ar = ld<T>(xr, p), ai = sgn * ld<T>(xi, p);
    const br = ld<T>(xr, p + m), bi = sgn * ld<T>(xi, p + m);
    const cr = ld<T>(xr, p + 2 * m), ci = sgn * ld<T>(xi, p + 2 * m);
    const dr = ld<T>(xr, p + 3 * m), di = sgn * ld<T>(xi, p + 3 * m);
    const apcr = ar + cr, apci = ai + ci, amcr = ar - cr, amci = ai - ci;
    const bpdr = br + dr, bpdi = bi + di, jr = bi - di, ji = dr - br;
    const o = 4 * p;
    st<T>(yr, o, apcr + bpdr);
    st<T>(yi, o, apci + bpdi);
    const t1r = amcr + jr, t1i = amci + ji, t2r = apcr - bpdr, t2i = apci - bpdi, t3r = amcr - jr, t3i = amci - ji;
    const w1r = ld<T>(twr, p), w1i = ld<T>(twi, p), w2r = ld<T>(twr, 2 * p), w2i = ld<T>(twi, 2 * p), w3r = ld<T>(twr, 3 * p), w3i = ld<T>(twi, 3 * p);
    st<T>(yr, o + 1, t1r * w1r - t1i * w1i);
    st<T>(yi, o + 1, t1r * w1i + t1i * w1r);
    st<T>(yr, o + 2, t2r * w2r - t2i * w2i);
    st<T>(yi, o + 2, t2r * w2i + t2i * w2r);
    st<T>(yr, o + 3, t3r * w3r - t3i * w3i);
    st<T>(yi, o + 3, t3r * w3i + t3i * w3r);
  }
}

/** The last stage when log2(n) is odd: radix 2 with stride s = n/2 (no twiddles); scalar when s < lanes. */
// @ts-ignore: decorator
@inline function radix2Last<T>(n: i32, xr: usize, xi: usize, yr: usize, yi: usize, sgn: T): void {
  const s = n >> 1;
  const L = 16 / sizeof<T>();
  let q = 0;
  if (sgn > 0) {
    for (; q + L <= s; q += L) {
      const ar = vld<T>(xr, q), ai = vld<T>(xi, q), br = vld<T>(xr, q + s), bi = vld<T>(xi, q + s);
      vst<T>(yr, q, v128.add<T>(ar, br));
      vst<T>(yi, q, v128.add<T>(ai, bi));
      vst<T>(yr, q + s, v128.sub<T>(ar, br));
      vst<T>(yi, q + s, v128.sub<T>(ai, bi));
    }
  }
  for (; q < s; q++) {
    const ar = ld<T>(xr, q), ai = sgn * ld<T>(xi, q), br = ld<T>(xr, q + s), bi = sgn * ld<T>(xi, q + s);
    st<T>(yr, q, ar + br);
    st<T>(yi, q, ai + bi);
    st<T>(yr, q + s, ar - br);
    st<T>(yi, q + s, ai - bi);
  }
}

/**
 * Forward power-of-two FFT of (xr, xi) into (yr, yi), n >= 1; (sr, si) is scratch of n; the input is not
 * written unless it is the output. `sgn` = -1 reads the input conjugated. tw: W_n^j for j < n (cos, then -sin),
 * then W_n^(2p) and W_n^(3p) for p < n/4 (see radix4First).
 */
// @ts-ignore: decorator
@inline function pow2<T>(n: i32, xr: usize, xi: usize, yr: usize, yi: usize, sr: usize, si: usize, twr: usize, twi: usize, sgn: T): void {
  if (n == 1) {
    st<T>(yr, 0, ld<T>(xr, 0));
    st<T>(yi, 0, sgn * ld<T>(xi, 0));
    return;
  }
  if (n == 2) {
    radix2Last<T>(n, xr, xi, yr, yi, sgn);
    return;
  }
  const log = 31 - clz(n);
  const count = (log >> 1) + (log & 1);
  // The stages alternate between y and the scratch: the first goes to whichever makes the last land in y.
  const odd = ((count - 1) & 1) != 0;
  const ar = odd ? sr : yr, ai = odd ? si : yi, br = odd ? yr : sr, bi = odd ? yi : si;
  radix4First<T>(n, xr, xi, ar, ai, twr, twi, sgn);
  stages<T>(n, 4, ar, ai, br, bi, twr, twi);
}

/**
 * The radix-4 stages of stride s0, 4·s0, ... of a length-n transform (while 4·s <= n), then a radix-2 one when
 * a factor 2 is left, alternating from (ar, ai) to (br, bi) and back: true when the result ended in (br, bi).
 * Not inlined: the power-of-two FFT and both four-step stages share one copy per type.
 */
function stages<T>(n: i32, s0: i32, ar: usize, ai: usize, br: usize, bi: usize, twr: usize, twi: usize): bool {
  let fromR = ar, fromI = ai, toR = br, toI = bi;
  let inB = false;
  let s = s0;
  for (; s * 4 <= n; s *= 4) {
    radix4<T>(n, s, fromR, fromI, toR, toI, twr, twi);
    const r = fromR, i = fromI;
    fromR = toR; fromI = toI; toR = r; toI = i;
    inB = !inB;
  }
  if (s < n) {
    radix2Last<T>(n, fromR, fromI, toR, toI, <T>1);
    inB = !inB;
  }
  return inB;
}

/** y = conj(y)·scale when inverse (the second half of the conjugation trick), else y·scale. */
// @ts-ignore: decorator
@inline function finish<T>(n: i32, yr: usize, yi: usize, inverse: bool, scale: T): void {
  if (!inverse) return;
  const L = 16 / sizeof<T>();
  const vs = v128.splat<T>(scale), vn = v128.splat<T>(-scale);
  let i = 0;
  for (; i + L <= n; i += L) {
    vst<T>(yr, i, v128.mul<T>(vld<T>(yr, i), vs));
    vst<T>(yi, i, v128.mul<T>(vld<T>(yi, i), vn));
  }
  for (; i < n; i++) {
    st<T>(yr, i, ld<T>(yr, i) * scale);
    st<T>(yi, i, ld<T>(yi, i) * -scale);
  }
}

// @ts-ignore: decorator
@inline function fftPow2<T>(n: i32, xr: usize, xi: usize, yr: usize, yi: usize, sr: usize, si: usize, twr: usize, twi: usize, inverse: i32): void {
  pow2<T>(n, xr, xi, yr, yi, sr, si, twr, twi, inverse ? <T>-1 : <T>1);
  finish<T>(n, yr, yi, inverse != 0, <T>1 / <T>n);
}

/**
 * Bluestein: the length-n transform through length-M power-of-two FFTs. chirp (cr, ci) of n: e^(-πi k²/n);
 * filter (br, bi) of M: the forward FFT of conj(chirp) wrapped around (index k and M - k). Scratch: 6·M
 * values (the chirped input, its transform, the power-of-two FFT's own scratch). tw: W_M^j for j < M.
 */
// @ts-ignore: decorator
@inline function bluestein<T>(n: i32, m: i32, xr: usize, xi: usize, yr: usize, yi: usize, cr: usize, ci: usize, br: usize, bi: usize, scratch: usize, twr: usize, twi: usize, inverse: i32): void {
  const b = <usize>m << alignof<T>();
  const ar = scratch, ai = scratch + b, tr = scratch + 2 * b, ti = scratch + 3 * b, sr = scratch + 4 * b, si = scratch + 5 * b;
  const sgn: T = inverse ? <T>-1 : <T>1;
  for (let k = 0; k < n; k++) {
    const xre = ld<T>(xr, k), xim = sgn * ld<T>(xi, k), wr = ld<T>(cr, k), wi = ld<T>(ci, k);
    st<T>(ar, k, xre * wr - xim * wi);
    st<T>(ai, k, xre * wi + xim * wr);
  }
  for (let k = n; k < m; k++) {
    st<T>(ar, k, <T>0);
    st<T>(ai, k, <T>0);
  }
  pow2<T>(m, ar, ai, tr, ti, sr, si, twr, twi, <T>1);
  for (let k = 0; k < m; k++) {
    const pr = ld<T>(tr, k), pi = ld<T>(ti, k), fr = ld<T>(br, k), fi = ld<T>(bi, k);
    st<T>(ar, k, pr * fr - pi * fi);
    st<T>(ai, k, -(pr * fi + pi * fr)); // conjugated for the inverse by conjugation
  }
  pow2<T>(m, ar, ai, tr, ti, sr, si, twr, twi, <T>1);
  const scale = <T>1 / <T>m;
  for (let k = 0; k < n; k++) {
    // the inverse FFT's result is conj(A)/m; then times the chirp
    const pr = ld<T>(tr, k) * scale, pi = -ld<T>(ti, k) * scale, wr = ld<T>(cr, k), wi = ld<T>(ci, k);
    st<T>(yr, k, pr * wr - pi * wi);
    st<T>(yi, k, pr * wi + pi * wr);
  }
  finish<T>(n, yr, yi, inverse != 0, <T>1 / <T>n);
}

export function opsFftPow2F64(n: i32, xr: usize, xi: usize, yr: usize, yi: usize, sr: usize, si: usize, twr: usize, twi: usize, inverse: i32): void {
  fftPow2<f64>(n, xr, xi, yr, yi, sr, si, twr, twi, inverse);
}
export function opsFftPow2F32(n: i32, xr: usize, xi: usize, yr: usize, yi: usize, sr: usize, si: usize, twr: usize, twi: usize, inverse: i32): void {
  fftPow2<f32>(n, xr, xi, yr, yi, sr, si, twr, twi, inverse);
}
export function opsFftBluesteinF64(n: i32, m: i32, xr: usize, xi: usize, yr: usize, yi: usize, cr: usize, ci: usize, br: usize, bi: usize, scratch: usize, twr: usize, twi: usize, inverse: i32): void {
  bluestein<f64>(n, m, xr, xi, yr, yi, cr, ci, br, bi, scratch, twr, twi, inverse);
}
export function opsFftBluesteinF32(n: i32, m: i32, xr: usize, xi: usize, yr: usize, yi: usize, cr: usize, ci: usize, br: usize, bi: usize, scratch: usize, twr: usize, twi: usize, inverse: i32): void {
  bluestein<f32>(n, m, xr, xi, yr, yi, cr, ci, br, bi, scratch, twr, twi, inverse);
}

// Four-step FFT of a large power of two n = n1·n2 (both multiples of a panel), split over the workers in two
// stages, each a range of panels: PW adjacent columns (one cache line of each row) at a time, so every access
// to the big arrays is a whole line, and each panel's length-n1 (or n2) transforms run on a contiguous copy in
// cache, PW of them at once, one per lane (`batched`).
//   columns: z[k1][j2] = W_n^(j2·k1) · Σ_j1 W_n1^(j1·k1) x[j1][j2]      (x read as n1 rows × n2 columns)
//   rows:    X[k1 + n1·k2] = Σ_j2 W_n2^(j2·k2) z[k1][j2]

/** Elements of one panel row: 64 bytes, one cache line. */
// @ts-ignore: decorator
@inline function panel<T>(): i32 { return 64 / sizeof<T>(); }

/**
 * The length-len FFTs of PW interleaved sequences (element j·PW + lane) in (ar, ai), by the Stockham stages of
 * stride >= PW of a length-len·PW transform (their twiddles W_(len·PW)^(p·s) are those of the length-len one):
 * returns true when the result ended in (br, bi), false when in (ar, ai). tw: W_(len·PW)^j.
 */
// @ts-ignore: decorator
@inline function batched<T>(len: i32, ar: usize, ai: usize, br: usize, bi: usize, twr: usize, twi: usize): bool {
  return stages<T>(len * panel<T>(), panel<T>(), ar, ai, br, bi, twr, twi);
}

/** Stage one, column panels [c0, c1) (multiples of PW): x → z, both n1 × n2. buf: 4·n1·PW elements. tw1: W_(n1·PW)^j; tw: W_n^j; tp: W_n^(l·k1) at k1·PW + l. */
// @ts-ignore: decorator
@inline function fourStepColumns<T>(n1: i32, n2: i32, xr: usize, xi: usize, zr: usize, zi: usize, c0: i32, c1: i32, buf: usize, tw1r: usize, tw1i: usize, twr: usize, twi: usize, tpr: usize, tpi: usize, inverse: i32): void {
  const P = panel<T>(), L = 16 / sizeof<T>();
  const bytes = <usize>(n1 * P) << alignof<T>();
  const ar = buf, ai = buf + bytes, br = ai + bytes, bi = br + bytes;
  const vs = v128.splat<T>(inverse ? <T>-1 : <T>1);
  for (let j2 = c0; j2 < c1; j2 += P) {
    for (let j1 = 0; j1 < n1; j1++) {
      const from = j1 * n2 + j2, to = j1 * P;
      for (let l = 0; l < P; l += L) {
        vst<T>(ar, to + l, vld<T>(xr, from + l));
        vst<T>(ai, to + l, v128.mul<T>(vs, vld<T>(xi, from + l)));
      }
    }
    const inB = batched<T>(n1, ar, ai, br, bi, tw1r, tw1i);
    const yr = inB ? br : ar, yi = inB ? bi : ai;
    // W_n^((j2 + l)·k1) = W_n^(j2·k1) · W_n^(l·k1): a scalar of the big table times a vector of the panel's.
    for (let k1 = 0; k1 < n1; k1++) {
      const to = k1 * n2 + j2, from = k1 * P;
      const t = j2 * k1; // < n1·n2
      const gr = v128.splat<T>(ld<T>(twr, t)), gi = v128.splat<T>(ld<T>(twi, t));
      for (let l = 0; l < P; l += L) {
        const pr = vld<T>(tpr, from + l), pi = vld<T>(tpi, from + l);
        const wr = v128.sub<T>(v128.mul<T>(gr, pr), v128.mul<T>(gi, pi)), wi = v128.add<T>(v128.mul<T>(gr, pi), v128.mul<T>(gi, pr));
        const vr = vld<T>(yr, from + l), vi = vld<T>(yi, from + l);
        vst<T>(zr, to + l, v128.sub<T>(v128.mul<T>(vr, wr), v128.mul<T>(vi, wi)));
        vst<T>(zi, to + l, v128.add<T>(v128.mul<T>(vr, wi), v128.mul<T>(vi, wr)));
      }
    }
  }
}

/** dst[to + c·dstride + r] = src[from + r·sstride + c] for r, c < L: one L×L block transposed. */
// @ts-ignore: decorator
@inline function transposeInto<T>(dst: usize, to: i32, dstride: i32, src: usize, from: i32, sstride: i32): void {
  if (sizeof<T>() == 8) {
    const a = vld<T>(src, from), b = vld<T>(src, from + sstride);
    vst<T>(dst, to, v128.shuffle<f64>(a, b, 0, 2));
    vst<T>(dst, to + dstride, v128.shuffle<f64>(a, b, 1, 3));
  } else {
    const a = vld<T>(src, from), b = vld<T>(src, from + sstride), c = vld<T>(src, from + 2 * sstride), d = vld<T>(src, from + 3 * sstride);
    const t0 = i32x4.shuffle(a, b, 0, 4, 1, 5), t1 = i32x4.shuffle(a, b, 2, 6, 3, 7);
    const t2 = i32x4.shuffle(c, d, 0, 4, 1, 5), t3 = i32x4.shuffle(c, d, 2, 6, 3, 7);
    vst<T>(dst, to, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
    vst<T>(dst, to + dstride, i32x4.shuffle(t0, t2, 2, 3, 6, 7));
    vst<T>(dst, to + 2 * dstride, i32x4.shuffle(t1, t3, 0, 1, 4, 5));
    vst<T>(dst, to + 3 * dstride, i32x4.shuffle(t1, t3, 2, 3, 6, 7));
  }
}

/** Stage two, row panels [r0, r1) (multiples of PW) of z (n1 × n2) → y (n): conjugated and scaled by 1/n when inverse. buf: 4·n2·PW elements. tw2: W_(n2·PW)^j. */
// @ts-ignore: decorator
@inline function fourStepRows<T>(n1: i32, n2: i32, zr: usize, zi: usize, yr: usize, yi: usize, r0: i32, r1: i32, buf: usize, tw2r: usize, tw2i: usize, inverse: i32): void {
  const P = panel<T>(), L = 16 / sizeof<T>();
  const bytes = <usize>(n2 * P) << alignof<T>();
  const ar = buf, ai = buf + bytes, br = ai + bytes, bi = br + bytes;
  const scale: T = inverse ? <T>1 / (<T>n1 * <T>n2) : <T>1;
  const sr = v128.splat<T>(scale), si = v128.splat<T>(inverse ? -scale : scale);
  for (let k1 = r0; k1 < r1; k1 += P) {
    // P rows into the lanes of the copy, L rows at a time by L×L transposes in registers.
    for (let l = 0; l < P; l += L) {
      const from = (k1 + l) * n2;
      for (let j2 = 0; j2 < n2; j2 += L) {
        transposeInto<T>(ar, j2 * P + l, P, zr, from + j2, n2);
        transposeInto<T>(ai, j2 * P + l, P, zi, from + j2, n2);
      }
    }
    const inB = batched<T>(n2, ar, ai, br, bi, tw2r, tw2i);
    const vr = inB ? br : ar, vi = inB ? bi : ai;
    for (let k2 = 0; k2 < n2; k2++) {
      const to = k2 * n1 + k1, from = k2 * P;
      for (let l = 0; l < P; l += L) {
        vst<T>(yr, to + l, v128.mul<T>(sr, vld<T>(vr, from + l)));
        vst<T>(yi, to + l, v128.mul<T>(si, vld<T>(vi, from + l)));
      }
    }
  }
}

export function opsFftColumnsF64(n1: i32, n2: i32, xr: usize, xi: usize, zr: usize, zi: usize, c0: i32, c1: i32, buf: usize, tw1r: usize, tw1i: usize, twr: usize, twi: usize, tpr: usize, tpi: usize, inverse: i32): void {
  fourStepColumns<f64>(n1, n2, xr, xi, zr, zi, c0, c1, buf, tw1r, tw1i, twr, twi, tpr, tpi, inverse);
}
export function opsFftColumnsF32(n1: i32, n2: i32, xr: usize, xi: usize, zr: usize, zi: usize, c0: i32, c1: i32, buf: usize, tw1r: usize, tw1i: usize, twr: usize, twi: usize, tpr: usize, tpi: usize, inverse: i32): void {
  fourStepColumns<f32>(n1, n2, xr, xi, zr, zi, c0, c1, buf, tw1r, tw1i, twr, twi, tpr, tpi, inverse);
}
export function opsFftRowsF64(n1: i32, n2: i32, zr: usize, zi: usize, yr: usize, yi: usize, r0: i32, r1: i32, buf: usize, tw2r: usize, tw2i: usize, inverse: i32): void {
  fourStepRows<f64>(n1, n2, zr, zi, yr, yi, r0, r1, buf, tw2r, tw2i, inverse);
}
export function opsFftRowsF32(n1: i32, n2: i32, zr: usize, zi: usize, yr: usize, yi: usize, r0: i32, r1: i32, buf: usize, tw2r: usize, tw2i: usize, inverse: i32): void {
  fourStepRows<f32>(n1, n2, zr, zi, yr, yi, r0, r1, buf, tw2r, tw2i, inverse);
}
