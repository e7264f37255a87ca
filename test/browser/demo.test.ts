// The demo page renders with both kernels; a screenshot is kept as an artifact, not compared.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startBrowserSuite, type BrowserSuite } from './harness.js';

const SCREENSHOTS = fileURLToPath(new URL('./__screenshots__/', import.meta.url));

let suite: BrowserSuite;

beforeAll(async () => {
  suite = await startBrowserSuite();
});
afterAll(async () => {
  await suite?.close();
});

declare global {
  interface Window {
    demo: { render(options: { kernel: 'wasm' | 'js'; workers: number; maxIter: number }): Promise<number> };
  }
}

/** Distinct colours on the canvas and the share of pixels that are not black: a blank canvas has 1 and 0. */
function canvasStats(): { colours: number; lit: number } {
  const canvas = document.getElementById('canvas') as HTMLCanvasElement;
  const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
  const colours = new Set<number>();
  let lit = 0;
  for (let i = 0; i < data.length; i += 4) {
    colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    if (data[i] + data[i + 1] + data[i + 2] > 0) lit++;
  }
  return { colours: colours.size, lit: lit / (data.length / 4) };
}

test('the demo renders the set with WebAssembly and with JavaScript, showing the time of each', async () => {
  const page = await suite.open({ path: '/demo/' });
  // The page renders once on load with the default choices (WebAssembly, every core).
  await page.waitForFunction(() => ['done', 'failed', 'unsupported'].includes(document.body.dataset.state ?? ''), undefined, { timeout: 30_000 });
  expect(await page.evaluate(() => document.body.dataset.state)).toBe('done');
  expect(await page.textContent('#time')).toMatch(/^WebAssembly, \d+ workers?: \d+\.\d ms$/);
  expect(await page.evaluate(() => (document.getElementById('progress') as HTMLProgressElement).value)).toBe(1);
  const wasm = await page.evaluate(canvasStats);
  expect(wasm.colours).toBeGreaterThan(20);
  expect(wasm.lit).toBeGreaterThan(0.3);
  expect(wasm.lit).toBeLessThan(0.99); // the set itself is black

  // Then through the form, as a user would: JavaScript with 2 workers.
  await page.selectOption('#workers', '2');
  await page.check('input[name=kernel][value=js]');
  await page.click('#render');
  await page.waitForFunction(() => /^JavaScript/.test(document.getElementById('time')!.textContent ?? ''), undefined, { timeout: 30_000 });
  expect(await page.textContent('#time')).toMatch(/^JavaScript, 2 workers: \d+\.\d ms$/);
  const js = await page.evaluate(canvasStats);
  expect(js).toEqual(wasm); // the twin uses the same palette and the same arithmetic
  expect(await page.locator('#results tbody tr').count()).toBe(2);

  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOTS}demo.png`, fullPage: true });
  await page.close();
});

test('the demo explains the two headers when the page is not isolated', async () => {
  const page = await suite.open({ path: '/demo/', isolated: false });
  await page.waitForFunction(() => document.body.dataset.state === 'unsupported');
  expect(await page.textContent('#warning')).toMatch(/Cross-Origin-Opener-Policy: same-origin.*Cross-Origin-Embedder-Policy: require-corp/);
  await page.close();
});
