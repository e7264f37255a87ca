/**
 * The built-in kernels' binary for the browser build, carried inside its JavaScript: there is no file for a
 * bundler to copy, a CDN to serve or a CSP to allow, and nothing is fetched until a Pool needs the kernels.
 * The build (scripts/embed-kernels.mjs, after tsc) writes build/kernels.wasm as base64 into this module's
 * dist/ copy; the source keeps an empty string so the repository holds no generated binary.
 */
export const KERNELS_BASE64: string = '';

/** The built-in kernels' bytes, decoded on first use. */
export function builtinKernelBytes(): Uint8Array {
  if (KERNELS_BASE64 === '') {
    throw new Error('this copy of wasmpool was built without the built-in kernels embedded (run `npm run build`, which runs scripts/embed-kernels.mjs)');
  }
  const text = atob(KERNELS_BASE64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}
