import type { KernelBuild } from './relaxed-simd.js';

/**
 * The built-in kernels' binaries for the browser build, carried inside its JavaScript: there is no file for a
 * bundler to copy, a CDN to serve or a CSP to allow, and nothing is fetched until a Pool needs the kernels.
 * The build (scripts/embed-kernels.mjs, after tsc) writes build/kernels.wasm and build/kernels-relaxed.wasm (the
 * relaxed-SIMD GEMM and convolution, ~7 KB) as base64 into this module's dist/ copy; the source keeps empty
 * strings so the repository holds no generated binary.
 */
export const KERNELS_BASE64: string = '';
export const KERNELS_RELAXED_BASE64: string = '';

/** The built-in kernels' bytes (the baseline module, or the relaxed-SIMD one loaded beside it), decoded on first use. */
export function builtinKernelBytes(build: KernelBuild = 'baseline'): Uint8Array {
  const base64 = build === 'relaxed' ? KERNELS_RELAXED_BASE64 : KERNELS_BASE64;
  if (base64 === '') {
    throw new Error('this copy of wasmpool was built without the built-in kernels embedded (run `npm run build`, which runs scripts/embed-kernels.mjs)');
  }
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}
