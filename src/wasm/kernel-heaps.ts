/**
 * Each worker's AssemblyScript heap: a region of the pool's shared memory that one worker's
 * instance allocates in (assembly/lib/runtime.ts), so no kernel allocation lands on a pool array or
 * on another worker's allocations. Both halves of the protocol are here.
 *
 * The pool reserves, once, a table and `count` regions of `size` bytes from its shared heap (so
 * pool.alloc never hands them out). A worker claims a free region when it loads the module, by
 * compare-and-swap of its serial into the region's owner cell, and keeps it across reloads; the
 * main thread frees the regions of a worker once its thread has surely exited (a worker that was
 * terminated cannot free anything itself). `count` exceeds the pool's worker count, because a
 * replacement may start while a terminated thread is still winding down; should every region be
 * taken even so, the claimer waits for a release, bounded.
 *
 * Table layout, Int32 cells from `table`: [RELEASES] then, per region i, [OWNER + i]: the serial of
 * the worker holding region i, 0 when free. Region i starts at `regions + i * size`.
 */
import type { KernelHeapSpec } from '../abi/protocol.js';

const RELEASES = 0;
const OWNER = 1;
/** Regions start at multiples of this (a page: no region shares a cache line or a page with another). */
const REGION_ALIGN = 65536;
/** How long a worker waits for a region when all are taken (a terminated thread's exit is milliseconds away). */
const CLAIM_WAIT_MS = 30_000;

/** Default and limits of PoolOptions.kernelHeapSize, in bytes. */
export const KERNEL_HEAP = { default: 1 << 20, min: 1 << 16, max: 1 << 30 } as const;

/** Regions for a pool of `workers`: room for a replacement or two while terminated threads exit. */
export const regionCount = (workers: number): number => workers + Math.max(2, Math.ceil(workers / 2));

function cells(memory: WebAssembly.Memory, spec: KernelHeapSpec): Int32Array {
  return new Int32Array(memory.buffer, spec.table, OWNER + spec.count);
}

/** Main thread: reserves the table and the regions with `reserve` (bytes → a 64-aligned offset). */
export function createKernelHeaps(reserve: (bytes: number) => number, workers: number, size: number): KernelHeapSpec {
  const count = regionCount(workers);
  const regionSize = Math.ceil(size / REGION_ALIGN) * REGION_ALIGN;
  const tableBytes = (OWNER + count) * 4;
  const start = reserve(tableBytes + REGION_ALIGN + count * regionSize);
  const regions = Math.ceil((start + tableBytes) / REGION_ALIGN) * REGION_ALIGN;
  return { table: start, regions, count, size: regionSize };
}

/** Main thread, once a worker's thread has exited: its region is free for the next worker. */
export function releaseKernelHeap(memory: WebAssembly.Memory, spec: KernelHeapSpec, serial: number): void {
  const table = cells(memory, spec);
  for (let i = 0; i < spec.count; i++) {
    if (Atomics.compareExchange(table, OWNER + i, serial, 0) === serial) {
      // Store, then notify: a claimer that wakes sees the free cell.
      Atomics.add(table, RELEASES, 1);
      Atomics.notify(table, RELEASES);
    }
  }
}

/** Worker: claims a region for the worker `serial`; returns [start, end). */
export function claimKernelHeap(memory: WebAssembly.Memory, spec: KernelHeapSpec, serial: number): [number, number] {
  const table = cells(memory, spec);
  const deadline = Date.now() + CLAIM_WAIT_MS;
  for (;;) {
    // Read before scanning: a release between the scan and the wait then makes the wait return at once.
    const releases = Atomics.load(table, RELEASES);
    for (let i = 0; i < spec.count; i++) {
      if (Atomics.compareExchange(table, OWNER + i, 0, serial) === 0) {
        const start = spec.regions + i * spec.size;
        return [start, start + spec.size];
      }
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new Error(`every one of the pool's ${spec.count} kernel heaps is held by a worker that has not exited after ${CLAIM_WAIT_MS} ms`);
    }
    Atomics.wait(table, RELEASES, releases, left);
  }
}
