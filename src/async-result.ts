import { PoolCell } from './abi/layout.js';
import { NotReadyError, TimeoutError } from './errors.js';
import { checkMilliseconds } from './validate.js';

/** What an AsyncResult needs from its pool; implemented by the dispatcher. */
export interface ResultHost {
  isSlotReady(slot: number): boolean;
  /**
   * Called by ready() while a result is not done: if work is still waiting for a worker, take in
   * completions and dispatch, so a caller that never yields still sees queued tasks run.
   */
  advance(): void;
  /** Synchronously flushes dispatches and takes in every completion already posted. */
  pump(): void;
  /** Settles the result of `slot`, whose flag is set: from the slot itself when it holds a number, else by pump(). */
  takeFromSlot(slot: number): void;
  /** Whether this thread may block in Atomics.wait. */
  readonly canBlock: boolean;
  /** Whether pump() can take values that travel by message (false in browsers: only slot numbers). */
  readonly readsMessagesSync: boolean;
  /** Bumped by every worker after every unit; one address to wait on. */
  readonly signal: Int32Array;
  /** Longest a blocked thread may sleep before pump() has work to do (a task deadline). */
  maxSleepMs(): number;
}

/** How long getSync()/waitSync() poll before parking in Atomics.wait. */
const SPIN_BEFORE_PARK_MS = 0.05;

const PENDING = 0;
const FULFILLED = 1;
const REJECTED = 2;

/** Internal: settles a result. Not part of the public API (a symbol, so users cannot call it by accident). */
export const settleResult = Symbol('settleResult');

/**
 * The handle on one or more submitted tasks, as Python's AsyncResult.
 * `ready()` reads the completion flag in shared memory, so it turns true while
 * the caller is still busy; the value itself is taken in by pump() (sync) or
 * the worker's message (async), whichever comes first.
 */
export class AsyncResult<T = unknown> implements PromiseLike<T> {
  #state = PENDING;
  #value: T | undefined;
  #error: Error | undefined;
  #waiters: Array<() => void> | undefined;
  #promise: Promise<T> | undefined;
  readonly #host: ResultHost;
  /** Completion slot; -1 once settled (the slot may then belong to another task). */
  #slot: number;

  /** @internal Results are created by Pool methods, not by users. */
  constructor(host: ResultHost, slot: number) {
    this.#host = host;
    this.#slot = slot;
  }

  /** True once the task(s) finished, successfully or not. Never blocks, never yields. */
  ready(): boolean {
    if (this.#state !== PENDING) return true;
    if (this.#slot < 0) return false;
    if (this.#host.isSlotReady(this.#slot)) return true;
    this.#host.advance();
    return false;
  }

  /** The shared flag says done, but the value has not been taken in yet. */
  #flagSet(): boolean {
    return this.#slot >= 0 && this.#host.isSlotReady(this.#slot);
  }

  /** True if finished without error; throws NotReadyError if not ready(). */
  successful(): boolean {
    if (this.#state === PENDING && this.#flagSet()) this.#host.takeFromSlot(this.#slot);
    if (this.#state === PENDING) throw new NotReadyError('The result is not ready yet; call successful() after ready() is true or after wait()');
    return this.#state === FULFILLED;
  }

  /** Waits for the value; rejects with the task's error, or TimeoutError after `timeout` ms (the task keeps running). */
  get(timeout?: number): Promise<T> {
    if (timeout !== undefined) checkMilliseconds('timeout', timeout);
    if (this.#state === PENDING && this.#flagSet()) this.#host.takeFromSlot(this.#slot);
    if (timeout === undefined) return this.#settledPromise();
    return this.#waitFor(timeout).then((done) => {
      if (!done) throw new TimeoutError(`The result was not ready within ${timeout} ms; the task is still running and a later get() can succeed`);
      return this.#settledPromise();
    });
  }

  /** Waits until done or `timeout` ms pass; never rejects because of the task. */
  async wait(timeout?: number): Promise<void> {
    if (timeout !== undefined) checkMilliseconds('timeout', timeout);
    await this.#waitFor(timeout);
  }

  /** get(), blocking the calling thread with Atomics.wait instead of returning a Promise. */
  getSync(timeout?: number): T {
    if (!this.#block(timeout, true)) {
      throw new TimeoutError(`The result was not ready within ${timeout} ms; the task is still running and a later get can succeed`);
    }
    if (this.#state === REJECTED) throw this.#error!;
    return this.#value as T;
  }

  /** wait(), blocking the calling thread with Atomics.wait. */
  waitSync(timeout?: number): void {
    this.#block(timeout, false);
  }

  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.get().then(onFulfilled, onRejected);
  }

  /** @internal */
  [settleResult](ok: boolean, valueOrError: unknown): void {
    if (this.#state !== PENDING) return;
    if (ok) {
      this.#state = FULFILLED;
      this.#value = valueOrError as T;
    } else {
      this.#state = REJECTED;
      this.#error = valueOrError as Error;
      // A failure nobody asked for must not become an unhandled rejection: get() creates its own promise.
    }
    this.#slot = -1;
    const waiters = this.#waiters;
    this.#waiters = undefined;
    if (waiters) for (const wake of waiters) wake();
  }

  #settledPromise(): Promise<T> {
    if (this.#state === FULFILLED) return Promise.resolve(this.#value as T);
    if (this.#state === REJECTED) return Promise.reject(this.#error);
    this.#promise ??= new Promise<void>((resolve) => (this.#waiters ??= []).push(resolve)).then(() => this.#settledPromise());
    return this.#promise;
  }

  /** Resolves true when settled, false if `timeout` ms pass first. */
  #waitFor(timeout: number | undefined): Promise<boolean> {
    if (this.#state !== PENDING) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const wake = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        resolve(true);
      };
      (this.#waiters ??= []).push(wake);
      if (timeout !== undefined) {
        timer = setTimeout(() => {
          this.#waiters = this.#waiters?.filter((w) => w !== wake);
          resolve(false);
        }, timeout);
      }
    });
  }

  /** Blocks until settled (or, when `needValue` is false, until ready) or timed out; returns whether it got there. */
  #block(timeout: number | undefined, needValue: boolean): boolean {
    if (timeout !== undefined) checkMilliseconds('timeout', timeout);
    const host = this.#host;
    host.pump();
    if (this.#state !== PENDING) return true;
    if (!host.canBlock) {
      throw new TypeError(
        "getSync()/waitSync() cannot block this thread (a browser page's main thread does not allow Atomics.wait, and without cross-origin isolation nothing can be shared to wait on); use `await result.get()` or `await result.wait()` instead",
      );
    }
    const deadline = timeout === undefined ? Infinity : performance.now() + timeout;
    let spinUntil = 0;
    for (;;) {
      const seen = Atomics.load(host.signal, PoolCell.COMPLETIONS);
      if (this.#flagSet()) host.takeFromSlot(this.#slot);
      else host.pump();
      if (this.#state !== PENDING) return true;
      if (!host.readsMessagesSync && this.#flagSet()) {
        if (!needValue) return true;
        throw new TypeError(
          'getSync() can only return a number here: this result travels by message, which a browser thread cannot read while it blocks. Use `await result.get()` (waitSync() works for any result)',
        );
      }
      const left = deadline - performance.now();
      if (left <= 0) return false;
      // Spin briefly first: a short task ends within microseconds, and waking a parked thread costs
      // tens of microseconds on a busy VM. Then sleep until any worker finishes a unit, bounded so
      // deadlines of running tasks are enforced.
      if (spinUntil === 0) spinUntil = performance.now() + SPIN_BEFORE_PARK_MS;
      if (performance.now() < spinUntil) continue;
      Atomics.wait(host.signal, PoolCell.COMPLETIONS, seen, Math.min(left, host.maxSleepMs()));
    }
  }
}
