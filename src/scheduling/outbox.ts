import { reportCallbackError } from './callback-errors.js';

/**
 * User code waiting for the books to be consistent. The scheduler settles results in the middle of reading
 * completions, handling a message or failing a crashed worker's units; a callback, an `onProgress` handler or
 * an error callback run there would see (and could change) half-updated state: a callback that calls
 * `getSync()` would re-enter the completion reader it was called from. So settling only `defer`s user code
 * here, and every entry into the scheduler is bracketed by `enter()` / `leave()`: when the outermost step
 * leaves, the deferred calls run in the order they were deferred.
 *
 * A deferred call may itself enter the scheduler (submit, getSync, terminate): that step's bookkeeping is
 * done before it returns, and what it defers runs after the call that is running now, by the same loop, so
 * the order is kept and nothing runs twice.
 */
export class Outbox {
  #queue: Array<(() => void) | undefined> = [];
  #head = 0;
  #depth = 0;
  #flushing = false;

  /** Runs `call` once the current scheduler step is over (at once if no step is running). */
  defer(call: () => void): void {
    this.#queue.push(call);
    if (this.#depth === 0 && !this.#flushing) this.flush();
  }

  /** A scheduler step begins: deferred calls wait until it (and any step it is inside) is over. */
  enter(): void {
    this.#depth++;
  }

  /** A scheduler step is over; the outermost one runs what was deferred meanwhile. */
  leave(): void {
    if (--this.#depth === 0 && !this.#flushing && this.#head < this.#queue.length) this.flush();
  }

  /** Calls deferred and not yet run (for tests and leak checks). */
  get waiting(): number {
    return this.#queue.length - this.#head;
  }

  private flush(): void {
    this.#flushing = true;
    const queue = this.#queue;
    try {
      while (this.#head < queue.length) {
        const call = queue[this.#head];
        queue[this.#head++] = undefined; // let what it closes over be collected
        try {
          call!();
        } catch (error) {
          reportCallbackError(error);
        }
      }
    } finally {
      queue.length = 0;
      this.#head = 0;
      this.#flushing = false;
    }
  }
}
