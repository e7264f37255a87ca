/**
 * The submission face every pool shares, local (`Pool`) or over a queue (`QueuePool`): the options a task or a
 * map takes and their checks, the Promise forms derived from the AsyncResult ones, and the method set both
 * implement (`Submitter`). One copy, so the two pools cannot drift: the same bad option is the same error in both.
 */
import type { AsyncResult } from './async-result.js';
import type { MapOptions, TaskOptions } from './options.js';
import { checkFunction, checkPositiveInteger, checkTimerMilliseconds, expected, readOptions } from './validate.js';

// Runtimes without explicit-resource-management (Node 20, some browsers) still get a callable dispose method.
(Symbol as { asyncDispose?: symbol }).asyncDispose ??= Symbol.for('Symbol.asyncDispose');

declare global {
  interface SymbolConstructor {
    /** Declared here as well, so an app's types need no `esnext.disposable` lib for `await using pool`. */
    readonly asyncDispose: unique symbol;
  }
}

/**
 * The methods `Pool` and `QueuePool` both have, with the same options and meaning: code written against it runs
 * on the local pool or over Redis unchanged. `close()` and `stats()` differ (a local pool's `close()` returns at
 * once and `join()` waits, as in Python; a QueuePool's returns a Promise) and are not part of it.
 */
export interface Submitter {
  applyAsync<T = unknown>(kernel: string, args?: readonly unknown[], options?: TaskOptions<T>): AsyncResult<T>;
  mapAsync<T = unknown>(kernel: string, items: Iterable<unknown>, options?: MapOptions<T>): AsyncResult<T[]>;
  starmapAsync<T = unknown>(kernel: string, items: Iterable<readonly unknown[]>, options?: MapOptions<T>): AsyncResult<T[]>;
  apply<T = unknown>(kernel: string, args?: readonly unknown[], options?: TaskOptions<T>): Promise<T>;
  map<T = unknown>(kernel: string, items: Iterable<unknown>, options?: MapOptions<T>): Promise<T[]>;
  starmap<T = unknown>(kernel: string, items: Iterable<readonly unknown[]>, options?: MapOptions<T>): Promise<T[]>;
  imap<T = unknown>(kernel: string, items: Iterable<unknown>, options?: MapOptions<T>): AsyncIterable<T>;
  imapUnordered<T = unknown>(kernel: string, items: Iterable<unknown>, options?: MapOptions<T>): AsyncIterable<T>;
  istarmap<T = unknown>(kernel: string, items: Iterable<readonly unknown[]>, options?: MapOptions<T>): AsyncIterable<T>;
  istarmapUnordered<T = unknown>(kernel: string, items: Iterable<readonly unknown[]>, options?: MapOptions<T>): AsyncIterable<T>;
  /** Units waiting for a worker (or jobs waiting for a host). */
  readonly size: number;
  /** Units running now. */
  readonly pending: number;
  onSizeLessThan(limit: number): Promise<void>;
  onEmpty(): Promise<void>;
  onIdle(): Promise<void>;
  /** Stops now: every unsettled result fails with CancelledError. */
  terminate(): Promise<void>;
}

/** The keys of TaskOptions, the same for every pool. */
export const TASK_KEYS = ['callback', 'errorCallback', 'timeout', 'signal', 'priority'] as const;
/** The keys of MapOptions every pool takes; a local pool's imap family adds `readAhead`. */
export const MAP_KEYS = ['chunksize', 'callback', 'errorCallback', 'onProgress', 'priority', 'timeout', 'signal'] as const;
/** With `readAhead`: every form but a QueuePool's whole map reads it (to say where it applies, when misplaced). */
const LAZY_MAP_KEYS = [...MAP_KEYS, 'readAhead'] as const;

/**
 * Which map form the options are for: a map that reads its whole input at the call, or an imap-family iterator
 * (the only forms that take `readAhead`), of a local pool or a QueuePool.
 */
export type MapForm = 'whole' | 'lazy' | 'queue' | 'queue-lazy';

/** `TaskOptions.priority` / `MapOptions.priority`: any safe integer (a QueuePool narrows it to BullMQ's range). */
function checkPriority(value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError(expected('priority', 'an integer (larger runs first)', value));
  if (!Number.isSafeInteger(value))
    throw new RangeError(expected('priority', `a safe integer, from ${Number.MIN_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER}`, value));
}

function checkCallbacks(options: { callback?: unknown; errorCallback?: unknown }): void {
  if (options.callback !== undefined) checkFunction('callback', options.callback);
  if (options.errorCallback !== undefined) checkFunction('errorCallback', options.errorCallback);
}

/** `timeout` and `signal`, as TaskOptions and MapOptions (and pool.parallel) take them. */
export function checkTimeoutAndSignal(options: { timeout?: unknown; signal?: unknown }): void {
  if (options.timeout !== undefined) checkTimerMilliseconds('timeout', options.timeout);
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw new TypeError(expected('signal', 'an AbortSignal', options.signal));
}

/** TaskOptions read once (a throwing getter is reported naming the option) and checked. */
export function validateTaskOptions(value: unknown): TaskOptions {
  const options = readOptions<TaskOptions>('options', value, 'TaskOptions', TASK_KEYS);
  checkCallbacks(options);
  checkTimeoutAndSignal(options);
  if (options.priority !== undefined) checkPriority(options.priority);
  return options;
}

/** MapOptions read once and checked, for the map `form` they are given to. */
export function validateMapOptions(value: unknown, form: MapForm = 'whole'): MapOptions {
  const options = readOptions<MapOptions>('options', value, 'MapOptions', LAZY_MAP_KEYS);
  if (options.readAhead !== undefined) {
    if (form !== 'lazy' && form !== 'queue-lazy') {
      throw new TypeError(
        '`readAhead` applies only to imap, imapUnordered, istarmap and istarmapUnordered (the other map forms read their whole input at the call)',
      );
    }
    checkPositiveInteger('readAhead', options.readAhead);
  }
  checkTimeoutAndSignal(options);
  if (options.chunksize !== undefined) checkPositiveInteger('chunksize', options.chunksize);
  checkCallbacks(options);
  if (options.onProgress !== undefined) checkFunction('onProgress', options.onProgress);
  if (options.priority !== undefined) checkPriority(options.priority);
  return options;
}

/** The Promise forms (`apply`, `map`, `starmap`) report bad input by rejecting, not throwing. */
export function settle<T>(submit: () => AsyncResult<T>): Promise<T> {
  try {
    return submit().get();
  } catch (error) {
    return Promise.reject(error);
  }
}
