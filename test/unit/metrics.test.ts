import { GCProfiler } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { PoolMetrics, type TimingStats } from '../../src/scheduling/metrics.js';

/** A clock the test moves by hand. */
function fakeClock(start = 0): { now: () => number; set: (ms: number) => void } {
  let time = start;
  return { now: () => time, set: (ms) => void (time = ms) };
}

/** Bucket upper bounds are at most 2^(1/8) above the value; percentiles report them, clamped to the max. */
function expectNear(reported: number, truth: number): void {
  expect(reported).toBeGreaterThanOrEqual(truth);
  expect(reported).toBeLessThanOrEqual(truth * 2 ** (1 / 8));
}

const SECOND = 1000;

describe('PoolMetrics timing distributions', () => {
  it('reports zeros before anything is recorded', () => {
    const metrics = new PoolMetrics({ clock: fakeClock().now });
    const empty: TimingStats = { count: 0, p50: 0, p90: 0, p99: 0, max: 0 };
    expect(metrics.snapshot()).toEqual({ windowMs: 60_000, runTime: empty, waitTime: empty, utilization: 0, perWorker: [] });
  });

  it('computes p50/p90/p99 within one bucket and the exact max and count', () => {
    const metrics = new PoolMetrics({ clock: fakeClock().now });
    // Shuffled so the order of recording cannot matter.
    const values = Array.from({ length: 1000 }, (_, i) => ((i * 389) % 1000) + 1);
    for (const ms of values) metrics.recordRun(ms);
    const { runTime, waitTime } = metrics.snapshot();
    expect(runTime.count).toBe(1000);
    expect(runTime.max).toBe(1000);
    expectNear(runTime.p50, 500);
    expectNear(runTime.p90, 900);
    expectNear(runTime.p99, 990);
    expect(waitTime.count).toBe(0);
  });

  it('reports a constant duration exactly, clamped to the max', () => {
    const metrics = new PoolMetrics({ clock: fakeClock().now });
    for (let i = 0; i < 50; i++) metrics.recordWait(5);
    expect(metrics.snapshot().waitTime).toEqual({ count: 50, p50: 5, p90: 5, p99: 5, max: 5 });
  });

  it('keeps the tail: one slow task in a hundred is the p99', () => {
    const metrics = new PoolMetrics({ clock: fakeClock().now });
    for (let i = 0; i < 98; i++) metrics.recordRun(1);
    metrics.recordRun(250);
    metrics.recordRun(250);
    const { runTime } = metrics.snapshot();
    expectNear(runTime.p50, 1);
    expectNear(runTime.p90, 1);
    expect(runTime.p99).toBe(250);
  });

  it('puts zero, negative and NaN durations in the smallest bucket and huge ones in the largest', () => {
    const metrics = new PoolMetrics({ clock: fakeClock().now });
    metrics.recordRun(0);
    metrics.recordRun(-3);
    metrics.recordRun(Number.NaN);
    metrics.recordRun(1e12);
    const { runTime } = metrics.snapshot();
    expect(runTime.count).toBe(4);
    expect(runTime.p50).toBeLessThanOrEqual(2 ** -10);
    expect(runTime.p99).toBe(1e12);
    expect(runTime.max).toBe(1e12);
  });

  it('forgets a sub-window once the window has moved past it', () => {
    const clock = fakeClock();
    const metrics = new PoolMetrics({ clock: clock.now, windowMs: 60 * SECOND, subWindows: 6 });
    metrics.recordRun(100); // t = 0: sub-window 0
    clock.set(25 * SECOND);
    metrics.recordRun(200); // sub-window 2
    clock.set(59_999);
    expect(metrics.snapshot().runTime).toMatchObject({ count: 2, max: 200 });
    clock.set(60 * SECOND); // sub-window 6 starts: 1..6 are the window, 0 is gone
    expect(metrics.snapshot().runTime).toMatchObject({ count: 1, max: 200 });
    clock.set(90 * SECOND);
    expect(metrics.snapshot().runTime).toMatchObject({ count: 0, max: 0 });
  });

  it('clears a slot before reusing it for a later sub-window', () => {
    const clock = fakeClock();
    const metrics = new PoolMetrics({ clock: clock.now, windowMs: 6 * SECOND, subWindows: 6 });
    for (let i = 0; i < 10; i++) metrics.recordRun(1000);
    clock.set(6 * SECOND + 1); // the same ring slot as t = 0, one lap later
    metrics.recordRun(2);
    expect(metrics.snapshot().runTime).toEqual({ count: 1, p50: 2, p90: 2, p99: 2, max: 2 });
  });

  it('takes an explicit time instead of the clock', () => {
    const metrics = new PoolMetrics({ clock: () => 0 });
    metrics.recordRun(7, 120 * SECOND);
    expect(metrics.snapshot(120 * SECOND).runTime.count).toBe(1);
    expect(metrics.snapshot().runTime.count).toBe(0);
  });

  it('rejects a bad window', () => {
    expect(() => new PoolMetrics({ windowMs: 0 })).toThrow(/`windowMs`/);
    expect(() => new PoolMetrics({ subWindows: 2.5 })).toThrow(/`subWindows`/);
  });
});

describe('PoolMetrics utilisation', () => {
  it('is busy time over alive time, per worker and for the pool', () => {
    const clock = fakeClock();
    const metrics = new PoolMetrics({ clock: clock.now });
    metrics.workerStarted(1);
    metrics.workerStarted(2);
    metrics.workerBusy(1);
    clock.set(10 * SECOND);
    metrics.workerIdle(1);
    clock.set(20 * SECOND);
    metrics.workerBusy(1);
    clock.set(25 * SECOND);
    metrics.workerIdle(1);
    clock.set(30 * SECOND);
    const { utilization, perWorker } = metrics.snapshot();
    expect(perWorker).toEqual([
      { id: 1, utilization: 0.5, busyMs: 15 * SECOND },
      { id: 2, utilization: 0, busyMs: 0 },
    ]);
    expect(utilization).toBe(0.25);
  });

  it('counts a task still running up to now, and not twice once it ends', () => {
    const clock = fakeClock();
    const metrics = new PoolMetrics({ clock: clock.now });
    metrics.workerStarted(7);
    metrics.workerBusy(7);
    metrics.workerBusy(7); // a repeated transition changes nothing
    clock.set(10 * SECOND);
    expect(metrics.snapshot().perWorker[0]).toEqual({ id: 7, utilization: 1, busyMs: 10 * SECOND });
    clock.set(20 * SECOND);
    metrics.workerIdle(7);
    clock.set(40 * SECOND);
    expect(metrics.snapshot().perWorker[0]).toEqual({ id: 7, utilization: 0.5, busyMs: 20 * SECOND });
  });

  it('splits a busy spell at sub-window boundaries, so the part that left the window stops counting', () => {
    const clock = fakeClock();
    const metrics = new PoolMetrics({ clock: clock.now, windowMs: 60 * SECOND, subWindows: 6 });
    metrics.workerStarted(1);
    clock.set(5 * SECOND);
    metrics.workerBusy(1);
    clock.set(15 * SECOND);
    metrics.workerIdle(1);
    // At 65 s the window is [10 s, 70 s): only 10-15 s of the spell is in it, out of 55 s alive.
    clock.set(65 * SECOND);
    const [worker] = metrics.snapshot().perWorker;
    expect(worker.busyMs).toBe(5 * SECOND);
    expect(worker.utilization).toBeCloseTo(5 / 55, 12);
  });

  it('keeps at most the window of a spell longer than the window', () => {
    const clock = fakeClock();
    const metrics = new PoolMetrics({ clock: clock.now, windowMs: 60 * SECOND, subWindows: 6 });
    metrics.workerStarted(1);
    metrics.workerBusy(1);
    clock.set(305 * SECOND);
    metrics.workerIdle(1);
    // The window is the six sub-windows [250 s, 310 s), of which 55 s have passed.
    expect(metrics.snapshot().perWorker[0]).toEqual({ id: 1, utilization: 1, busyMs: 55 * SECOND });
  });

  it('accepts busy-time reports instead of transitions', () => {
    const clock = fakeClock();
    const metrics = new PoolMetrics({ clock: clock.now });
    metrics.workerStarted(3);
    clock.set(8 * SECOND);
    metrics.reportBusy(3, 2 * SECOND);
    metrics.reportBusy(3, 0);
    clock.set(16 * SECOND);
    metrics.reportBusy(3, 2 * SECOND);
    expect(metrics.snapshot().perWorker[0]).toEqual({ id: 3, utilization: 0.25, busyMs: 4 * SECOND });
  });

  it('drops a worker that exited and ignores reports about unknown workers', () => {
    const clock = fakeClock();
    const metrics = new PoolMetrics({ clock: clock.now });
    metrics.workerStarted(1);
    metrics.workerStarted(2);
    metrics.workerExited(1);
    metrics.workerBusy(9);
    metrics.reportBusy(9, 5);
    clock.set(SECOND);
    expect(metrics.snapshot().perWorker.map((w) => w.id)).toEqual([2]);
  });
});

describe('PoolMetrics recording cost', () => {
  it('records a million durations without a single garbage collection (nothing allocated per task)', () => {
    const metrics = new PoolMetrics({ clock: () => 0 });
    const record = (n: number, t0: number): void => {
      for (let i = 0; i < n; i++) {
        metrics.recordRun((i % 977) * 0.37, t0 + i * 0.01);
        metrics.recordWait((i % 13) * 1.5, t0 + i * 0.01);
      }
    };
    // Let the JIT optimise the loop first: unoptimised code boxes doubles, which is the test's garbage, not ours.
    for (let round = 0; round < 5; round++) record(200_000, 0);
    (globalThis as { gc?: () => void }).gc?.();
    const profiler = new GCProfiler();
    profiler.start();
    record(1_000_000, 100_000);
    const collections = profiler.stop().statistics.length;
    // One 16-byte object per call would need dozens of scavenges here.
    expect(collections).toBe(0);
    expect(metrics.snapshot(110_000).runTime.count).toBe(1_000_000);
  });
});
