const PENDING = 0;
const FULFILLED = 1;
const REJECTED = 2;

/**
 * The outcome of one submission, owned by whatever runs its work (a local scheduler, a queue client). Only that
 * owner calls `settle`; an AsyncResult reads it. The first settle wins, so a unit reported twice (a late message
 * after a crash, a job delivered twice) cannot change a value once given.
 */
export class ResultState<T = unknown> {
  #status = PENDING;
  #value: T | undefined;
  #error: Error | undefined;
  /** One listener (the common case: a get() or a callback) or several; no array for one. */
  #listeners: (() => void) | Array<() => void> | undefined;

  get pending(): boolean {
    return this.#status === PENDING;
  }

  get fulfilled(): boolean {
    return this.#status === FULFILLED;
  }

  get value(): T | undefined {
    return this.#value;
  }

  get error(): Error | undefined {
    return this.#error;
  }

  /** Returns false (and changes nothing) if already settled. */
  settle(ok: boolean, valueOrError: unknown): boolean {
    if (this.#status !== PENDING) return false;
    if (ok) {
      this.#status = FULFILLED;
      this.#value = valueOrError as T;
    } else {
      this.#status = REJECTED;
      this.#error = valueOrError as Error;
    }
    const listeners = this.#listeners;
    this.#listeners = undefined;
    if (typeof listeners === 'function') listeners();
    else if (listeners) for (const listener of listeners) listener();
    return true;
  }

  /** onSettled() for a listener that is never taken back (nothing allocated to unsubscribe it). */
  whenSettled(listener: () => void): void {
    if (this.#status !== PENDING) return listener();
    const current = this.#listeners;
    if (current === undefined) this.#listeners = listener;
    else if (typeof current === 'function') this.#listeners = [current, listener];
    else current.push(listener);
  }

  /** Calls `listener` once, when settled (at once if already settled). Returns a function that unsubscribes. */
  onSettled(listener: () => void): () => void {
    if (this.#status !== PENDING) {
      listener();
      return () => {};
    }
    this.whenSettled(listener);
    return () => {
      const list = this.#listeners;
      if (list === listener) this.#listeners = undefined;
      else if (Array.isArray(list)) {
        const at = list.indexOf(listener);
        if (at >= 0) list.splice(at, 1);
      }
    };
  }
}

/**
 * What an AsyncResult reads through; one implementation per kind of pool. None of these may settle a
 * result from anywhere but the owner's own books: they only let the owner take in what already arrived.
 */
export interface ResultSource {
  /** Whether the work behind `state` has finished: a pure read (a shared flag where there is one); never dispatches. */
  finished(state: ResultState): boolean;
  /** Takes in, synchronously, whatever has already arrived for `state` (no blocking); it may settle `state`. */
  collect(state: ResultState): void;
  /**
   * Blocks the calling thread until `state` settles (or, when `needValue` is false, until it has finished) or
   * `timeout` ms pass; returns whether it got there. Throws TypeError where this thread cannot block.
   */
  block(state: ResultState, timeout: number | undefined, needValue: boolean): boolean;
}
