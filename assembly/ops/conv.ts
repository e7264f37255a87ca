// 2-D convolution (cross-correlation, as in TensorFlow and ONNX) for pool.ops, f32, channels-last, pointer-only.
//   image  [h][w][cin]       kernel [kh][kw][cin][cout]       out [oh][ow][cout]
// Output pixel (oy, ox) reads input (oy - padTop + dy, ox - padLeft + dx) for every tap (dy, dx); taps that
// fall outside the image are skipped (zero padding that adds nothing). Every output is summed over dy, then
// dx, then ci, in ascending order. In the baseline build each product and sum is rounded to f32 (no fused
// multiply-add), so the result is bit-identical to the JS twin; in the relaxed-SIMD build the multi-channel
// tiles use madd (fused where the CPU has FMA: they are compute-bound, as a GEMM), while the one-channel paths
// and the scalar ones (borders, channel tails) stay unfused in both builds: a one-channel convolution is bound
// by memory, and fusing its 3×3 path measured 0.77× of the unfused one (AMD EPYC, Node 20). Either way the
// result does not depend on how rows are split among workers: a call computes output rows [r0, r1) and reads
// whatever input rows they need.
//
// Three paths: one channel in and out is vectorised along x (four outputs per f32x4; a 3×3 kernel is unrolled
// with its nine weights in registers: the fast path); more channels are vectorised along the output channels
// in tiles of 4 pixels × 8 channels (a GEMM micro-kernel over the taps), borders one pixel × 8 channels at a
// time; channel tails (channelsOut not a multiple of 8) go one value at a time.

import { madd } from "./madd";

/** Output (oy, ox0 .. ox0+3) of a one-channel kernel, all taps in range horizontally; rows dy0 .. dy1-1 only. */
// @ts-ignore: decorator
@inline function singleRow4(img: usize, w: i32, kern: usize, kw: i32, iy0: i32, dy0: i32, dy1: i32, ix0: i32): v128 {
  let acc = f32x4.splat(0);
  for (let dy = dy0; dy < dy1; dy++) {
    const row = img + (<usize>((iy0 + dy) * w + ix0) << 2);
    const krow = kern + (<usize>(dy * kw) << 2);
    for (let dx = 0; dx < kw; dx++) acc = f32x4.add(acc, f32x4.mul(v128.load32_splat(krow + (<usize>dx << 2)), v128.load(row + (<usize>dx << 2))));
  }
  return acc;
}

/** One output value, any channels, with every tap checked against the image (borders, channel tails). */
// @ts-ignore: decorator
@inline function onePixel(img: usize, w: i32, h: i32, cin: i32, kern: usize, kh: i32, kw: i32, cout: i32, iy0: i32, ix0: i32, co: i32): f32 {
  let acc: f32 = 0;
  for (let dy = 0; dy < kh; dy++) {
    const iy = iy0 + dy;
    if (iy < 0 || iy >= h) continue;
    for (let dx = 0; dx < kw; dx++) {
      const ix = ix0 + dx;
      if (ix < 0 || ix >= w) continue;
      const px = img + (<usize>((iy * w + ix) * cin) << 2);
      const kp = kern + (<usize>((dy * kw + dx) * cin * cout + co) << 2);
      for (let ci = 0; ci < cin; ci++) acc += load<f32>(px + (<usize>ci << 2)) * load<f32>(kp + (<usize>(ci * cout) << 2));
    }
  }
  return acc;
}

/** One-channel rows [r0, r1): SIMD along x where every tap is inside horizontally; the 3×3 interior unrolled. */
function singleChannel(img: usize, w: i32, h: i32, kern: usize, kh: i32, kw: i32, out: usize, ow: i32, padTop: i32, padLeft: i32, r0: i32, r1: i32): void {
  // Columns ox whose taps ox - padLeft + [0, kw) are all inside [0, w).
  const xin0 = min(ow, padLeft);
  const xin1 = max(xin0, min(ow, w - kw + 1 + padLeft));
  const k0 = v128.load32_splat(kern), k1 = v128.load32_splat(kern, 4), k2 = v128.load32_splat(kern, 8);
  const k3 = v128.load32_splat(kern, 12), k4 = v128.load32_splat(kern, 16), k5 = v128.load32_splat(kern, 20);
  const k6 = v128.load32_splat(kern, 24), k7 = v128.load32_splat(kern, 28), k8 = v128.load32_splat(kern, 32);
  for (let oy = r0; oy < r1; oy++) {
    const iy0 = oy - padTop;
    const dy0 = max(0, -iy0), dy1 = min(kh, h - iy0);
    const orow = out + (<usize>(oy * ow) << 2);
    let ox = 0;
    for (; ox < xin0; ox++) store<f32>(orow + (<usize>ox << 2), onePixel(img, w, h, 1, kern, kh, kw, 1, iy0, ox - padLeft, 0));
    if (kh == 3 && kw == 3 && dy0 == 0 && dy1 == 3) {
      const a = img + (<usize>(iy0 * w - padLeft) << 2), b = a + (<usize>w << 2), c = b + (<usize>w << 2);
      for (; ox + 4 <= xin1; ox += 4) {
        const o = <usize>ox << 2;
        let acc = f32x4.add(f32x4.splat(0), f32x4.mul(k0, v128.load(a + o))); // 0 + p, as the twin: -0 becomes +0
        acc = f32x4.add(acc, f32x4.mul(k1, v128.load(a + o, 4)));
        acc = f32x4.add(acc, f32x4.mul(k2, v128.load(a + o, 8)));
        acc = f32x4.add(acc, f32x4.mul(k3, v128.load(b + o)));
        acc = f32x4.add(acc, f32x4.mul(k4, v128.load(b + o, 4)));
        acc = f32x4.add(acc, f32x4.mul(k5, v128.load(b + o, 8)));
        acc = f32x4.add(acc, f32x4.mul(k6, v128.load(c + o)));
        acc = f32x4.add(acc, f32x4.mul(k7, v128.load(c + o, 4)));
        acc = f32x4.add(acc, f32x4.mul(k8, v128.load(c + o, 8)));
        v128.store(orow + o, acc);
      }
    } else {
      for (; ox + 4 <= xin1; ox += 4) v128.store(orow + (<usize>ox << 2), singleRow4(img, w, kern, kw, iy0, dy0, dy1, ox - padLeft));
    }
    for (; ox < ow; ox++) store<f32>(orow + (<usize>ox << 2), onePixel(img, w, h, 1, kern, kh, kw, 1, iy0, ox - padLeft, 0));
  }
}

/** Output pixels (oy, ox .. ox+3) × channels co .. co+8 (two vectors), every tap inside horizontally. */
// @ts-ignore: decorator
@inline function tile4x8(img: usize, w: i32, cin: i32, kern: usize, kw: i32, cout: i32, iy0: i32, dy0: i32, dy1: i32, ix0: i32, co: i32, dst: usize): void {
  let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  const step = <usize>cin << 2;
  for (let dy = dy0; dy < dy1; dy++) {
    for (let dx = 0; dx < kw; dx++) {
      let px = img + (<usize>(((iy0 + dy) * w + ix0 + dx) * cin) << 2);
      let kp = kern + (<usize>((dy * kw + dx) * cin * cout + co) << 2);
      for (let ci = 0; ci < cin; ci++) {
        const b0 = v128.load(kp), b1 = v128.load(kp, 16);
        let a = v128.load32_splat(px);
        c00 = madd<f32>(a, b0, c00); c01 = madd<f32>(a, b1, c01);
        a = v128.load32_splat(px + step);
        c10 = madd<f32>(a, b0, c10); c11 = madd<f32>(a, b1, c11);
        a = v128.load32_splat(px + 2 * step);
        c20 = madd<f32>(a, b0, c20); c21 = madd<f32>(a, b1, c21);
        a = v128.load32_splat(px + 3 * step);
        c30 = madd<f32>(a, b0, c30); c31 = madd<f32>(a, b1, c31);
        px += 4;
        kp += <usize>cout << 2;
      }
    }
  }
  const row = <usize>cout << 2;
  v128.store(dst, c00); v128.store(dst, c01, 16);
  v128.store(dst + row, c10); v128.store(dst + row, c11, 16);
  v128.store(dst + 2 * row, c20); v128.store(dst + 2 * row, c21, 16);
  v128.store(dst + 3 * row, c30); v128.store(dst + 3 * row, c31, 16);
}

/** One output pixel × channels co .. co+8, any taps (each checked against the image): borders and odd columns. */
// @ts-ignore: decorator
@inline function pixel8(img: usize, w: i32, h: i32, cin: i32, kern: usize, kh: i32, kw: i32, cout: i32, iy0: i32, ix0: i32, co: i32, dst: usize): void {
  let c0 = f32x4.splat(0), c1 = c0;
  const dy0 = max(0, -iy0), dy1 = min(kh, h - iy0), dx0 = max(0, -ix0), dx1 = min(kw, w - ix0);
  for (let dy = dy0; dy < dy1; dy++) {
    for (let dx = dx0; dx < dx1; dx++) {
      let px = img + (<usize>(((iy0 + dy) * w + ix0 + dx) * cin) << 2);
      let kp = kern + (<usize>((dy * kw + dx) * cin * cout + co) << 2);
      for (let ci = 0; ci < cin; ci++) {
        const a = v128.load32_splat(px);
        c0 = madd<f32>(a, v128.load(kp), c0);
        c1 = madd<f32>(a, v128.load(kp, 16), c1);
        px += 4;
        kp += <usize>cout << 2;
      }
    }
  }
  v128.store(dst, c0);
  v128.store(dst, c1, 16);
}

/** Several channels, rows [r0, r1): 4 × 8 tiles inside, one pixel × 8 channels at the borders, a channel tail scalar. */
function multiChannel(img: usize, w: i32, h: i32, cin: i32, kern: usize, kh: i32, kw: i32, cout: i32, out: usize, ow: i32, padTop: i32, padLeft: i32, r0: i32, r1: i32): void {
  const xin0 = min(ow, padLeft);
  const xin1 = max(xin0, min(ow, w - kw + 1 + padLeft));
  const coVec = cout & ~7;
  for (let oy = r0; oy < r1; oy++) {
    const iy0 = oy - padTop;
    const dy0 = max(0, -iy0), dy1 = min(kh, h - iy0);
    const orow = out + (<usize>(oy * ow * cout) << 2);
    for (let ox = 0; ox < ow; ) {
      if (ox >= xin0 && ox + 4 <= xin1) {
        for (let co = 0; co < coVec; co += 8) tile4x8(img, w, cin, kern, kw, cout, iy0, dy0, dy1, ox - padLeft, co, orow + (<usize>(ox * cout + co) << 2));
        for (let r = 0; r < 4; r++) {
          for (let co = coVec; co < cout; co++) store<f32>(orow + (<usize>((ox + r) * cout + co) << 2), onePixel(img, w, h, cin, kern, kh, kw, cout, iy0, ox + r - padLeft, co));
        }
        ox += 4;
      } else {
        for (let co = 0; co < coVec; co += 8) pixel8(img, w, h, cin, kern, kh, kw, cout, iy0, ox - padLeft, co, orow + (<usize>(ox * cout + co) << 2));
        for (let co = coVec; co < cout; co++) store<f32>(orow + (<usize>(ox * cout + co) << 2), onePixel(img, w, h, cin, kern, kh, kw, cout, iy0, ox - padLeft, co));
        ox++;
      }
    }
  }
}

/** Output rows [r0, r1) of the convolution of image (h×w×cin) with kernel (kh×kw×cin×cout) into out (oh×ow×cout). */
export function opsConv2dF32(
  img: usize, w: i32, h: i32, cin: i32, kern: usize, kh: i32, kw: i32, cout: i32, out: usize, ow: i32, padTop: i32, padLeft: i32, r0: i32, r1: i32,
): void {
  if (cin == 1 && cout == 1) singleChannel(img, w, h, kern, kh, kw, out, ow, padTop, padLeft, r0, r1);
  else multiChannel(img, w, h, cin, kern, kh, kw, cout, out, ow, padTop, padLeft, r0, r1);
}
