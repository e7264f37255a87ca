/**
 * imap / imapUnordered over a QueuePool: chunks of a map arrive as their jobs finish, on any host, in any
 * order; this turns them into an async iterator of items, in input order or as they come. A failure ends the
 * iteration with the error once the items before it (in the order asked for) have been given.
 */
export class ItemStream<T> implements AsyncIterable<T> {
  readonly #ordered: boolean;
  readonly #ready: T[][] = [];
  readonly #byOffset = new Map<number, T[]>();
  #nextOffset = 0;
  #error: Error | undefined;
  #ended = false;
  #wake: (() => void) | undefined;

  constructor(ordered: boolean) {
    this.#ordered = ordered;
  }

  chunk(offset: number, values: T[]): void {
    if (!this.#ordered) this.#ready.push(values);
    else {
      this.#byOffset.set(offset, values);
      for (let next = this.#byOffset.get(this.#nextOffset); next; next = this.#byOffset.get(this.#nextOffset)) {
        this.#byOffset.delete(this.#nextOffset);
        this.#nextOffset += next.length;
        this.#ready.push(next);
      }
    }
    this.#wake?.();
  }

  end(error: Error | undefined): void {
    this.#ended = true;
    this.#error = error;
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const next = this.#ready.shift();
      if (next) {
        yield* next;
        continue;
      }
      if (this.#ended) {
        if (this.#error) throw this.#error;
        return;
      }
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }
}
