// The multiply-add of the GEMM and convolution inner loops, one source for both builds of the built-in kernels:
// the baseline build (SIMD128) multiplies then adds, each rounded, so its results are bit-identical to the JS
// twins; the relaxed-SIMD build (asconfig.json's `kernelsRelaxed`, chosen at load where the runtime validates
// relaxed SIMD) uses relaxed_madd, which V8 lowers to one fused multiply-add where the CPU has FMA. The branch
// is on a compile-time constant, so each build holds one of the two bodies.

/** c + a·b, lane by lane (f32x4 or f64x2). */
// @ts-ignore: decorator
@inline export function madd<T>(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return v128.relaxed_madd<T>(a, b, c);
  return v128.add<T>(c, v128.mul<T>(a, b));
}
