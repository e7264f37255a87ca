/**
 * Shared memory for unit payloads that are not inline numbers: serialized argument lists and items, and the
 * Float64 items of numeric chunks (whose results are written back over them). The main thread allocates and
 * frees; a worker only reads and writes the blocks of the units it takes. Pages are only ever added or, for a
 * page made for one large payload, forgotten once it is free; a worker learns of a page by message before any
 * descriptor names it.
 */

/** Size of an ordinary page; a payload larger than a quarter of it gets a page of its own. */
export const ARENA_PAGE_BYTES = 4 << 20;
const ALIGN = 8;

export interface ArenaBlock {
  readonly page: number;
  readonly offset: number;
  readonly bytes: number;
}

interface Page {
  readonly id: number;
  readonly buffer: SharedArrayBuffer;
  readonly bytes: Uint8Array;
  /** Next free byte (bump allocation). */
  top: number;
  /** Blocks handed out and not yet freed; the page is reset to empty when it reaches 0. */
  live: number;
  /** Made for one large payload: forgotten, not reused, once free. */
  readonly single: boolean;
}

/** Notified when a page appears or goes, so workers can be told. */
export interface ArenaObserver {
  pageAdded(id: number, buffer: SharedArrayBuffer): void;
  pageForgotten(id: number): void;
}

export class PayloadArena {
  readonly #pages = new Map<number, Page>();
  #current: Page | undefined;
  #nextId = 0;

  constructor(private readonly observer: ArenaObserver) {}

  /** Every page workers must know, for a worker that starts now. */
  pages(): Array<[number, SharedArrayBuffer]> {
    return [...this.#pages.values()].map((page) => [page.id, page.buffer]);
  }

  /** Bytes held by all pages (for stats and leak checks). */
  get byteLength(): number {
    let total = 0;
    for (const page of this.#pages.values()) total += page.buffer.byteLength;
    return total;
  }

  /** Blocks not yet freed (0 when idle: nothing leaks). */
  get liveBlocks(): number {
    let live = 0;
    for (const page of this.#pages.values()) live += page.live;
    return live;
  }

  allocate(bytes: number): ArenaBlock {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    if (size > ARENA_PAGE_BYTES / 4) return this.#take(this.#addPage(size, true), size, bytes);
    let page = this.#current;
    if (!page || page.top + size > page.buffer.byteLength) {
      page = this.#emptyPage() ?? this.#addPage(ARENA_PAGE_BYTES, false);
      this.#current = page;
    }
    return this.#take(page, size, bytes);
  }

  /** The bytes of a block, to write a payload into. */
  view(block: ArenaBlock): Uint8Array {
    return this.#pages.get(block.page)!.bytes.subarray(block.offset, block.offset + block.bytes);
  }

  free(block: ArenaBlock): void {
    const page = this.#pages.get(block.page);
    if (!page) return;
    if (--page.live > 0) return;
    if (page.single) {
      this.#pages.delete(page.id);
      this.observer.pageForgotten(page.id);
    } else {
      page.top = 0;
    }
  }

  #take(page: Page, size: number, bytes: number): ArenaBlock {
    const block = { page: page.id, offset: page.top, bytes };
    page.top += size;
    page.live++;
    return block;
  }

  #emptyPage(): Page | undefined {
    for (const page of this.#pages.values()) if (!page.single && page.live === 0) return page;
    return undefined;
  }

  #addPage(size: number, single: boolean): Page {
    const buffer = new SharedArrayBuffer(size);
    const page: Page = { id: this.#nextId++, buffer, bytes: new Uint8Array(buffer), top: 0, live: 0, single };
    this.#pages.set(page.id, page);
    this.observer.pageAdded(page.id, buffer);
    return page;
  }
}
