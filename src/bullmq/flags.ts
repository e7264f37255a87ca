/**
 * Completion flags in shared memory, one per unsettled QueuePool result, so ready() is a plain read that turns
 * true while the submitting thread never yields. The submitting thread owns allocation; the client thread only
 * raises a flag, once, when it has posted the result's outcome. Segments are added, never moved, so an index
 * stays valid; a new segment is handed to the client thread before any index in it is used (one ordered port).
 */
export const SEGMENT_SHIFT = 12;
export const SEGMENT_MASK = (1 << SEGMENT_SHIFT) - 1;
const SEGMENT_LENGTH = 1 << SEGMENT_SHIFT;

export class FlagTable {
  readonly #segments: Int32Array[] = [];
  readonly #free: number[] = [];
  /** Flags whose result has settled, waiting for the client thread's store to land before they are reused. */
  #retiring: number[] = [];
  readonly #announce: (segment: number, buffer: SharedArrayBuffer) => void;

  constructor(announce: (segment: number, buffer: SharedArrayBuffer) => void) {
    this.#announce = announce;
  }

  allocate(): number {
    if (this.#free.length === 0 && this.#retiring.length > 0) this.#reclaim();
    if (this.#free.length === 0) {
      const segment = this.#segments.length;
      const buffer = new SharedArrayBuffer(SEGMENT_LENGTH * Int32Array.BYTES_PER_ELEMENT);
      this.#segments.push(new Int32Array(buffer));
      this.#announce(segment, buffer);
      for (let i = SEGMENT_LENGTH - 1; i >= 0; i--) this.#free.push((segment << SEGMENT_SHIFT) | i);
    }
    return this.#free.pop()!;
  }

  isSet(flag: number): boolean {
    return Atomics.load(this.#segments[flag >> SEGMENT_SHIFT], flag & SEGMENT_MASK) === 1;
  }

  /**
   * The result of `flag` has settled by the client thread's message. The client posts before it raises the flag
   * (so a raised flag always finds its value in the port), so the raise may still be on its way: reusing the flag
   * now would let it land on the next result. It is reused only once seen raised.
   */
  retire(flag: number): void {
    this.#retiring.push(flag);
  }

  /** For a flag the client thread will never raise (it is gone): free at once. */
  release(flag: number): void {
    Atomics.store(this.#segments[flag >> SEGMENT_SHIFT], flag & SEGMENT_MASK, 0);
    this.#free.push(flag);
  }

  #reclaim(): void {
    const still: number[] = [];
    for (const flag of this.#retiring) {
      if (this.isSet(flag)) this.release(flag);
      else still.push(flag);
    }
    this.#retiring = still;
  }

  get inUse(): number {
    return this.#segments.length * SEGMENT_LENGTH - this.#free.length - this.#retiring.length;
  }
}
