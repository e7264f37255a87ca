// Which Chromium the browser suite picks: the lookup order and the override, without launching one.
import { existsSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { findChromium } from './harness.js';

describe('findChromium', () => {
  test('WASMPOOL_CHROMIUM=npm takes the @sparticuz/chromium binary even when CHROMIUM_PATH or /usr/bin/chromium exist', async () => {
    const choice = await findChromium({ WASMPOOL_CHROMIUM: 'npm', CHROMIUM_PATH: process.execPath });
    expect(choice.source).toBe('npm');
    expect(existsSync(choice.path)).toBe(true);
  });

  test('CHROMIUM_PATH comes first, and a path that does not exist is an error saying so', async () => {
    expect(await findChromium({ CHROMIUM_PATH: process.execPath })).toEqual({ path: process.execPath, source: 'CHROMIUM_PATH' });
    await expect(findChromium({ CHROMIUM_PATH: '/nonexistent/chromium' })).rejects.toThrow(/CHROMIUM_PATH=\/nonexistent\/chromium does not exist/);
  });

  test("with nothing set: Debian's /usr/bin/chromium if installed, else the npm one", async () => {
    const choice = await findChromium({});
    expect(choice.source).toBe(existsSync('/usr/bin/chromium') ? 'debian' : 'npm');
  });

  test('an unknown WASMPOOL_CHROMIUM value is rejected, naming what is allowed', async () => {
    await expect(findChromium({ WASMPOOL_CHROMIUM: 'chrome' })).rejects.toThrow(
      'Expected `WASMPOOL_CHROMIUM` to be "npm" or "debian" (or unset), got "chrome"',
    );
  });
});
