import { PoolCell } from './layout.js';

/**
 * The pool signal (PoolCell.COMPLETIONS in the pool's control block), both halves: a counter every worker bumps,
 * then notifies, after each unit it finishes (its value and countdown written first), on its way out (after
 * its exit notice), and on each take while the main thread watches takes. The main thread reads the counter,
 * then looks for what it waits for, and only then waits for the counter to change: a bump after the read
 * changes the value, so the wait returns at once and no wake-up is lost. One wait on it wakes a blocked
 * getSync() whatever happened: its own result, one that frees a worker, or a death.
 */

/** Worker: something the main thread may wait for happened (after the stores that say what). */
export function notifyPool(signal: Int32Array): void {
  Atomics.add(signal, PoolCell.COMPLETIONS, 1);
  Atomics.notify(signal, PoolCell.COMPLETIONS);
}

/** Main: the counter, read before looking (pass it to a wait afterwards). */
export function readPoolSignal(signal: Int32Array): number {
  return Atomics.load(signal, PoolCell.COMPLETIONS);
}

/** Main (a thread that may block): sleeps until the counter moves past `seen`, at most `timeoutMs`. */
export function waitPoolSignal(signal: Int32Array, seen: number, timeoutMs: number): void {
  Atomics.wait(signal, PoolCell.COMPLETIONS, seen, timeoutMs);
}

/**
 * Main (a thread that must not block): resolves once the counter moves past `seen`; undefined where
 * Atomics.waitAsync does not exist (the caller polls instead). Node 20, Chromium, Bun and Deno have it.
 */
export function waitPoolSignalAsync(signal: Int32Array, seen: number): Promise<unknown> | undefined {
  const wait = (Atomics as { waitAsync?: (a: Int32Array, i: number, v: number) => { async: boolean; value: unknown } }).waitAsync;
  if (!wait) return undefined;
  const result = wait(signal, PoolCell.COMPLETIONS, seen);
  return result.async ? (result.value as Promise<unknown>) : Promise.resolve();
}

/** Main: ends its own pending waitPoolSignalAsync without a bump (its wake then finds nothing to do). */
export function releasePoolWait(signal: Int32Array): void {
  Atomics.notify(signal, PoolCell.COMPLETIONS);
}
