// getSync()/waitSync() inside a Web Worker: allowed there (unlike a page's main thread).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { startBrowserSuite, type BrowserSuite } from './harness.js';

let suite: BrowserSuite;
let page: Page;

beforeAll(async () => {
  suite = await startBrowserSuite();
  page = await suite.open({ isolated: true });
});
afterAll(async () => {
  await suite?.close();
});

describe('a pool inside a Web Worker of an isolated page', () => {
  test('getSync returns numbers, waitSync waits for anything, timeouts hold; a value sent by message is refused clearly', async () => {
    const out = await page.evaluate(
      () =>
        new Promise((resolve, reject) => {
          const worker = new Worker('/test/browser/fixtures/pool-in-worker.js', { type: 'module' });
          worker.onmessage = (event) => resolve(event.data);
          worker.onerror = (event) => reject(new Error(event.message));
        }),
    );
    expect(out).toEqual({
      warm: 2,
      value: { ok: 42 },
      waited: { ok: undefined },
      readyAfterWait: true,
      mapped: { ok: [1, 4, 9] },
      starred: { error: expect.stringMatching(/^TypeError: getSync\(\) can only return a number here.*await result\.get\(\)/) },
      timedOut: { error: expect.stringMatching(/^TimeoutError: /) },
    });
  });
});
