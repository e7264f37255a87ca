import { describe, expect, it } from 'vitest';
import { ARENA_PAGE_BYTES, PayloadArena } from '../../src/abi/payload-arena.js';

function arena() {
  const added: number[] = [];
  const forgotten: number[] = [];
  const buffers = new Map<number, SharedArrayBuffer>();
  const a = new PayloadArena({
    pageAdded: (id, buffer) => {
      added.push(id);
      buffers.set(id, buffer);
    },
    pageForgotten: (id) => forgotten.push(id),
  });
  return { arena: a, added, forgotten, buffers };
}

describe('PayloadArena', () => {
  it('bump-allocates 8-byte aligned blocks from one page, announced once', () => {
    const { arena: a, added } = arena();
    const x = a.allocate(3);
    const y = a.allocate(16);
    const z = a.allocate(0);
    expect([x.offset, y.offset, z.offset]).toEqual([0, 8, 24]);
    expect([x.bytes, y.bytes, z.bytes]).toEqual([3, 16, 0]);
    expect(new Set([x.page, y.page, z.page]).size).toBe(1);
    expect(added).toEqual([x.page]);
    expect(a.liveBlocks).toBe(3);
    expect(a.byteLength).toBe(ARENA_PAGE_BYTES);
  });

  it('writes through view() into the buffer a worker was given', () => {
    const { arena: a, buffers } = arena();
    a.allocate(8);
    const block = a.allocate(4);
    a.view(block).set([1, 2, 3, 4]);
    expect(a.view(block)).toHaveLength(4);
    expect([...new Uint8Array(buffers.get(block.page)!, block.offset, 4)]).toEqual([1, 2, 3, 4]);
  });

  it('resets a page to empty once its last block is freed, and reuses it before adding another', () => {
    const { arena: a, added } = arena();
    const blocks = [a.allocate(100), a.allocate(100)];
    for (const block of blocks) a.free(block);
    expect(a.liveBlocks).toBe(0);
    expect(a.allocate(8).offset).toBe(0);
    expect(added).toHaveLength(1);
  });

  it('starts a new page when the current one is full, and goes back to an emptied one', () => {
    const { arena: a, added } = arena();
    const quarter = ARENA_PAGE_BYTES / 4;
    const first = [0, 1, 2, 3].map(() => a.allocate(quarter));
    expect(new Set(first.map((b) => b.page)).size).toBe(1);
    const overflow = a.allocate(8);
    expect(overflow.page).not.toBe(first[0].page);
    expect(added).toHaveLength(2);
    for (const block of first) a.free(block);
    // The current page still has room: the emptied one waits until it is needed.
    const small = a.allocate(8);
    expect(small.page).toBe(overflow.page);
    // Kills: #emptyPage() never finding the emptied page (a new page added whenever the current one fills).
    const rest = [0, 1, 2].map(() => a.allocate(quarter)); // the second page now has 16 + 3 quarters used
    expect(rest.every((b) => b.page === overflow.page)).toBe(true);
    const reused = a.allocate(quarter); // does not fit: back to the emptied first page, from its start
    expect(reused.page).toBe(first[0].page);
    expect(reused.offset).toBe(0);
    expect(added).toHaveLength(2);
    expect(a.byteLength).toBe(2 * ARENA_PAGE_BYTES);
    for (const block of [overflow, small, ...rest]) a.free(block);
    expect(a.liveBlocks).toBe(1);
  });

  it('gives a large payload a page of its own, forgotten (and announced so) once freed', () => {
    const { arena: a, added, forgotten } = arena();
    const small = a.allocate(8);
    const large = a.allocate(ARENA_PAGE_BYTES / 4 + 1);
    expect(large.page).not.toBe(small.page);
    expect(large.offset).toBe(0);
    expect(a.pages().map(([id]) => id)).toEqual(added);
    a.free(large);
    expect(forgotten).toEqual([large.page]);
    expect(a.pages().map(([id]) => id)).toEqual([small.page]);
    expect(a.byteLength).toBe(ARENA_PAGE_BYTES);
    a.free(large); // a second free of a forgotten page's block changes nothing
    expect(a.liveBlocks).toBe(1);
  });
});
