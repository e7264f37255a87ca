// The kernel-heap table (src/wasm/kernel-heaps.ts) on its own, no threads: regions apart from each
// other and from the reserved range's neighbours, claimed once each, freed by serial.
import { describe, expect, it } from 'vitest';
import { claimKernelHeap, createKernelHeaps, regionCount, releaseKernelHeap } from '../../dist/wasm/kernel-heaps.js';

function setup(workers: number, size: number) {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1024, shared: true });
  let next = 65536 + 64;
  const reserved: Array<[number, number]> = [];
  const spec = createKernelHeaps(
    (bytes) => {
      const start = next;
      next += bytes;
      memory.grow(Math.ceil(next / 65536) - memory.buffer.byteLength / 65536);
      reserved.push([start, start + bytes]);
      return start;
    },
    workers,
    size,
  );
  return { memory, spec, reserved: reserved[0] };
}

describe('kernel heaps', () => {
  it('gives each claimer its own page-aligned region inside what was reserved, and the same region again once freed', () => {
    const { memory, spec, reserved } = setup(2, 100_000);
    expect(spec.count).toBe(regionCount(2));
    expect(spec.size).toBe(131072); // rounded up to 64 KiB
    const regions = Array.from({ length: spec.count }, (_, i) => claimKernelHeap(memory, spec, i + 1));
    for (const [start, end] of regions) {
      expect(start % 65536).toBe(0);
      expect(end - start).toBe(spec.size);
      expect(start).toBeGreaterThanOrEqual(reserved[0]);
      expect(end).toBeLessThanOrEqual(reserved[1]);
    }
    const sorted = [...regions].sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i][0]).toBeGreaterThanOrEqual(sorted[i - 1][1]);
    // The table itself lies below the first region.
    expect(spec.table + (1 + spec.count) * 4).toBeLessThanOrEqual(sorted[0][0]);
    releaseKernelHeap(memory, spec, 2);
    expect(claimKernelHeap(memory, spec, 99)).toEqual(regions[1]);
  });

  it('a release by a serial that holds nothing frees nothing', () => {
    const { memory, spec } = setup(1, 65536);
    const held = Array.from({ length: spec.count }, (_, i) => claimKernelHeap(memory, spec, i + 1));
    releaseKernelHeap(memory, spec, 1234);
    releaseKernelHeap(memory, spec, 1);
    expect(claimKernelHeap(memory, spec, 50)).toEqual(held[0]);
  });
});
