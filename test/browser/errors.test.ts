// Failures in a browser: traps, aborts, throws, crashes, per-task timeouts, cancellation, terminate.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { startBrowserSuite, type BrowserSuite } from './harness.js';

let suite: BrowserSuite;
let page: Page;

beforeAll(async () => {
  suite = await startBrowserSuite();
  page = await suite.open();
});
afterAll(async () => {
  await suite?.close();
});

describe('errors and lifecycle in a browser', () => {
  test('WASM traps, aborts and throws fail their own task with a TaskError; the worker goes on', async () => {
    const out = await page.evaluate(async () => {
      const { Pool, TaskError } = window.wasmpool;
      const pool = new Pool({ workers: 1, module: '/build/fixtures/faults.wasm' });
      const failure = async (kernel: string, args: unknown[]) => {
        try {
          await pool.apply(kernel, args);
          return 'resolved';
        } catch (error) {
          const e = error as InstanceType<typeof TaskError>;
          return `${e instanceof TaskError} ${e.kernel} ${e.message}`;
        }
      };
      try {
        return {
          unreachable: await failure('unreachableTrap', []),
          outOfBounds: await failure('outOfBounds', []),
          divide: await failure('divideByZero', [1, 0]),
          aborts: await failure('aborts', [1]),
          throws: await failure('throws', []),
          unknown: await failure('noSuchKernel', []),
          after: await pool.apply('ok', [41]),
        };
      } finally {
        await pool.terminate();
      }
    });
    expect(out.unreachable).toMatch(/^true unreachableTrap Kernel `unreachableTrap` trapped: unreachable/);
    expect(out.outOfBounds).toMatch(/^true outOfBounds Kernel `outOfBounds` trapped: memory access out of bounds/);
    expect(out.divide).toMatch(/^true divideByZero Kernel `divideByZero` trapped: divide by zero/);
    expect(out.aborts).toBe('true aborts x must not be positive');
    expect(out.throws).toMatch(/^true throws Something bad happened at test\/fixtures\/assembly\/faults\.ts:\d+:\d+$/);
    expect(out.unknown).toMatch(/Unknown kernel `noSuchKernel`; the module exports: .*ok.*unreachableTrap/);
    expect(out.after).toBe(42);
  });

  test('a module given as bytes is validated at the call; one given as a URL once it has compiled', async () => {
    const out = await page.evaluate(async () => {
      const { Pool } = window.wasmpool;
      const message = (fn: () => unknown): string => {
        try {
          fn();
          return 'no error';
        } catch (error) {
          return `${(error as Error).name}: ${(error as Error).message}`;
        }
      };
      const bytes = new Uint8Array(await (await fetch('/build/fixtures/faults.wasm')).arrayBuffer());
      const fromBytes = new Pool({ workers: 1, module: bytes });
      const fromUrl = new Pool({ workers: 1, module: '/build/fixtures/faults.wasm' });
      try {
        const bytesAtOnce = message(() => fromBytes.applyAsync('ok', ['x']));
        const value = await fromUrl.apply('ok', [1]);
        const urlAfterCompile = message(() => fromUrl.applyAsync('ok', ['x']));
        return { bytesAtOnce, value, urlAfterCompile };
      } finally {
        await fromBytes.terminate();
        await fromUrl.terminate();
      }
    });
    expect(out.bytesAtOnce).toMatch(/^TypeError: Expected `args\[0\]` of kernel `ok` \(i32\) to be a number/);
    expect(out.value).toBe(2);
    expect(out.urlAfterCompile).toMatch(/^TypeError: Expected `args\[0\]` of kernel `ok`/);
  });

  test('a WebAssembly.Module importing a memory of unknown limits is rejected at new Pool, as in Node', async () => {
    const out = await page.evaluate(async () => {
      const { Pool } = window.wasmpool;
      const module = await WebAssembly.compile(await (await fetch('/build/kernels.wasm')).arrayBuffer());
      try {
        new Pool({ workers: 1, module }).terminate();
        return 'no error';
      } catch (error) {
        return `${(error as Error).name}: ${(error as Error).message}`;
      }
    });
    expect(out).toBe(
      'TypeError: Expected `module` to be a WebAssembly.Module whose memory the pool can create, but the one given imports a memory whose limits a compiled Module does not reveal; pass its bytes, path or URL instead',
    );
  });

  test('a .js URL that is AssemblyScript bindings runs its .wasm with the bindings, as in Node', async () => {
    const greeting = await page.evaluate(async () => {
      const pool = new window.wasmpool.Pool({ workers: 1, module: '/build/fixtures/bound.js' });
      try {
        return await pool.apply('greet', ['page']);
      } finally {
        await pool.terminate();
      }
    });
    expect(greeting).toBe('Hello, page!');
  });

  test('a module URL that does not load fails every task with a TaskError saying why', async () => {
    const message = await page.evaluate(async () => {
      const pool = new window.wasmpool.Pool({ workers: 1, module: '/build/missing.wasm' });
      try {
        await pool.apply('anything', []);
        return 'resolved';
      } catch (error) {
        return `${(error as Error).name}: ${(error as Error).message}`;
      } finally {
        await pool.terminate();
      }
    });
    expect(message).toMatch(/^TaskError: A worker could not load the task module: Could not fetch the task module .*missing\.wasm: HTTP 404/);
  });

  test('a per-task timeout stops a runaway kernel, replaces the worker, and the next task runs', async () => {
    const out = await page.evaluate(async () => {
      const { Pool, TimeoutError } = window.wasmpool;
      const pool = new Pool({ workers: 1 });
      try {
        let error = '';
        const started = performance.now();
        try {
          await pool.apply('loopForever', [], { timeout: 100 });
        } catch (e) {
          error = `${e instanceof TimeoutError} ${(e as Error).message}`;
        }
        const elapsed = performance.now() - started;
        const next = await pool.apply('add', [1, 2]);
        return { error, elapsed, next, workers: pool.workers };
      } finally {
        await pool.terminate();
      }
    });
    expect(out.error).toMatch(/^true Kernel `loopForever` ran past its timeout of 100 ms/);
    expect(out.elapsed).toBeGreaterThanOrEqual(95);
    expect(out.next).toBe(3);
    expect(out.workers).toBe(1);
  });

  test('a worker that dies fails its task with WorkerCrashError; a fresh worker runs the next one', async () => {
    const out = await page.evaluate(async () => {
      const { Pool, WorkerCrashError } = window.wasmpool;
      const pool = new Pool({ workers: 1, module: '/test/browser/fixtures/tasks.js' });
      try {
        let error = '';
        try {
          await pool.apply('crash');
        } catch (e) {
          error = `${e instanceof WorkerCrashError} ${(e as Error).message}`;
        }
        const next = await pool.apply('double', [21]);
        const typed = await pool.apply('describeValue', [new Float64Array([1.5, 2])]);
        return { error, next, typed };
      } finally {
        await pool.terminate();
      }
    });
    expect(out.error).toMatch(/^true The worker running kernel `crash` died: .*deliberate crash outside the task/);
    expect(out.next).toBe(42);
    expect(out.typed).toEqual({ type: '[object Float64Array]', length: 2, first: 1.5 });
  });

  test('a kernel that calls self.close() fails with WorkerCrashError instead of hanging; the pool heals', async () => {
    const out = await page.evaluate(async () => {
      const { Pool, WorkerCrashError } = window.wasmpool;
      const pool = new Pool({ workers: 1, module: '/test/browser/fixtures/tasks.js' });
      try {
        let error = '';
        try {
          await pool.apply('closeSelf');
        } catch (e) {
          error = `${e instanceof WorkerCrashError} ${(e as Error).message}`;
        }
        return { error, next: await pool.apply('double', [4]), workers: pool.workers };
      } finally {
        await pool.terminate();
      }
    });
    expect(out.error).toMatch(/^true The worker running kernel `closeSelf` died: the worker closed itself/);
    expect(out.next).toBe(8);
    expect(out.workers).toBe(1);
  });

  test('a worker that called self.close() runs nothing more, so it cannot publish into a slot the next task reuses', async () => {
    const out = await page.evaluate(async () => {
      const { Pool, WorkerCrashError } = window.wasmpool;
      const pool = new Pool({ workers: 1, module: '/test/browser/fixtures/tasks.js' });
      const flag = new SharedArrayBuffer(4);
      try {
        const crashed = await pool.apply('closeSelfThenWrite', [flag]).then(
          () => false,
          (e: unknown) => e instanceof WorkerCrashError,
        );
        // Several tasks in a row: before the fix one of them read 0 from a slot the closed worker wrote into.
        const doubled = [];
        for (let i = 1; i <= 5; i++) doubled.push(await pool.apply('double', [i]));
        return { crashed, doubled, wentOn: Atomics.load(new Int32Array(flag), 0) };
      } finally {
        await pool.terminate();
      }
    });
    expect(out.crashed).toBe(true);
    expect(out.doubled).toEqual([2, 4, 6, 8, 10]);
    expect(out.wentOn).toBe(0);
  });

  test('an AbortSignal cancels a task; terminate() cancels the rest and the pool refuses new work', async () => {
    const out = await page.evaluate(async () => {
      const { Pool, CancelledError, PoolStateError } = window.wasmpool;
      const pool = new Pool({ workers: 1, module: '/test/browser/fixtures/tasks.js' });
      const controller = new AbortController();
      const aborted = pool.applyAsync('announceThenSpin', [new SharedArrayBuffer(4), 5_000], { signal: controller.signal });
      controller.abort();
      const abortError = await aborted.get().catch((e: Error) => `${e instanceof CancelledError} ${e.message}`);
      const started = new Int32Array(new SharedArrayBuffer(4));
      const running = pool.applyAsync('announceThenSpin', [started.buffer, 5_000]);
      const queued = pool.mapAsync('double', [1, 2, 3]);
      // Terminate once the task is known to run (the kernel sets the flag), not after a guessed delay.
      // (Atomics.waitAsync is in Chromium, not in this project's ES2023 lib.)
      const atomics = Atomics as unknown as { waitAsync(cells: Int32Array, index: number, value: number, ms: number): { value: unknown } };
      await atomics.waitAsync(started, 0, 0, 30_000).value;
      await pool.terminate();
      const runningError = await running.get().catch((e: Error) => e instanceof CancelledError);
      const queuedError = await queued.get().catch((e: Error) => e instanceof CancelledError);
      let submitError = '';
      try {
        pool.applyAsync('add', [1, 2]);
      } catch (e) {
        submitError = `${e instanceof PoolStateError} ${(e as Error).message}`;
      }
      await pool.join();
      return { abortError, runningError, queuedError, submitError, state: pool.state, workers: pool.workers };
    });
    expect(out.abortError).toMatch(/^true The task was cancelled by its AbortSignal/);
    expect(out.runningError).toBe(true);
    expect(out.queuedError).toBe(true);
    expect(out.submitError).toMatch(/^true The pool is terminated/);
    expect(out.state).toBe('terminated');
    expect(out.workers).toBe(0);
  });

  test('close() lets queued work finish, then join() resolves', async () => {
    const out = await page.evaluate(async () => {
      const pool = new window.wasmpool.Pool({ workers: 2 });
      const result = pool.mapAsync<number>('square', [1, 2, 3, 4]);
      pool.close();
      await pool.join();
      return { values: await result.get(), state: pool.state };
    });
    expect(out).toEqual({ values: [1, 4, 9, 16], state: 'closing' });
  });
});
