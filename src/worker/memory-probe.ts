/**
 * How much memory a worker holds, measured by the worker itself after each task so the pool can replace
 * one that has grown past `maxWorkerMemory`. Runs inside the worker; nothing here imports `node:` modules, so
 * the browser build can load it. Each entry injects how its runtime reads its own heap: node-entry passes
 * `v8HeapProbe(getHeapStatistics)` from `node:v8`, browser-entry passes `WASM_ONLY_PROBE`.
 */

/** How a runtime reads the memory of the thread it runs on. */
export interface HeapProbe {
  /** Bytes this worker's own JS engine instance holds. */
  bytes(): number;
  /**
   * True when `bytes()` already counts ArrayBuffers and this worker's non-shared WASM memories, so adding
   * their byte lengths again would count them twice.
   */
  readonly countsWasmMemories: boolean;
}

/** The fields of `node:v8`'s `getHeapStatistics()` the probe reads (Node, Deno and Bun all provide it). */
export interface V8HeapStatistics {
  used_heap_size: number;
  /** Absent on runtimes that do not report it. */
  external_memory?: number;
}

/**
 * A probe over `node:v8`'s `getHeapStatistics`. Its figures are per isolate, so per worker thread: a worker
 * growing its heap leaves the main thread's figures unchanged (checked in test/unit/memory-probe.test.ts).
 * `external_memory` counts ArrayBuffers and non-shared `WebAssembly.Memory`s but not shared ones, so the
 * pool's shared memory is left out by V8 itself. Deno reads the same V8 statistics of the worker's own
 * isolate; Bun reports its own VM's heap and "extra memory", where WASM memories are not known to be
 * included, so pass `{ countsWasmMemories: false }` there.
 */
export function v8HeapProbe(getHeapStatistics: () => V8HeapStatistics, options: { countsWasmMemories?: boolean } = {}): HeapProbe {
  const hasExternal = getHeapStatistics().external_memory !== undefined;
  return {
    bytes() {
      const stats = getHeapStatistics();
      return stats.used_heap_size + (stats.external_memory ?? 0);
    },
    countsWasmMemories: hasExternal && (options.countsWasmMemories ?? true),
  };
}

/**
 * Browsers have no synchronous per-worker heap figure (`performance.memory` is Chrome-only, window-only and
 * coarse; `measureUserAgentSpecificMemory` is asynchronous and needs cross-origin isolation), so a browser
 * worker counts only the WASM memories it owns.
 */
export const WASM_ONLY_PROBE: HeapProbe = { bytes: () => 0, countsWasmMemories: false };

const BYTES_PER_MB = 1024 * 1024;

/**
 * The worker's memory in MB: what `probe` reports plus, where the probe does not already count them, the
 * byte lengths of `memories` other than the pool's `sharedMemory` (each counted once however often it is
 * listed). Call it after a task has settled and compare with `maxWorkerMemory`.
 */
export function workerMemoryMb(probe: HeapProbe, memories: Iterable<WebAssembly.Memory | undefined>, sharedMemory?: WebAssembly.Memory): number {
  let bytes = probe.bytes();
  if (!probe.countsWasmMemories) {
    const seen = new Set<WebAssembly.Memory>();
    for (const memory of memories) {
      if (memory === undefined || memory === sharedMemory || seen.has(memory)) continue;
      seen.add(memory);
      bytes += memory.buffer.byteLength;
    }
  }
  return bytes / BYTES_PER_MB;
}
