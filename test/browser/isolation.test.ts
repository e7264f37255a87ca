// A page without the cross-origin isolation headers has no SharedArrayBuffer: the pool must still
// work (completions by message), and the blocking APIs of a page's main thread must refuse clearly.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { startBrowserSuite, type BrowserSuite } from './harness.js';

let suite: BrowserSuite;
let plain: Page;

beforeAll(async () => {
  suite = await startBrowserSuite();
  plain = await suite.open({ isolated: false });
});
afterAll(async () => {
  await suite?.close();
});

describe('a page that is not cross-origin isolated', () => {
  test('has no SharedArrayBuffer, and apply/map/starmap/imap still give every value', async () => {
    const out = await plain.evaluate(async () => {
      const pool = new window.wasmpool.Pool({ workers: 2 });
      try {
        const ordered: number[] = [];
        for await (const n of pool.imap<number>('square', [3, 1, 2])) ordered.push(n);
        return {
          isolated: crossOriginIsolated,
          sab: typeof SharedArrayBuffer,
          sum: await pool.apply<number>('add', [2, 3]),
          squares: await pool.map<number>(
            'square',
            Array.from({ length: 500 }, (_, i) => i),
            { chunksize: 7 },
          ),
          sums: await pool.starmap<number>('add', [
            [1, 2],
            [3, 4],
          ]),
          ordered,
          spun: (await pool.apply<number>('spin', [5])) > 0,
        };
      } finally {
        await pool.terminate();
      }
    });
    expect(out.isolated).toBe(false);
    expect(out.sab).toBe('undefined');
    expect(out.sum).toBe(5);
    expect(out.squares).toEqual(Array.from({ length: 500 }, (_, i) => i * i));
    expect(out.sums).toEqual([3, 7]);
    expect(out.ordered).toEqual([9, 1, 4]);
    expect(out.spun).toBe(true);
  });

  test('ready() becomes true once the completion message is handled', async () => {
    const out = await plain.evaluate(async () => {
      const pool = new window.wasmpool.Pool({ workers: 1 });
      try {
        const result = pool.applyAsync<number>('add', [40, 2]);
        const atOnce = result.ready();
        await result.wait();
        return { atOnce, after: result.ready(), successful: result.successful(), value: await result.get() };
      } finally {
        await pool.terminate();
      }
    });
    expect(out).toEqual({ atOnce: false, after: true, successful: true, value: 42 });
  });

  test('traps, crashes, per-task timeouts and cancellation are still reported and healed', async () => {
    const out = await plain.evaluate(async () => {
      const { Pool, TaskError, TimeoutError, WorkerCrashError } = window.wasmpool;
      const kind = (error: unknown): string =>
        error instanceof TimeoutError
          ? 'TimeoutError'
          : error instanceof WorkerCrashError
            ? 'WorkerCrashError'
            : error instanceof TaskError
              ? 'TaskError'
              : String(error);
      const builtin = new Pool({ workers: 1 });
      const faults = new Pool({ workers: 1, module: '/build/fixtures/faults.wasm' });
      const tasks = new Pool({ workers: 1, module: '/test/browser/fixtures/tasks.js' });
      try {
        return {
          timeout: await builtin.apply('loopForever', [], { timeout: 50 }).catch(kind),
          afterTimeout: await builtin.apply('add', [1, 1]),
          cancelled: await (async () => {
            // Abort once the kernel says it runs (a message), not after a guessed delay.
            const channel = new BroadcastChannel('cancel-while-running');
            const running = new Promise((resolve) => (channel.onmessage = resolve));
            const controller = new AbortController();
            const result = tasks
              .apply('announceThenLoop', ['cancel-while-running'], { signal: controller.signal })
              .catch((e: Error) => `${e.name}: ${e.message}`);
            await running;
            channel.close();
            controller.abort();
            return result;
          })(),
          afterCancel: await tasks.apply('double', [2]),
          trap: await faults.apply('divideByZero', [1, 0]).catch(kind),
          afterTrap: await faults.apply('ok', [1]),
          crash: await tasks.apply('crash').catch(kind),
          afterCrash: await tasks.apply('double', [4]),
        };
      } finally {
        await Promise.all([builtin.terminate(), faults.terminate(), tasks.terminate()]);
      }
    });
    expect(out).toEqual({
      timeout: 'TimeoutError',
      afterTimeout: 2,
      cancelled: expect.stringMatching(/^CancelledError: .*while running; its worker was stopped/),
      afterCancel: 4,
      trap: 'TaskError',
      afterTrap: 2,
      crash: 'WorkerCrashError',
      afterCrash: 8,
    });
  });

  test('maps stop by signal and timeout, and a lazy imap reads only a bounded way ahead (completions by message)', async () => {
    const out = await plain.evaluate(async () => {
      const { Pool, CancelledError, TimeoutError } = window.wasmpool;
      const pool = new Pool({ workers: 1 });
      try {
        const controller = new AbortController();
        const cancelled = pool.starmap('loopForever', [[], []], { signal: controller.signal }).catch((e: Error) => e);
        controller.abort('stop');
        const stopped = await cancelled;
        const timedOut = await pool.starmap('loopForever', [[]], { timeout: 50 }).catch((e: Error) => e);
        let read = 0;
        function* naturals(): Generator<number> {
          for (let i = 0; ; i++) {
            read++;
            yield i;
          }
        }
        const squares: number[] = [];
        for await (const n of pool.imap<number>('square', naturals())) {
          squares.push(n);
          if (squares.length === 20) break;
        }
        const sums: number[] = [];
        for await (const n of pool.istarmap<number>('add', [
          [1, 2],
          [3, 4],
        ]))
          sums.push(n);
        return {
          cancelled: stopped instanceof CancelledError,
          cause: (stopped as Error).cause,
          timedOut: timedOut instanceof TimeoutError,
          timeoutMessage: (timedOut as Error).message,
          squares,
          read,
          sums,
          after: await pool.apply<number>('add', [1, 1]),
        };
      } finally {
        await pool.terminate();
      }
    });
    expect(out.cancelled).toBe(true);
    expect(out.cause).toBe('stop');
    expect(out.timedOut).toBe(true);
    expect(out.timeoutMessage).toMatch(/\(item 0\)$/);
    expect(out.squares).toEqual(Array.from({ length: 20 }, (_, i) => i * i));
    expect(out.read).toBeLessThanOrEqual(20 + 256);
    expect(out.sums).toEqual([3, 7]);
    expect(out.after).toBe(2);
  });
});

describe('getSync()/waitSync() on a page’s main thread', () => {
  for (const isolated of [true, false]) {
    test(`throw a TypeError that points to get()/wait() (${isolated ? 'isolated' : 'not isolated'} page)`, async () => {
      const page = isolated ? await suite.open() : plain;
      const out = await page.evaluate(async () => {
        const pool = new window.wasmpool.Pool({ workers: 1 });
        const result = pool.applyAsync<number>('spin', [200]);
        const attempt = (fn: () => unknown): string => {
          try {
            fn();
            return 'returned';
          } catch (error) {
            return `${(error as Error).name}: ${(error as Error).message}`;
          }
        };
        const getSync = attempt(() => result.getSync());
        const waitSync = attempt(() => result.waitSync(10));
        const value = await result.get();
        await pool.terminate();
        return { getSync, waitSync, value };
      });
      expect(out.getSync).toMatch(/^TypeError: getSync\(\)\/waitSync\(\) cannot block this thread .*use `await result\.get\(\)`/);
      expect(out.waitSync).toBe(out.getSync);
      expect(out.value).toBeGreaterThan(0);
      if (isolated) await page.close();
    });
  }
});
