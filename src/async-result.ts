import { NotReadyError, TimeoutError } from './errors.js';
import { checkTimerMilliseconds } from './validate.js';
import type { ResultSource, ResultState } from './result-state.js';

export { ResultState, type ResultSource } from './result-state.js';

/**
 * The handle on one or more submitted tasks, as Python's AsyncResult. A view over state its pool owns:
 * `ready()` is a flag read, the value is taken in by the pool (by message, or straight from shared memory
 * when a synchronous caller asks), and nothing here settles anything itself.
 */
export class AsyncResult<T = unknown> implements PromiseLike<T> {
  readonly #state: ResultState<T>;
  readonly #source: ResultSource;
  #promise: Promise<T> | undefined;

  /** @internal Results are created by pools, not by users. */
  constructor(state: ResultState<T>, source: ResultSource) {
    this.#state = state;
    this.#source = source;
  }

  /** True once the task(s) finished, successfully or not. Never blocks, never yields, never dispatches. */
  ready(): boolean {
    return !this.#state.pending || this.#source.finished(this.#state);
  }

  /** True if finished without error; throws NotReadyError if not ready(). */
  successful(): boolean {
    this.#collect();
    if (this.#state.pending) {
      throw new NotReadyError(
        this.#source.finished(this.#state)
          ? 'The result has finished but its value is still on its way (it travels by message); call successful() after `await result.wait()`'
          : 'The result is not ready yet; call successful() after ready() is true or after wait()',
      );
    }
    return this.#state.fulfilled;
  }

  /**
   * Waits for the value; rejects with the task's error, or TimeoutError after `timeout` ms (the task keeps running).
   * `timeout`: 0 to 2147483647 ms (setTimeout's limit); omit it to wait without a limit. The same for every wait below.
   */
  get(timeout?: number): Promise<T> {
    if (timeout !== undefined) checkTimerMilliseconds('timeout', timeout);
    this.#collect();
    if (timeout === undefined) return this.#settledPromise();
    return this.#waitFor(timeout).then((done) => {
      if (!done) throw new TimeoutError(`The result was not ready within ${timeout} ms; the task is still running and a later get() can succeed`);
      return this.#settledPromise();
    });
  }

  /** Waits until done or `timeout` ms pass; never rejects because of the task. */
  async wait(timeout?: number): Promise<void> {
    if (timeout !== undefined) checkTimerMilliseconds('timeout', timeout);
    this.#collect();
    await this.#waitFor(timeout);
  }

  /** get(), blocking the calling thread with Atomics.wait instead of returning a Promise. */
  getSync(timeout?: number): T {
    if (timeout !== undefined) checkTimerMilliseconds('timeout', timeout);
    if (this.#state.pending && !this.#source.block(this.#state, timeout, true)) {
      throw new TimeoutError(`The result was not ready within ${timeout} ms; the task is still running and a later get can succeed`);
    }
    if (!this.#state.fulfilled) throw this.#state.error!;
    return this.#state.value as T;
  }

  /** wait(), blocking the calling thread with Atomics.wait. */
  waitSync(timeout?: number): void {
    if (timeout !== undefined) checkTimerMilliseconds('timeout', timeout);
    if (this.#state.pending) this.#source.block(this.#state, timeout, false);
  }

  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.get().then(onFulfilled, onRejected);
  }

  #collect(): void {
    if (this.#state.pending && this.#source.finished(this.#state)) this.#source.collect(this.#state);
  }

  #settledPromise(): Promise<T> {
    const state = this.#state;
    if (!state.pending) return state.fulfilled ? Promise.resolve(state.value as T) : Promise.reject(state.error);
    // A failure nobody asked for must not become an unhandled rejection: the promise exists only once asked for.
    this.#promise ??= new Promise<T>((resolve, reject) => state.whenSettled(() => (state.fulfilled ? resolve(state.value as T) : reject(state.error))));
    return this.#promise;
  }

  /** Resolves true when settled, false if `timeout` ms pass first; the listener and timer are given back either way. */
  #waitFor(timeout: number | undefined): Promise<boolean> {
    const state = this.#state;
    if (!state.pending) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const unsubscribe = state.onSettled(() => {
        if (timer !== undefined) clearTimeout(timer);
        resolve(true);
      });
      if (timeout !== undefined) {
        timer = setTimeout(() => {
          unsubscribe();
          resolve(false);
        }, timeout);
      }
    });
  }
}
