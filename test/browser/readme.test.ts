// The README's browser quick start, run as written (the code between its <script> tags).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startBrowserSuite, type BrowserSuite } from './harness.js';

let suite: BrowserSuite;

beforeAll(async () => {
  suite = await startBrowserSuite();
});
afterAll(async () => {
  await suite?.close();
});

test('the README quick start runs in an isolated page and logs 5', async () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## In the browser'));
  const script = /<script type="module">\n([\s\S]*?)<\/script>/.exec(section)?.[1];
  expect(script).toBeDefined();
  const page = await suite.open();
  const logs: string[] = [];
  page.on('console', (message) => logs.push(message.text()));
  // The page serves the repository, so the package's own dist/ stands in for node_modules/wasmpool/dist/.
  const body = script!
    .replace("'/node_modules/wasmpool/dist/browser.js'", "'/dist/browser.js'")
    .replace(/^(\s*)import \{ Pool \} from ('[^']+');/m, '$1const { Pool } = await import($2);');
  const pixels = await page.evaluate(`(async () => { ${body}; return [...pixels.slice(0, 8)].join(','); })()`);
  expect(logs).toContain('5');
  expect(pixels).not.toBe('0,0,0,0,0,0,0,0'); // alpha at least is written
  await page.close();
});
