/**
 * Which build of the built-in kernels' GEMM and convolution a pool loads. The baseline (SIMD128) is always there;
 * the relaxed-SIMD build (assembly/relaxed.ts, build/kernels-relaxed.wasm) fuses their multiply-adds and is
 * loaded beside it where the runtime validates relaxed SIMD: Chromium since 114, Node from 22, Deno, Bun (Node 20 only with
 * `--experimental-wasm-relaxed-simd`). The test is a 37-byte module, so a runtime without relaxed SIMD never
 * decodes the relaxed build's bytes.
 */

/** The builds `pool.ops.simd` names. */
export type KernelBuild = 'baseline' | 'relaxed';

/**
 * `(func (param v128 v128 v128) (result v128) (f32x4.relaxed_madd (local.get 0) (local.get 1) (local.get 2)))`.
 * Exported for its test, which swaps the opcode for a SIMD128 one to show the rest of the module is valid.
 */
// prettier-ignore
export const RELAXED_SIMD_PROBE: readonly number[] = [
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // \0asm, version 1
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, // type section: (v128, v128, v128) -> v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, // code section: one body, no locals, local.get 0, 1, 2
  0xfd, 0x85, 0x02, 0x0b, // f32x4.relaxed_madd (0xfd 0x105), end
];

let validates: boolean | undefined;

/** Whether this runtime validates relaxed SIMD (tested once; the answer cannot change while the process runs). */
export function relaxedSimdValidates(): boolean {
  validates ??= WebAssembly.validate(new Uint8Array(RELAXED_SIMD_PROBE));
  return validates;
}

/**
 * The build a pool asked for with `PoolOptions.relaxedSimd` gets: undefined (the default) takes the relaxed build
 * where the runtime validates it and falls back to the baseline; false always the baseline; true the relaxed one,
 * or a TypeError where the runtime cannot run it. `validates` is the feature test (a parameter, for its test).
 */
export function chooseKernelBuild(relaxedSimd: boolean | undefined, validates: () => boolean = relaxedSimdValidates): KernelBuild {
  if (relaxedSimd === false) return 'baseline';
  if (validates()) return 'relaxed';
  if (relaxedSimd === undefined) return 'baseline';
  throw new TypeError(
    'Expected `relaxedSimd` to be false or left out on this runtime, which does not validate relaxed SIMD (Node 20 needs `node --experimental-wasm-relaxed-simd`; Node 22+, Deno, Bun and Chromium 114+ have it), got true',
  );
}
