import { describe, expect, it } from 'vitest';
import { DEFAULT_IDLE_TIMEOUT_MS, resolveElasticOptions, validatePoolOptions } from '../../src/options.js';
import { validateMapOptions, validateTaskOptions } from '../../src/submission.js';
import { QueueFullError } from '../../src/errors.js';
import { thrown } from '../helpers.js';

describe('elastic pool options', () => {
  it('accepts every documented value and returns the options', () => {
    const options = { workers: 4, minWorkers: 0, idleTimeout: 0, maxQueued: Infinity, maxWorkerMemory: 0.5 };
    expect(validatePoolOptions(options)).toEqual(options); // a copy: each option is read once (a getter cannot change its answer later)
    expect(validatePoolOptions({ minWorkers: 4, workers: 4, maxQueued: 1, idleTimeout: 2 ** 31 - 1 })).toMatchObject({ minWorkers: 4 });
    expect(validatePoolOptions({ minWorkers: 3 })).toMatchObject({ minWorkers: 3 });
  });

  it('fills in the defaults once the pool knows its worker count', () => {
    expect(resolveElasticOptions({}, 8)).toEqual({ minWorkers: 8, idleTimeout: DEFAULT_IDLE_TIMEOUT_MS, maxQueued: Infinity, maxWorkerMemory: Infinity });
    expect(DEFAULT_IDLE_TIMEOUT_MS).toBe(10_000);
    expect(resolveElasticOptions({ minWorkers: 1, idleTimeout: 50, maxQueued: 10, maxWorkerMemory: 256 }, 8)).toEqual({
      minWorkers: 1,
      idleTimeout: 50,
      maxQueued: 10,
      maxWorkerMemory: 256,
    });
  });

  it('rejects minWorkers above a defaulted workers, saying what the default was and what to do', () => {
    const error = thrown(() => resolveElasticOptions(validatePoolOptions({ minWorkers: 6 }), 4));
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe("Expected `minWorkers` to be an integer from 0 to `workers` (4, this machine's default), got 6; pass `workers` too to run more");
  });

  it.each([
    [{ minWorkers: 5, workers: 4 }, RangeError, /^Expected `minWorkers` to be an integer from 0 to `workers` \(4\), got 5$/],
    [{ minWorkers: 2000 }, RangeError, /`minWorkers`.*got 2000/],
    [{ minWorkers: '1' }, TypeError, /`minWorkers`.*got "1"/],
    [{ minWorkers: Number.NaN }, TypeError, /`minWorkers`.*got NaN/],
    [{ idleTimeout: -0.5 }, RangeError, /`idleTimeout`.*got -0.5/],
    [{ idleTimeout: 2 ** 31 }, RangeError, /^Expected `idleTimeout` to be at most 2147483647 ms, got 2147483648$/],
    [{ idleTimeout: null }, TypeError, /`idleTimeout`.*got null/],
    [{ maxQueued: -1 }, RangeError, /`maxQueued`.*got -1/],
    [{ maxQueued: Number.NaN }, TypeError, /`maxQueued`.*got NaN/],
    [{ maxQueued: '10' }, TypeError, /`maxQueued`.*got "10"/],
    [{ maxWorkerMemory: -5 }, RangeError, /`maxWorkerMemory`.*got -5/],
    [{ maxWorkerMemory: Infinity }, RangeError, /`maxWorkerMemory` to be a finite number of MB > 0, got Infinity/],
    [{ maxWorkerMemory: '1GB' }, TypeError, /`maxWorkerMemory` to be a number of MB, got "1GB"/],
  ])('rejects %o', (options, errorClass, message) => {
    const error = thrown(() => validatePoolOptions(options));
    expect(error).toBeInstanceOf(errorClass);
    expect(error.message).toMatch(message);
  });
});

describe('priority', () => {
  it('accepts any safe integer on tasks and maps', () => {
    for (const priority of [0, 1, -1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) {
      expect(validateTaskOptions({ priority })).toEqual({ priority });
      expect(validateMapOptions({ priority })).toEqual({ priority });
    }
  });

  it.each([
    [0.5, TypeError, /^Expected `priority` to be an integer \(larger runs first\), got 0.5$/],
    [Infinity, TypeError, /`priority`.*got Infinity/],
    [2 ** 53, RangeError, /^Expected `priority` to be a safe integer, from -9007199254740991 to 9007199254740991, got 9007199254740992$/],
    [-(2 ** 60), RangeError, /`priority` to be a safe integer/],
    [1n, TypeError, /`priority`.*got 1n/],
  ])('rejects %s', (priority, errorClass, message) => {
    for (const validate of [validateTaskOptions, validateMapOptions]) {
      const error = thrown(() => validate({ priority }));
      expect(error).toBeInstanceOf(errorClass);
      expect(error.message).toMatch(message);
    }
  });
});

describe('QueueFullError', () => {
  it('is an Error with its own name, the limit, and what to do', () => {
    const error = new QueueFullError({ maxQueued: 100, queued: 98, units: 5 });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('QueueFullError');
    expect(error.message).toBe(
      'Cannot queue 5 units: 98 of `maxQueued` (100) are waiting. Await pool.onSizeLessThan(96) before submitting, or raise `maxQueued`',
    );
    expect([error.maxQueued, error.queued, error.units]).toEqual([100, 98, 5]);
  });

  it('says when a submission could never fit', () => {
    const error = new QueueFullError({ maxQueued: 10, queued: 0, units: 25 });
    expect(error.message).toMatch(/^Cannot queue 25 units: that alone exceeds `maxQueued` \(10\)\. Raise `maxQueued`, or submit fewer items/);
    expect(new QueueFullError({ maxQueued: 1, queued: 1, units: 1 }).message).toMatch(/^Cannot queue 1 unit: .*onSizeLessThan\(1\)/);
  });
});
