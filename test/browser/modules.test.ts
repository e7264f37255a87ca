// How a browser loads `module` and its workers in the shapes bundlers hand them over (data: and blob: URLs,
// URLs that do not name their kind), what a module given by URL can do before and after it has compiled, and
// what a worker that cannot load says. Chromium, isolated page (plus one check without isolation).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Page, Response } from 'playwright-core';
import { startBrowserSuite, type BrowserSuite } from './harness.js';

let suite: BrowserSuite;
let page: Page;
/** Every response the page got, for checks that nothing 404s or is fetched. */
const responses: Array<{ url: string; status: number }> = [];

beforeAll(async () => {
  suite = await startBrowserSuite();
  page = await suite.open();
  page.on('response', (response: Response) => responses.push({ url: response.url(), status: response.status() }));
});
afterAll(async () => {
  await suite?.close();
});

describe('a .wasm module given by URL', () => {
  test('its first typed-array call is refused with a clear error before it has compiled, never answered wrong', async () => {
    const out = await page.evaluate(async () => {
      const pool = new window.wasmpool.Pool({ workers: 1, module: '/build/kernels.wasm' });
      try {
        let first: string;
        try {
          first = String(await pool.apply('sumF64', [new Float64Array([1, 2, 3])]));
        } catch (error) {
          first = `${(error as Error).name}: ${(error as Error).message}`;
        }
        // Once any task has run, the module has compiled: typed arrays, memory and alloc then work.
        await pool.apply('add', [1, 2]);
        const second = await pool.apply('sumF64', [new Float64Array([1, 2, 3])]);
        const shared = pool.alloc(Float64Array, 4);
        shared.set([1, 2, 3, 4]);
        const third = await pool.apply('sumF64', [shared]);
        return { first, second, third, memory: pool.memory?.buffer instanceof SharedArrayBuffer };
      } finally {
        await pool.terminate();
      }
    });
    expect(out.first).toMatch(
      /^TypeError: Expected `args\[0\]` of kernel `sumF64` to be a number while the task module http:.*\/build\/kernels\.wasm is still being fetched and compiled, got a typed array: .*`await Pool\.create\(\.\.\.\)`/,
    );
    expect(out).toMatchObject({ second: 6, third: 10, memory: true });
  });

  test('a .js URL takes typed arrays from the first call: a JS module (or bindings) needs no memory of the pool', async () => {
    const out = await page.evaluate(async () => {
      const pool = new window.wasmpool.Pool({ workers: 1, module: '/test/browser/fixtures/tasks.js' });
      try {
        return await pool.apply('describeValue', [new Float64Array([7, 8])]);
      } finally {
        await pool.terminate();
      }
    });
    expect(out).toEqual({ type: '[object Float64Array]', length: 2, first: 7 });
  });

  test('Pool.create resolves once it has compiled: the first typed-array call, pool.memory and alloc work', async () => {
    const out = await page.evaluate(async () => {
      const pool = await window.wasmpool.Pool.create({ workers: 1, module: '/build/kernels.wasm' });
      try {
        const first = await pool.apply('sumF64', [new Float64Array([1, 2, 3])]);
        const big = pool.alloc(Float64Array, 1000).fill(0.5);
        return { first, big: await pool.apply('sumF64', [big]), memory: pool.memory?.buffer instanceof SharedArrayBuffer };
      } finally {
        await pool.terminate();
      }
    });
    expect(out).toEqual({ first: 6, big: 500, memory: true });
  });

  test('is not probed for a bindings file beside it: no 404 in the network log or the console', async () => {
    responses.length = 0;
    const before = suite.console.length;
    const value = await page.evaluate(async () => {
      const pool = await window.wasmpool.Pool.create({ workers: 1, module: '/build/kernels.wasm' });
      try {
        return await pool.apply('add', [2, 3]);
      } finally {
        await pool.terminate();
      }
    });
    expect(value).toBe(5);
    expect(responses.filter((r) => r.status >= 400)).toEqual([]);
    expect(responses.map((r) => new URL(r.url).pathname)).toContain('/build/kernels.wasm');
    expect(suite.console.slice(before).filter((line) => /404|Failed to load/.test(line))).toEqual([]);
  });
});

describe('modules as bundlers hand them over', () => {
  test('data: URLs (a .wasm and a JS module), blob: URLs and a URL that says nothing, told apart by MIME type or the \\0asm magic', async () => {
    const out = await page.evaluate(async () => {
      const { Pool } = window.wasmpool;
      const wasm = new Uint8Array(await (await fetch('/build/kernels.wasm')).arrayBuffer());
      const js = await (await fetch('/test/browser/fixtures/tasks.js')).text();
      const base64 = (bytes: Uint8Array) => btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(''));
      const sources = {
        wasmData: `data:application/wasm;base64,${base64(wasm)}`,
        wasmDataUntyped: `data:application/octet-stream;base64,${base64(wasm)}`,
        jsData: `data:text/javascript;base64,${btoa(js)}`,
        wasmBlob: URL.createObjectURL(new Blob([wasm])),
        jsBlob: URL.createObjectURL(new Blob([js], { type: 'text/javascript' })),
      };
      const results: Record<string, unknown> = {};
      for (const [name, module] of Object.entries(sources)) {
        const pool = await Pool.create({ workers: 1, module });
        try {
          results[name] = name.startsWith('wasm') ? await pool.apply('sumF64', [new Float64Array([1, 2, 3])]) : await pool.apply('double', [21]);
        } finally {
          await pool.terminate();
        }
      }
      const untypedJs = URL.createObjectURL(new Blob([js]));
      const explicit = await Pool.create({ workers: 1, module: untypedJs, moduleType: 'js' });
      results.explicitJs = await explicit.apply('double', [4]);
      await explicit.terminate();
      let refused: string;
      // The pool a failed create started is terminated: count its workers' terminate() calls.
      const workers = { made: 0, terminated: 0 };
      const createWorker = () => {
        const worker = new Worker('/dist/worker/browser-entry.js', { type: 'module' });
        workers.made++;
        const terminate = worker.terminate.bind(worker);
        worker.terminate = () => {
          workers.terminated++;
          terminate();
        };
        return worker;
      };
      try {
        await Pool.create({ workers: 2, module: untypedJs, createWorker });
        refused = 'no error';
      } catch (error) {
        refused = `${(error as Error).name}: ${(error as Error).message}`;
      }
      return { results, refused, workers };
    });
    expect(out.results).toEqual({ wasmData: 6, wasmDataUntyped: 6, jsData: 42, wasmBlob: 6, jsBlob: 42, explicitJs: 8 });
    expect(out.workers).toEqual({ made: 2, terminated: 2 });
    expect(out.refused).toMatch(
      /^TypeError: Expected `module` to be .*blob:http.*neither WebAssembly \(no \\0asm magic\) nor of a JavaScript MIME type; pass `moduleType: 'js'`/,
    );
  });
});

describe('the worker script', () => {
  test('one that cannot load fails every task with an error naming its URL and the README section "Bundlers"', async () => {
    const out = await page.evaluate(async () => {
      const pool = new window.wasmpool.Pool({ workers: 2, workerUrl: '/nowhere/wasmpool-worker.js' });
      try {
        await pool.apply('add', [1, 2]);
        return 'no error';
      } catch (error) {
        return `${(error as Error).name}: ${(error as Error).message}`;
      } finally {
        await pool.terminate();
      }
    });
    expect(out).toMatch(/^TaskError: The wasmpool worker script \(http:\/\/127\.0\.0\.1:\d+\/nowhere\/wasmpool-worker\.js\) could not be loaded/);
    expect(out).toMatch(/see "Bundlers" in the wasmpool README/);
    expect(out).not.toMatch(/keep dying/);
  });

  test('workerUrl and createWorker replace the bundled worker', async () => {
    const out = await page.evaluate(async () => {
      const { Pool } = window.wasmpool;
      let made = 0;
      const byUrl = new Pool({ workers: 1, workerUrl: '/dist/worker/browser-entry.js' });
      const byFactory = new Pool({
        workers: 2,
        createWorker: () => {
          made++;
          return new Worker('/dist/worker/browser-entry.js', { type: 'module' });
        },
      });
      try {
        return { url: await byUrl.apply('add', [1, 2]), factory: await byFactory.map('square', [1, 2, 3]), made };
      } finally {
        await Promise.all([byUrl.terminate(), byFactory.terminate()]);
      }
    });
    expect(out).toEqual({ url: 3, factory: [1, 4, 9], made: 2 });
  });

  test('an app’s own worker script registers its kernels (module: wasmpool:worker-kernels)', async () => {
    const out = await page.evaluate(async () => {
      const { Pool } = window.wasmpool;
      const own = new Pool({
        workers: 2,
        module: 'wasmpool:worker-kernels',
        createWorker: () => new Worker('/test/browser/fixtures/own-worker.js', { type: 'module' }),
      });
      const plain = new Pool({ workers: 1, module: 'wasmpool:worker-kernels', workerUrl: '/dist/worker/browser-entry.js' });
      try {
        const values = [await own.apply('double', [21]), await own.map('double', [1, 2, 3])];
        let unregistered: string;
        try {
          await plain.apply('double', [1]);
          unregistered = 'no error';
        } catch (error) {
          unregistered = `${(error as Error).name}: ${(error as Error).message}`;
        }
        return { values, unregistered };
      } finally {
        await Promise.all([own.terminate(), plain.terminate()]);
      }
    });
    expect(out.values).toEqual([42, [2, 4, 6]]);
    expect(out.unregistered).toMatch(/needs a worker script that calls registerKernels\(\) from 'wasmpool\/worker' before its first await/);
  });

  test('bad overrides are refused at new Pool, naming the option', async () => {
    const out = await page.evaluate(() => {
      const message = (fn: () => unknown): string => {
        try {
          fn();
          return 'no error';
        } catch (error) {
          return `${(error as Error).name}: ${(error as Error).message}`;
        }
      };
      const { Pool } = window.wasmpool;
      return {
        url: message(() => new Pool({ workerUrl: 42 as never })),
        factory: message(() => new Pool({ createWorker: 'worker.js' as never })),
        both: message(() => new Pool({ workerUrl: '/w.js', createWorker: () => new Worker('/w.js') })),
        registeredAlone: message(() => new Pool({ module: 'wasmpool:worker-kernels' })),
      };
    });
    expect(out).toEqual({
      url: 'TypeError: Expected `workerUrl` to be a URL (string or URL), got 42',
      factory: 'TypeError: Expected `createWorker` to be a function, got "worker.js"',
      both: 'TypeError: `workerUrl` and `createWorker` were both given; pass one',
      registeredAlone:
        "TypeError: `module: 'wasmpool:worker-kernels'` needs `createWorker` or `workerUrl` naming the worker script that calls registerKernels()",
    });
  });
});

describe('importing', () => {
  test('importing wasmpool fetches nothing but its own scripts; the built-in kernels need no file', async () => {
    const fresh = await suite.open({ path: '/test/browser/fixtures/blank.html' });
    const seen: string[] = [];
    fresh.on('request', (request) => seen.push(new URL(request.url()).pathname));
    // A string, not a function: vitest would rewrite a dynamic import() in this file's own code.
    const sum = await fresh.evaluate(`(async () => {
      const { splitRange, Pool } = await import('/dist/browser.js');
      const parts = splitRange(10, 2);
      const before = performance.getEntriesByType('resource').filter((e) => !e.name.endsWith('.js')).length;
      const pool = new Pool({ workers: 1 });
      const value = await pool.apply('add', [parts.length, 1]);
      await pool.terminate();
      return { value, before };
    })()`);
    expect(sum).toEqual({ value: 3, before: 0 });
    expect(seen.filter((path) => !path.endsWith('.js') && !path.endsWith('.html'))).toEqual([]);
    await fresh.close();
  });
});
