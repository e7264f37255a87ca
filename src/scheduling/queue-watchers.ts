import { checkPositiveInteger } from '../validate.js';

/**
 * The promises behind `pool.onSizeLessThan(limit)`, `pool.onEmpty()` and `pool.onIdle()` (p-queue's names
 * and meanings). The scheduler owns one and calls `changed(size, pending)` whenever either count moves;
 * this settles the waiters whose condition now holds.
 *
 * Waiters are grouped by limit, the limits kept sorted, so a change that settles nobody costs one comparison
 * however many requests are waiting: a server may have thousands awaiting `onSizeLessThan(maxQueued)`.
 */
export class QueueWatchers {
  /** Distinct limits waited on, ascending; `onEmpty` waits on limit 1 (size < 1). */
  readonly #limits: number[] = [];
  readonly #bySizeLimit = new Map<number, (() => void)[]>();
  #idle: (() => void)[] = [];
  #size = 0;
  #pending = 0;

  /** Resolves once fewer than `limit` units are queued (at once if already so). */
  onSizeLessThan(limit: number): Promise<void> {
    checkPositiveInteger('limit', limit);
    if (this.#size < limit) return Promise.resolve();
    return new Promise((resolve) => {
      const group = this.#bySizeLimit.get(limit);
      if (group !== undefined) return void group.push(resolve);
      this.#bySizeLimit.set(limit, [resolve]);
      let at = this.#limits.length;
      while (at > 0 && this.#limits[at - 1] > limit) at--;
      this.#limits.splice(at, 0, limit);
    });
  }

  /** Resolves once nothing is queued (units may still be running). */
  onEmpty(): Promise<void> {
    return this.onSizeLessThan(1);
  }

  /** Resolves once nothing is queued or running. */
  onIdle(): Promise<void> {
    if (this.#size === 0 && this.#pending === 0) return Promise.resolve();
    return new Promise((resolve) => void this.#idle.push(resolve));
  }

  /** The scheduler's report: `size` units queued, `pending` running. */
  changed(size: number, pending: number): void {
    this.#size = size;
    this.#pending = pending;
    // Every limit above `size` is met; they are the tail of the ascending list.
    while (this.#limits.length > 0 && this.#limits[this.#limits.length - 1] > size) {
      const limit = this.#limits.pop() as number;
      const group = this.#bySizeLimit.get(limit) as (() => void)[];
      this.#bySizeLimit.delete(limit);
      for (const resolve of group) resolve();
    }
    if (size === 0 && pending === 0 && this.#idle.length > 0) {
      const idle = this.#idle;
      this.#idle = [];
      for (const resolve of idle) resolve();
    }
  }

  /** Whether anyone waits (O(1): the scheduler asks on every change, and counts only when someone does). */
  get watching(): boolean {
    return this.#limits.length > 0 || this.#idle.length > 0;
  }

  /** Whether an onSizeLessThan/onEmpty waiter is waiting. */
  get watchingSize(): boolean {
    return this.#limits.length > 0;
  }

  /** Waiters not yet settled, for tests and leak checks. */
  get waiting(): number {
    let count = this.#idle.length;
    for (const group of this.#bySizeLimit.values()) count += group.length;
    return count;
  }
}
