// QueueFullError and the stats types are public in both builds. The browser entry is checked by type only:
// importing it would start fetching the built-in kernels.
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as wasmpool from 'wasmpool';
import type * as browser from '../../src/browser.js';
import type { MetricsStats, TimingStats, WorkerUtilization } from 'wasmpool';

describe('elastic-pool exports', () => {
  it('exports QueueFullError from the Node entry, an Error that instanceof sees', () => {
    const error: unknown = new wasmpool.QueueFullError({ maxQueued: 2, queued: 2, units: 1 });
    expect(error).toBeInstanceOf(wasmpool.QueueFullError);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('QueueFullError');
  });

  it('exports the same class and stats types from the browser entry', () => {
    expectTypeOf<typeof browser.QueueFullError>().toEqualTypeOf<typeof wasmpool.QueueFullError>();
    expectTypeOf<browser.TimingStats>().toEqualTypeOf<TimingStats>();
    expectTypeOf<MetricsStats['perWorker']>().toEqualTypeOf<WorkerUtilization[]>();
    expectTypeOf<MetricsStats['runTime']['p99']>().toEqualTypeOf<number>();
  });
});
