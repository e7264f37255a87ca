import { describe, expect, it } from 'vitest';
import { defaultChunksize, splitIntoChunks } from '../../src/scheduling/chunking.js';

describe('defaultChunksize', () => {
  it('aims at about four chunks per worker, as Python does, and is never 0', () => {
    expect(defaultChunksize(0, 4)).toBe(1);
    expect(defaultChunksize(1, 4)).toBe(1);
    expect(defaultChunksize(16, 4)).toBe(1);
    expect(defaultChunksize(17, 4)).toBe(2);
    expect(defaultChunksize(1000, 2)).toBe(125);
  });
});

describe('splitIntoChunks', () => {
  it('splits numbers into Float64Array chunks of chunksize, the last one shorter', () => {
    const chunks = splitIntoChunks([1, 2, 3, 4, 5], 2);
    expect(chunks).toEqual([new Float64Array([1, 2]), new Float64Array([3, 4]), new Float64Array([5])]);
    expect(chunks.every((c) => c instanceof Float64Array)).toBe(true);
  });

  it('keeps a list with any non-number as plain arrays, values untouched', () => {
    const items = [1, 'two', 3n, { four: 4 }, 5];
    const chunks = splitIntoChunks(items, 2);
    expect(chunks).toEqual([[1, 'two'], [3n, { four: 4 }], [5]]);
    expect(chunks[1][1]).toBe(items[3]);
  });

  it('passes a single plain chunk through without copying it', () => {
    const items = ['a', 'b'];
    expect(splitIntoChunks(items, 10)[0]).toBe(items);
  });

  it('returns no chunks for no items', () => {
    expect(splitIntoChunks([], 3)).toEqual([]);
  });

  it('covers every item exactly once, in order, for any chunksize', () => {
    const items = Array.from({ length: 23 }, (_, i) => i * 1.5);
    for (const size of [1, 2, 5, 22, 23, 24]) {
      const chunks = splitIntoChunks(items, size);
      expect(chunks.flatMap((c) => Array.from(c))).toEqual(items);
      expect(chunks.slice(0, -1).every((c) => c.length === size)).toBe(true);
    }
  });
});
