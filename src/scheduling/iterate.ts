import type { ChunkListener } from './jobs.js';

/**
 * Turns a map's chunk completions into an async iterator of items: in input
 * order (imap) or in completion order (imapUnordered). A failed chunk throws
 * when the iteration reaches it, as in Python.
 */
export class ItemStream<T> implements ChunkListener, AsyncIterable<T> {
  private readonly ready: Array<{ ok: boolean; values: ArrayLike<unknown> | Error }> = [];
  private readonly byIndex = new Map<number, { ok: boolean; values: ArrayLike<unknown> | Error }>();
  private nextIndex = 0;
  private wake: (() => void) | undefined;
  private delivered = 0;

  constructor(
    private readonly ordered: boolean,
    private readonly chunks: number,
  ) {}

  chunk(index: number, _offset: number, ok: boolean, values: ArrayLike<unknown> | Error): void {
    if (this.ordered) {
      this.byIndex.set(index, { ok, values });
      for (let next = this.byIndex.get(this.nextIndex); next; next = this.byIndex.get(this.nextIndex)) {
        this.byIndex.delete(this.nextIndex++);
        this.ready.push(next);
      }
    } else {
      this.ready.push({ ok, values });
    }
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    while (this.delivered < this.chunks) {
      const next = this.ready.shift();
      if (!next) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      this.delivered++;
      if (!next.ok) throw next.values as Error;
      const values = next.values as ArrayLike<T>;
      for (let i = 0; i < values.length; i++) yield values[i];
    }
  }
}
