/**
 * Runs scenarios in real headless Chromium, driven by playwright-core. Two static
 * servers serve the repository: one with the cross-origin isolation headers
 * (SharedArrayBuffer on) and one without, for the fallback. Pages import the built
 * browser entry, /dist/browser.js.
 *
 * Which Chromium: `CHROMIUM_PATH` if set, else Debian's /usr/bin/chromium if
 * installed, else the one the `@sparticuz/chromium` devDependency ships, so
 * `npm install && npm test` needs no system browser. `WASMPOOL_CHROMIUM=npm`
 * forces the npm-shipped one even when /usr/bin/chromium exists (CI runs both).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startStaticServer } from '../../scripts/static-server.mjs';

const DEBIAN_CHROMIUM = '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Our own flags, never @sparticuz/chromium's `args`: those turn SharedArrayBuffer on
 * without isolation and web security off, which would make the non-isolated tests
 * pass for the wrong reason.
 */
export const LAUNCH_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  // The npm-shipped build's renderer crashes on an out-of-bounds WASM trap with the
  // signal-based trap handler on; bounds checks in code instead are harmless on any build.
  '--disable-features=WebAssemblyTrapHandler',
];

export interface ChromiumChoice {
  path: string;
  /** Why this one: which rule of the lookup order picked it. */
  source: 'CHROMIUM_PATH' | 'debian' | 'npm';
}

/** Picks the Chromium binary by the lookup order above; unpacks the npm one on first use. */
export async function findChromium(env: NodeJS.ProcessEnv = process.env): Promise<ChromiumChoice> {
  const forced = env.WASMPOOL_CHROMIUM;
  if (forced !== undefined && forced !== 'npm' && forced !== 'debian') {
    throw new Error(`Expected \`WASMPOOL_CHROMIUM\` to be "npm" or "debian" (or unset), got ${JSON.stringify(forced)}`);
  }
  if (env.CHROMIUM_PATH && forced === undefined) {
    if (!existsSync(env.CHROMIUM_PATH)) throw new Error(`CHROMIUM_PATH=${env.CHROMIUM_PATH} does not exist: point it at a Chromium binary or unset it`);
    return { path: env.CHROMIUM_PATH, source: 'CHROMIUM_PATH' };
  }
  if (forced !== 'npm' && existsSync(DEBIAN_CHROMIUM)) return { path: DEBIAN_CHROMIUM, source: 'debian' };
  if (forced === 'debian') throw new Error(`WASMPOOL_CHROMIUM=debian but ${DEBIAN_CHROMIUM} is missing: install it with \`apt-get install -y chromium\``);
  const { default: sparticuz } = await import('@sparticuz/chromium');
  return { path: await sparticuz.executablePath(), source: 'npm' };
}

let announced = false;

/** Says once per test file which browser ran it, so a CI log shows what was tested. */
function announce(choice: ChromiumChoice): void {
  if (announced) return;
  announced = true;
  let version: string;
  try {
    version = execFileSync(choice.path, ['--version'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch (error) {
    version = `unknown version (${(error as Error).message.split('\n')[0]})`;
  }
  process.stdout.write(`[browser suite] Chromium (${choice.source}): ${choice.path} — ${version}\n`);
}

declare global {
  interface Window {
    wasmpool: typeof import('wasmpool');
    /** 'ok' once /dist/browser.js imported, else the import error. */
    loaded: string;
  }
}

export interface BrowserSuite {
  /** The Chromium binary this suite launched. */
  readonly chromium: ChromiumChoice;
  /** Opens a page under `path` on the isolated (default) or the plain server, with wasmpool imported. */
  open(options?: { isolated?: boolean; path?: string }): Promise<Page>;
  /** Messages the pages wrote to the console, for failure reports. */
  readonly console: string[];
  close(): Promise<void>;
}

export async function startBrowserSuite(): Promise<BrowserSuite> {
  const choice = await findChromium();
  announce(choice);
  const servers: Server[] = [];
  const isolated = await startStaticServer({ root: ROOT, isolated: true });
  servers.push(isolated.server);
  const plain = await startStaticServer({ root: ROOT, isolated: false });
  servers.push(plain.server);
  const browser: Browser = await chromium.launch({ executablePath: choice.path, args: LAUNCH_FLAGS });
  const log: string[] = [];
  return {
    chromium: choice,
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
