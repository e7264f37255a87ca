/**
 * A first-fit block allocator over the pool's shared WebAssembly.Memory, run on the main thread
 * only (workers never allocate: no AssemblyScript runtime is safe on a shared memory, so kernels
 * are pointer-only and the pool hands them blocks from here).
 *
 * The managed range starts above the module's static data and is tiled by blocks, in address
 * order, each free or in use; freeing merges a block with free neighbours. When nothing fits, the
 * memory grows. Growing a shared memory never detaches its SharedArrayBuffer, so views made
 * earlier stay valid; only `memory.buffer` becomes a new, longer object.
 */

const PAGE = 65536;
/** Block starts are multiples of this: one cache line, and at least v128 and f64 alignment. */
export const BLOCK_ALIGN = 64;

export class Block {
  /** False once freed; a Block object is never reused, so a stale reference stays recognisable. */
  live = true;
  constructor(
    readonly start: number,
    public size: number,
    public free: boolean,
  ) {}
  get end(): number {
    return this.start + this.size;
  }
}

export class SharedHeap {
  readonly #memory: WebAssembly.Memory;
  readonly #maxBytes: number;
  readonly #base: number;
  readonly #blocks: Block[] = [];
  /** Called after the memory grew, with its new buffer. */
  readonly #onGrow: (buffer: ArrayBufferLike) => void;

  constructor(memory: WebAssembly.Memory, dataEnd: number, maxPages: number, onGrow: (buffer: ArrayBufferLike) => void) {
    this.#memory = memory;
    // Above the static data, rounded to a page so a module whose data grows a little keeps the same base.
    this.#base = Math.max(PAGE, Math.ceil(dataEnd / PAGE) * PAGE);
    this.#maxBytes = maxPages * PAGE;
    this.#onGrow = onGrow;
  }

  /** Bytes the heap could ever hand out (the module's maximumMemory minus what lies below the heap). */
  get capacity(): number {
    return this.#maxBytes - this.#base;
  }

  /** Bytes in blocks currently in use. */
  get used(): number {
    let used = 0;
    for (const block of this.#blocks) if (!block.free) used += block.size;
    return used;
  }

  /** A block of at least `bytes` bytes, or undefined if the memory cannot grow that far. */
  allocate(bytes: number): Block | undefined {
    const size = Math.max(BLOCK_ALIGN, Math.ceil(bytes / BLOCK_ALIGN) * BLOCK_ALIGN);
    const blocks = this.#blocks;
    for (let i = 0; i < blocks.length; i++) {
      const block = blocks[i];
      if (block.free && block.size >= size) return this.#take(i, size);
    }
    // Nothing fits: extend the heap, reusing a free block at its end.
    const last = blocks[blocks.length - 1];
    const start = last?.free ? last.start : (last?.end ?? this.#base);
    if (!this.#ensure(start + size)) return undefined;
    if (last?.free) {
      last.size = size;
      last.free = false;
      return last;
    }
    const block = new Block(start, size, false);
    blocks.push(block);
    return block;
  }

  release(block: Block): void {
    const blocks = this.#blocks;
    const i = this.#indexOf(block.start);
    if (blocks[i] !== block || block.free) throw new Error('internal: releasing a block the heap does not hold');
    block.free = true;
    block.live = false;
    // The freed Block object keeps live=false; the free space is a new object so that stale
    // references to the old one can still be told apart after the space is reused.
    const merged = new Block(block.start, block.size, true);
    blocks[i] = merged;
    const next = blocks[i + 1];
    if (next?.free) {
      merged.size += next.size;
      blocks.splice(i + 1, 1);
    }
    const previous = blocks[i - 1];
    if (previous?.free) {
      previous.size += merged.size;
      blocks.splice(i, 1);
    }
  }

  /** The block containing byte `offset`, free or not. */
  blockAt(offset: number): Block | undefined {
    const i = this.#indexOf(offset);
    const block = this.#blocks[i];
    return block && offset >= block.start && offset < block.end ? block : undefined;
  }

  /** Index of the last block starting at or before `offset` (binary search; blocks are in address order). */
  #indexOf(offset: number): number {
    let lo = 0;
    let hi = this.#blocks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#blocks[mid].start <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  #take(i: number, size: number): Block {
    const block = this.#blocks[i];
    if (block.size > size) this.#blocks.splice(i + 1, 0, new Block(block.start + size, block.size - size, true));
    const taken = new Block(block.start, size, false);
    this.#blocks[i] = taken;
    return taken;
  }

  /** Grows the memory so that byte `end` is inside it; false past the maximum. */
  #ensure(end: number): boolean {
    if (end > this.#maxBytes) return false;
    const have = this.#memory.buffer.byteLength;
    if (end <= have) return true;
    // Grow by at least a quarter of the current size, so many small allocations grow rarely.
    const needed = Math.ceil((end - have) / PAGE);
    const pages = Math.min(Math.max(needed, Math.ceil(have / PAGE / 4)), this.#maxBytes / PAGE - have / PAGE);
    try {
      this.#memory.grow(pages);
    } catch {
      return false; // the engine could not reserve that much (address space, or a browser's limit)
    }
    this.#onGrow(this.#memory.buffer);
    return true;
  }
}
