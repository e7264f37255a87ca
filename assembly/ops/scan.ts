// Prefix sums for pool.ops (second phase of a two-phase scan). Phase one is opsSumBlocks* (reduce.ts):
// the main thread turns the block sums into offsets (offset[0] = 0, offset[b+1] = offset[b] + sum[b], in
// order); here every block b of [b0, b1) is scanned starting from offset[b]. Blocks are BLOCK elements, so
// the result does not depend on how blocks were shared out. Within a block the running sum s advances four
// elements at a time: with p = (a, a+b, (a+b)+c, (a+b)+(c+d)) the outputs are s+p0 .. s+p3 and s becomes
// s+p3, so the dependent chain is one add per four elements; a tail of fewer than four is added one by one.
// f32 input is scanned in f64 and each output rounded to f32 once.
import { BLOCK } from "./reduce";

// @ts-ignore: decorator
@inline function cumsumBlocks<T>(x: usize, n: i32, b0: i32, b1: i32, offsets: usize, out: usize): void {
  const zero = f64x2.splat(0);
  const shift = alignof<T>();
  for (let b = b0; b < b1; b++) {
    const i1 = min(n, (b + 1) * BLOCK);
    let s = v128.load64_splat(offsets + (<usize>b << 3));
    let i = b * BLOCK;
    for (; i + 4 <= i1; i += 4) {
      const p = x + (<usize>i << shift);
      let lo: v128, hi: v128;
      if (sizeof<T>() == 8) {
        lo = v128.load(p);
        hi = v128.load(p, 16);
      } else {
        const v = v128.load(p);
        lo = f64x2.promote_low_f32x4(v);
        hi = f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1));
      }
      const plo = f64x2.add(lo, v128.shuffle<f64>(zero, lo, 0, 2)); // (a, a+b)
      const phi = f64x2.add(f64x2.add(hi, v128.shuffle<f64>(zero, hi, 0, 2)), v128.shuffle<f64>(plo, plo, 1, 1)); // ((a+b)+c, (a+b)+(c+d))
      const olo = f64x2.add(s, plo);
      const ohi = f64x2.add(s, phi);
      const q = out + (<usize>i << shift);
      if (sizeof<T>() == 8) {
        v128.store(q, olo);
        v128.store(q, ohi, 16);
      } else {
        v128.store(q, i32x4.shuffle(f32x4.demote_f64x2_zero(olo), f32x4.demote_f64x2_zero(ohi), 0, 1, 4, 5));
      }
      s = v128.shuffle<f64>(ohi, ohi, 1, 1);
    }
    let t = f64x2.extract_lane(s, 0);
    for (; i < i1; i++) {
      t += <f64>load<T>(x + (<usize>i << shift));
      store<T>(out + (<usize>i << shift), <T>t);
    }
  }
}

export function opsCumsumBlocksF64(x: usize, n: i32, b0: i32, b1: i32, offsets: usize, out: usize): void {
  cumsumBlocks<f64>(x, n, b0, b1, offsets, out);
}

export function opsCumsumBlocksF32(x: usize, n: i32, b0: i32, b1: i32, offsets: usize, out: usize): void {
  cumsumBlocks<f32>(x, n, b0, b1, offsets, out);
}
