// Vector kernels over shared memory. Every kernel is pointer-only: a typed array arrives as
// (ptr, len) — its byte offset in the pool's shared memory and its element count — and nothing
// is allocated (no AssemblyScript runtime is safe when several workers share one memory).
//
// Sums and dot products keep four independent accumulators (two v128 of two lanes) so the adds
// overlap in the pipeline; the order of additions therefore differs from a plain loop and results
// may differ from the JS twin in the last bits. Elementwise kernels (axpy, scale) are exact.
// f32 reductions accumulate in f64: an f32 accumulator loses most digits over millions of values.


export function sumF64(x: usize, n: i32): f64 {
  let a0 = f64x2.splat(0);
  let a1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const p = x + (<usize>i << 3);
    a0 = f64x2.add(a0, v128.load(p));
    a1 = f64x2.add(a1, v128.load(p, 16));
  }
  const a = f64x2.add(a0, a1);
  let s = f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1);
  for (; i < n; i++) s += load<f64>(x + (<usize>i << 3));
  return s;
}

export function sumF32(x: usize, n: i32): f64 {
  let a0 = f64x2.splat(0);
  let a1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    a0 = f64x2.add(a0, f64x2.promote_low_f32x4(v));
    a1 = f64x2.add(a1, f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)));
  }
  const a = f64x2.add(a0, a1);
  let s = f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1);
  for (; i < n; i++) s += <f64>load<f32>(x + (<usize>i << 2));
  return s;
}

export function dotF64(x: usize, nx: i32, y: usize, ny: i32): f64 {
  assert(nx == ny, "dotF64: x and y must have the same length");
  let a0 = f64x2.splat(0);
  let a1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= nx; i += 4) {
    const o = <usize>i << 3;
    a0 = f64x2.add(a0, f64x2.mul(v128.load(x + o), v128.load(y + o)));
    a1 = f64x2.add(a1, f64x2.mul(v128.load(x + o, 16), v128.load(y + o, 16)));
  }
  const a = f64x2.add(a0, a1);
  let s = f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1);
  for (; i < nx; i++) {
    const o = <usize>i << 3;
    s += load<f64>(x + o) * load<f64>(y + o);
  }
  return s;
}

export function dotF32(x: usize, nx: i32, y: usize, ny: i32): f64 {
  assert(nx == ny, "dotF32: x and y must have the same length");
  // Products of two f32 are exact in f64, so only the additions round.
  let a0 = f64x2.splat(0);
  let a1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= nx; i += 4) {
    const o = <usize>i << 2;
    const vx = v128.load(x + o);
    const vy = v128.load(y + o);
    a0 = f64x2.add(a0, f64x2.mul(f64x2.promote_low_f32x4(vx), f64x2.promote_low_f32x4(vy)));
    a1 = f64x2.add(
      a1,
      f64x2.mul(f64x2.promote_low_f32x4(i32x4.shuffle(vx, vx, 2, 3, 0, 1)), f64x2.promote_low_f32x4(i32x4.shuffle(vy, vy, 2, 3, 0, 1))),
    );
  }
  const a = f64x2.add(a0, a1);
  let s = f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1);
  for (; i < nx; i++) {
    const o = <usize>i << 2;
    s += <f64>load<f32>(x + o) * <f64>load<f32>(y + o);
  }
  return s;
}

/** y = a*x + y, in place in y. */
export function axpyF64(a: f64, x: usize, nx: i32, y: usize, ny: i32): void {
  assert(nx == ny, "axpyF64: x and y must have the same length");
  const va = f64x2.splat(a);
  let i = 0;
  for (; i + 2 <= nx; i += 2) {
    const o = <usize>i << 3;
    v128.store(y + o, f64x2.add(f64x2.mul(va, v128.load(x + o)), v128.load(y + o)));
  }
  for (; i < nx; i++) {
    const o = <usize>i << 3;
    store<f64>(y + o, a * load<f64>(x + o) + load<f64>(y + o));
  }
}

/** y = a*x + y over f32, in place in y (every operation rounded to f32). */
export function axpyF32(a: f32, x: usize, nx: i32, y: usize, ny: i32): void {
  assert(nx == ny, "axpyF32: x and y must have the same length");
  const va = f32x4.splat(a);
  let i = 0;
  for (; i + 4 <= nx; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.add(f32x4.mul(va, v128.load(x + o)), v128.load(y + o)));
  }
  for (; i < nx; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, a * load<f32>(x + o) + load<f32>(y + o));
  }
}

/** x = a*x, in place. */
export function scaleF64(a: f64, x: usize, n: i32): void {
  const va = f64x2.splat(a);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const p = x + (<usize>i << 3);
    v128.store(p, f64x2.mul(va, v128.load(p)));
  }
  for (; i < n; i++) {
    const p = x + (<usize>i << 3);
    store<f64>(p, a * load<f64>(p));
  }
}

export function scaleF32(a: f32, x: usize, n: i32): void {
  const va = f32x4.splat(a);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const p = x + (<usize>i << 2);
    v128.store(p, f32x4.mul(va, v128.load(p)));
  }
  for (; i < n; i++) {
    const p = x + (<usize>i << 2);
    store<f32>(p, a * load<f32>(p));
  }
}
