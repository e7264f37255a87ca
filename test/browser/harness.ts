/**
 * Runs scenarios in real headless Chromium (Debian's /usr/bin/chromium, driven by
 * playwright-core). Two static servers serve the repository: one with the
 * cross-origin isolation headers (SharedArrayBuffer on) and one without, for the
 * fallback. Pages import the built browser entry, /dist/browser.js.
 */
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startStaticServer } from '../../scripts/static-server.mjs';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

declare global {
  interface Window {
    wasmpool: typeof import('wasmpool');
    /** 'ok' once /dist/browser.js imported, else the import error. */
    loaded: string;
  }
}

export interface BrowserSuite {
  /** Opens a page under `path` on the isolated (default) or the plain server, with wasmpool imported. */
  open(options?: { isolated?: boolean; path?: string }): Promise<Page>;
  /** Messages the pages wrote to the console, for failure reports. */
  readonly console: string[];
  close(): Promise<void>;
}

export async function startBrowserSuite(): Promise<BrowserSuite> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH)`);
  const servers: Server[] = [];
  const isolated = await startStaticServer({ root: ROOT, isolated: true });
  servers.push(isolated.server);
  const plain = await startStaticServer({ root: ROOT, isolated: false });
  servers.push(plain.server);
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const log: string[] = [];
  return {
    console: log,
    async open({ isolated: wantIsolated = true, path = '/test/browser/pages/index.html' } = {}) {
      const page = await browser.newPage();
      page.on('console', (message) => log.push(`[${message.type()}] ${message.text()}`));
      page.on('pageerror', (error) => log.push(`[pageerror] ${error.message}`));
      await page.goto((wantIsolated ? isolated.url : plain.url) + path);
      if (path.startsWith('/test/browser/pages/')) {
        await page.waitForFunction(() => window.loaded !== undefined);
        const loaded = await page.evaluate(() => window.loaded);
        if (loaded !== 'ok') throw new Error(`the page could not import /dist/browser.js: ${loaded}`);
      }
      return page;
    },
    async close() {
      await browser.close();
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    },
  };
}
