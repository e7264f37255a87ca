import { AsyncResult, settleResult, type ResultHost } from '../async-result.js';
import type { Lowered, SharedArrays } from './shared-arrays.js';

/**
 * An AsyncResult whose task received temporary copies of plain typed arrays: they are copied back
 * and freed as the result settles, before any get(), callback or getSync() can see the value, so
 * the caller's arrays already hold what the kernel wrote.
 */
class LoweredResult<T> extends AsyncResult<T> {
  #pending = true;
  constructor(
    host: ResultHost,
    slot: number,
    private readonly arrays: SharedArrays,
    private readonly lowered: Lowered,
  ) {
    super(host, slot);
  }

  override [settleResult](ok: boolean, valueOrError: unknown): void {
    if (this.#pending) {
      this.#pending = false;
      this.arrays.release(this.lowered, ok, valueOrError);
    }
    super[settleResult](ok, valueOrError);
  }
}

/** A plain AsyncResult, or one that cleans up temporary copies when there are any. */
export function resultFor<T>(host: ResultHost, slot: number, arrays: SharedArrays, lowered: Lowered): AsyncResult<T> {
  return lowered.temps.length === 0 ? new AsyncResult<T>(host, slot) : new LoweredResult<T>(host, slot, arrays, lowered);
}
