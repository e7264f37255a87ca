// The relaxed-SIMD build of the built-in kernels' GEMM and convolution (asconfig.json's `kernelsRelaxed` target,
// build/kernels-relaxed.wasm). Where the runtime validates relaxed SIMD, the pool instantiates it beside the
// baseline module, on the same memory, and its exports replace the baseline's of the same names
// (src/modules/relaxed-simd.ts). It must write nothing at instantiation: no data segments (built with noAssert;
// scripts/build-wasm.mjs refuses a build that has any), since they would land on the baseline module's.
export { opsMatmulF32, opsMatmulF64 } from "./ops/gemm";
export { opsConv2dF32 } from "./ops/conv";
