// Setup for the tests Stryker runs (vitest.stryker.config.ts): Stryker's instrumented code allocates (its
// coverage counters and mutant switches run on every line), so test/unit/metrics.test.ts's check that recording
// a million durations triggers no garbage collection cannot hold under Stryker. v8's GCProfiler reports no
// collections here; that check runs, unmocked, in `npm test`.
import { vi } from 'vitest';

vi.mock('node:v8', async (importOriginal) => {
  const v8 = await importOriginal<typeof import('node:v8')>();
  class GCProfiler {
    start(): void {}
    stop(): { version: number; startTime: number; endTime: number; statistics: [] } {
      return { version: 1, startTime: 0, endTime: 0, statistics: [] };
    }
  }
  return { ...v8, GCProfiler };
});
