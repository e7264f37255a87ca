/**
 * SharedArrayBuffer exists only in cross-origin-isolated pages (and their
 * workers). Everywhere else the pool still runs: its flag blocks become plain
 * ArrayBuffers, each side works on its own copy, and completions travel by
 * message. Node always has shared memory.
 */
export const SHARED_MEMORY_AVAILABLE =
  typeof SharedArrayBuffer === 'function' && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false;

/** What to tell a user who needs shared memory in a page that is not isolated. */
export const ISOLATION_HINT =
  'this page is not cross-origin isolated, so SharedArrayBuffer is unavailable; serve it with the headers `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy: require-corp`';

/**
 * A block for Atomics: shared where possible, else a plain ArrayBuffer.
 * Typed as SharedArrayBuffer on purpose: Atomics.load/store/add/compareExchange
 * work on both, and only the code that needs sharing asks SHARED_MEMORY_AVAILABLE.
 */
export function allocateFlagBuffer(bytes: number): SharedArrayBuffer {
  return SHARED_MEMORY_AVAILABLE ? new SharedArrayBuffer(bytes) : (new ArrayBuffer(bytes) as unknown as SharedArrayBuffer);
}
