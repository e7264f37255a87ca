import { describe, expect, it } from 'vitest';
import { BLOCK_ALIGN, SharedHeap } from '../../src/shared/heap.js';

const PAGE = 65536;

function heap(options: { initial?: number; maximum?: number; dataEnd?: number } = {}) {
  const memory = new WebAssembly.Memory({ initial: options.initial ?? 2, maximum: options.maximum ?? 16, shared: true });
  const grown: ArrayBufferLike[] = [];
  const shared = new SharedHeap(memory, options.dataEnd ?? 100, options.maximum ?? 16, (buffer) => grown.push(buffer));
  return { memory, heap: shared, grown };
}

describe('SharedHeap', () => {
  it('starts above the static data, on a page boundary, and aligns every block', () => {
    const { heap: h } = heap({ dataEnd: PAGE + 10 });
    const a = h.allocate(1)!;
    const b = h.allocate(100)!;
    expect(a.start).toBe(2 * PAGE);
    expect(a.size).toBe(BLOCK_ALIGN);
    expect(b.start).toBe(a.end);
    expect(b.size).toBe(128);
    expect(b.start % BLOCK_ALIGN).toBe(0);
    expect(h.used).toBe(BLOCK_ALIGN + 128);
    expect(h.capacity).toBe(16 * PAGE - 2 * PAGE);
  });

  it('reuses freed space first fit, splitting a larger free block', () => {
    const { heap: h } = heap();
    const a = h.allocate(256)!;
    const b = h.allocate(64)!;
    h.release(a);
    const c = h.allocate(64)!;
    expect(c.start).toBe(a.start);
    const d = h.allocate(128)!;
    expect(d.start).toBe(a.start + 64); // the rest of a's space
    expect(d.end).toBeLessThanOrEqual(b.start);
  });

  it('merges a freed block with free neighbours on both sides', () => {
    const { heap: h } = heap();
    const a = h.allocate(64)!;
    const b = h.allocate(64)!;
    const c = h.allocate(64)!;
    const d = h.allocate(64)!;
    h.release(a);
    h.release(c);
    h.release(b); // joins a, b and c into one free block
    const merged = h.blockAt(a.start)!;
    expect(merged.free).toBe(true);
    expect(merged.start).toBe(a.start);
    expect(merged.size).toBe(192);
    expect(h.blockAt(c.start)).toBe(merged);
    expect(h.allocate(192)!.start).toBe(a.start);
    expect(h.blockAt(d.start)?.free).toBe(false);
  });

  it('refuses to release a block twice, or a stale one whose space was reused', () => {
    const { heap: h } = heap();
    const a = h.allocate(64)!;
    h.allocate(64);
    h.release(a);
    expect(a.live).toBe(false);
    expect(() => h.release(a)).toThrow(/releasing a block the heap does not hold/);
    const reused = h.allocate(64)!;
    expect(reused.start).toBe(a.start);
    expect(() => h.release(a)).toThrow(/does not hold/);
    expect(reused.live).toBe(true);
  });

  it('grows the memory when nothing fits, by at least a quarter, without detaching earlier views', () => {
    const { heap: h, memory, grown } = heap({ initial: 8, maximum: 64 });
    const early = new Uint8Array(memory.buffer);
    const big = h.allocate(8 * PAGE)!;
    expect(grown).toHaveLength(1);
    expect(grown[0]).toBe(memory.buffer);
    expect(memory.buffer.byteLength).toBeGreaterThanOrEqual(big.end);
    expect(memory.buffer.byteLength / PAGE - 8).toBeGreaterThanOrEqual(2);
    early[PAGE] = 42; // still a live view of the same memory
    expect(new Uint8Array(memory.buffer)[PAGE]).toBe(42);
  });

  it('extends a free block at the end of the heap instead of leaving it behind', () => {
    const { heap: h } = heap({ initial: 2, maximum: 64 });
    const a = h.allocate(64)!;
    const b = h.allocate(PAGE / 2)!;
    h.release(b);
    const c = h.allocate(2 * PAGE)!;
    expect(c.start).toBe(a.end);
  });

  it('returns undefined past the maximum, and changes nothing', () => {
    const { heap: h, memory } = heap({ initial: 2, maximum: 4 });
    const before = memory.buffer.byteLength;
    expect(h.allocate(4 * PAGE)).toBeUndefined();
    expect(memory.buffer.byteLength).toBe(before);
    expect(h.used).toBe(0);
    expect(h.allocate(PAGE)).toBeDefined();
  });

  it('finds the block containing any byte, and nothing outside the heap', () => {
    const { heap: h } = heap();
    const a = h.allocate(64)!;
    const b = h.allocate(64)!;
    expect(h.blockAt(a.start + 63)).toBe(a);
    expect(h.blockAt(b.start)).toBe(b);
    expect(h.blockAt(b.end)).toBeUndefined();
    expect(h.blockAt(0)).toBeUndefined();
  });
});
