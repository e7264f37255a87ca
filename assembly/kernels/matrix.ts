// Dense f64 matrix product, row-major, pointer-only (see vector.ts).
//
// c (n×m) = a (n×k) · b (k×m). Loop order i-k-j so the innermost loop streams a row of b and a
// row of c with v128 loads; i, k and j are blocked so the panel of b being reused (K_BLOCK×J_BLOCK
// doubles = 128 KiB) and the block of c being summed stay in cache. Each c[i][j] still receives its products in
// ascending k, exactly as the plain i-k-j loop of the JS twin, and WASM has no fused multiply-add
// here, so the result is bit-identical to the twin.
// To split across workers, pass a band of rows: a.subarray(r0*k, r1*k), c.subarray(r0*m, r1*m), n = r1-r0.

// @ts-ignore: decorator
@inline const K_BLOCK = 128;
// @ts-ignore: decorator
@inline const J_BLOCK = 128;
/** Rows of c finished together: their 64×128 block of c (64 KiB) stays in cache across the k loop. */
// @ts-ignore: decorator
@inline const I_BLOCK = 64;

export function matmulF64(a: usize, na: i32, b: usize, nb: i32, c: usize, nc: i32, n: i32, k: i32, m: i32): void {
  assert(n >= 0 && k >= 0 && m >= 0, "matmulF64: n, k and m must be non-negative");
  assert(<i64>na == <i64>n * k, "matmulF64: a must hold n*k values");
  assert(<i64>nb == <i64>k * m, "matmulF64: b must hold k*m values");
  assert(<i64>nc == <i64>n * m, "matmulF64: c must hold n*m values");
  memory.fill(c, 0, <usize>nc << 3);
  for (let ii = 0; ii < n; ii += I_BLOCK) {
    const iEnd = min(ii + I_BLOCK, n);
    for (let kk = 0; kk < k; kk += K_BLOCK) {
      const kEnd = min(kk + K_BLOCK, k);
      for (let jj = 0; jj < m; jj += J_BLOCK) {
        const jEnd = min(jj + J_BLOCK, m);
        const jVecEnd = jj + ((jEnd - jj) & ~3);
        for (let i = ii; i < iEnd; i++) {
          const cRow = c + ((<usize>i * <usize>m) << 3);
          const aRow = a + ((<usize>i * <usize>k) << 3);
          for (let kx = kk; kx < kEnd; kx++) {
            const aik = load<f64>(aRow + (<usize>kx << 3));
            const va = f64x2.splat(aik);
            const bRow = b + ((<usize>kx * <usize>m) << 3);
            let j = jj;
            for (; j < jVecEnd; j += 4) {
              const o = <usize>j << 3;
              v128.store(cRow + o, f64x2.add(v128.load(cRow + o), f64x2.mul(va, v128.load(bRow + o))));
              v128.store(cRow + o, f64x2.add(v128.load(cRow + o, 16), f64x2.mul(va, v128.load(bRow + o, 16))), 16);
            }
            for (; j < jEnd; j++) {
              const o = <usize>j << 3;
              store<f64>(cRow + o, load<f64>(cRow + o) + aik * load<f64>(bRow + o));
            }
          }
        }
      }
    }
  }
}
