// The public types, checked by `npm run typecheck` (expectTypeOf is erased at run time, so the
// runtime assertions below check the same exports exist as values).
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as wasmpool from 'wasmpool';
import { AsyncResult, CancelledError, NotReadyError, Pool, PoolStateError, QueueFullError, TaskError, TimeoutError, WorkerCrashError } from 'wasmpool';
import type { InitContext, MapOptions, PoolOptions, PoolStats, TaskOptions } from 'wasmpool';

describe('public API types', () => {
  it('exports every class API.md names, each an Error subclass with its own name', () => {
    for (const ErrorClass of [TimeoutError, NotReadyError, TaskError, PoolStateError, WorkerCrashError, CancelledError, QueueFullError]) {
      expect(ErrorClass.prototype).toBeInstanceOf(Error);
    }
    expect(new TimeoutError('x').name).toBe('TimeoutError');
    expect(new TaskError('x', { kernel: 'k' }).name).toBe('TaskError');
    expect(new WorkerCrashError('x', { kernel: 'k' }).name).toBe('WorkerCrashError');
    expect(Object.keys(wasmpool)).toEqual(
      // QueueFullError, splitRange and parallelSort too: an export removed from src/index.ts turns this red.
      expect.arrayContaining([
        'Pool',
        'AsyncResult',
        'TimeoutError',
        'NotReadyError',
        'TaskError',
        'PoolStateError',
        'WorkerCrashError',
        'CancelledError',
        'QueueFullError',
        'splitRange',
        'parallelSort',
      ]),
    );
  });

  it('carries the kernel result type through AsyncResult and the Promise forms', () => {
    const pool = null as unknown as Pool;
    // applyAsync is overloaded (typed and untyped kernels, see test/types/typed-kernels.test.ts): asked through a call.
    expectTypeOf(() => pool.applyAsync('add', [1, 2])).returns.toEqualTypeOf<AsyncResult<unknown>>();
    // Never called: each lambda lets the compiler infer what the method returns (no annotation to compare with).
    expectTypeOf(() => pool.applyAsync<number>('add', [1, 2])).returns.toEqualTypeOf<AsyncResult<number>>();
    expectTypeOf(() => pool.apply<number>('add', [1, 2])).returns.toEqualTypeOf<Promise<number>>();
    expectTypeOf<AsyncResult<number>['getSync']>().returns.toEqualTypeOf<number>();
    expectTypeOf<AsyncResult<number>['get']>().returns.toEqualTypeOf<Promise<number>>();
    expectTypeOf<AsyncResult<number>['ready']>().returns.toEqualTypeOf<boolean>();
    expectTypeOf<AsyncResult<number>>().toMatchTypeOf<PromiseLike<number>>();
    expectTypeOf(() => pool.mapAsync<string>('k', [1])).returns.toEqualTypeOf<AsyncResult<string[]>>();
    expectTypeOf(() => pool.map<string>('k', [1])).returns.toEqualTypeOf<Promise<string[]>>();
    expectTypeOf(() => pool.starmapAsync<number>('k', [[1]])).returns.toEqualTypeOf<AsyncResult<number[]>>();
    expectTypeOf(() => pool.starmap<number>('k', [[1]])).returns.toEqualTypeOf<Promise<number[]>>();
    expectTypeOf(() => pool.imap<number>('k', [1])).returns.toEqualTypeOf<AsyncIterable<number>>();
    expectTypeOf(() => pool.imapUnordered<number>('k', [1])).returns.toEqualTypeOf<AsyncIterable<number>>();
    expectTypeOf(() => pool.istarmap<number>('k', [[1, 2]])).returns.toEqualTypeOf<AsyncIterable<number>>();
    expectTypeOf(() => pool.istarmapUnordered<number>('k', [[1, 2]])).returns.toEqualTypeOf<AsyncIterable<number>>();
  });

  it('documents options as types: callbacks receive the kernel type', () => {
    expectTypeOf<TaskOptions<number>['callback']>().toEqualTypeOf<((value: number) => void) | undefined>();
    expectTypeOf<MapOptions<number>['callback']>().toEqualTypeOf<((values: number[]) => void) | undefined>();
    expectTypeOf<MapOptions['onProgress']>().toEqualTypeOf<((done: number, total: number) => void) | undefined>();
    expectTypeOf<PoolOptions['workers']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<PoolStats['slotsInUse']>().toEqualTypeOf<number>();
    expectTypeOf<TaskError['kernel']>().toEqualTypeOf<string>();
    expectTypeOf<TaskError['index']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<MapOptions['signal']>().toEqualTypeOf<AbortSignal | undefined>();
    expectTypeOf<MapOptions['timeout']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<MapOptions['readAhead']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<InitContext['alloc']>().toEqualTypeOf<Pool['alloc']>();
    expectTypeOf<WorkerCrashError['exitCode']>().toEqualTypeOf<number | undefined>();
  });
});
