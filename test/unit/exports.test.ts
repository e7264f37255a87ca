// QueueFullError and the stats types are public in both builds. The browser entry is imported for real (with a
// fetch that refuses, so the built-in kernels it preloads are never read), because expectTypeOf is erased at
// run time: a value export missing from src/browser.ts would otherwise be noticed only by `npm run typecheck`.
import { afterAll, beforeAll, describe, expect, expectTypeOf, it, vi } from 'vitest';
import * as wasmpool from 'wasmpool';
import type * as browserTypes from '../../src/browser.js';
import type { MetricsStats, TimingStats, WorkerUtilization } from 'wasmpool';

let browser: typeof browserTypes;
const fetched: string[] = [];

beforeAll(async () => {
  vi.stubGlobal('fetch', (url: URL | string) => {
    fetched.push(String(url));
    return Promise.reject(new TypeError('no network in this test'));
  });
  browser = await import('../../src/browser.js');
});
afterAll(() => {
  vi.unstubAllGlobals();
});

describe('elastic-pool exports', () => {
  it('exports QueueFullError from the Node entry, an Error that instanceof sees', () => {
    const error: unknown = new wasmpool.QueueFullError({ maxQueued: 2, queued: 2, units: 1 });
    expect(error).toBeInstanceOf(wasmpool.QueueFullError);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('QueueFullError');
  });

  // Kills: any value export (QueueFullError among them) removed from src/browser.ts.
  it('the browser entry exports, at run time, the same values as the Node entry', () => {
    expect(Object.keys(browser).sort()).toEqual(Object.keys(wasmpool).sort());
    expect(fetched.some((url) => url.endsWith('kernels.wasm'))).toBe(true); // it did try to preload the built-in kernels
    for (const name of Object.keys(wasmpool) as Array<keyof typeof wasmpool>) expect(typeof browser[name], name).toBe(typeof wasmpool[name]);
    const error = new browser.QueueFullError({ maxQueued: 2, queued: 2, units: 1 });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('QueueFullError');
    expect(error.message).toMatch(/`maxQueued` \(2\)/);
  });

  it('exports the same class and stats types from the browser entry', () => {
    expectTypeOf<typeof browserTypes.QueueFullError>().toEqualTypeOf<typeof wasmpool.QueueFullError>();
    expectTypeOf<browserTypes.TimingStats>().toEqualTypeOf<TimingStats>();
    expectTypeOf<MetricsStats['perWorker']>().toEqualTypeOf<WorkerUtilization[]>();
    expectTypeOf<MetricsStats['runTime']['p99']>().toEqualTypeOf<number>();
  });
});
