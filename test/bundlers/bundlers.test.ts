// Builds one small app (test/bundlers/app) from the packed tarball with Vite, webpack and esbuild, each with
// the config README "Bundlers" shows (test/bundlers/configs), and runs its steps in Chromium on every build,
// cross-origin isolated and not. Also holds what the library adds to an app to a size budget.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Server } from 'node:http';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startStaticServer } from '../../scripts/static-server.mjs';
import { findChromium, LAUNCH_FLAGS } from '../browser/harness.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HERE = fileURLToPath(new URL('.', import.meta.url));
const BIN = join(ROOT, 'node_modules', '.bin');

type Bundler = 'vite' | 'webpack' | 'esbuild' | 'rollup';
const BUNDLERS: Bundler[] = ['vite', 'webpack', 'esbuild', 'rollup'];
/** Rollup has no minifier of its own (its recipe adds terser), so its output is not held to the budget. */
const MINIFIED: Bundler[] = ['vite', 'webpack', 'esbuild'];

/** What the library may add to an app, minified, in bytes (raw / gzip): the main thread's bundle and the worker's. */
// The main thread carries the built-in kernels (base64 in the JS): since pool.ops they are a 44 KB module (GEMM,
// FFT, convolution, reductions) and the 7 KB relaxed-SIMD GEMM and convolution, ~69 KB of the main thread's 181 KB.
const BUDGET = { main: { raw: 190_000, gzip: 66_000 }, worker: { raw: 22_000, gzip: 8_000 } };

let scratch: string;
let browser: Browser;
const servers: Server[] = [];
const outputs = new Map<Bundler, string>();

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'production' } });
}

/** An app directory with wasmpool installed from the tarball, its kernel built, and one bundler's config. */
function makeApp(bundler: Bundler): string {
  const dir = join(scratch, bundler);
  cpSync(join(HERE, 'app'), dir, { recursive: true });
  cpSync(join(scratch, 'kernel.wasm'), join(dir, 'kernel.wasm'));
  const config = { vite: 'vite.config.mjs', webpack: 'webpack.config.mjs', esbuild: 'esbuild.mjs', rollup: 'rollup.config.mjs' }[bundler];
  cpSync(join(HERE, 'configs', config), join(dir, config));
  // No node_modules of its own: `wasmpool` (from the tarball) and the bundlers resolve from the scratch dir above.
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `app-${bundler}`, private: true, type: 'module' }));
  return dir;
}

function build(bundler: Bundler, dir: string): string {
  if (bundler === 'vite') {
    run(join(BIN, 'vite'), ['build', '--logLevel', 'warn'], dir);
    cpSync(join(dir, 'vite.config.mjs'), join(dir, 'ts', 'vite.config.mjs'));
    run(join(BIN, 'vite'), ['build', '--logLevel', 'warn'], join(dir, 'ts'));
  }
  if (bundler === 'webpack') run(process.execPath, ['-e', WEBPACK_RUN], dir);
  if (bundler === 'esbuild') run(process.execPath, ['esbuild.mjs'], dir);
  if (bundler === 'rollup') run(join(BIN, 'rollup'), ['-c', 'rollup.config.mjs', '--silent'], dir);
  const out = join(dir, 'dist');
  if (bundler === 'webpack') cpSync(join(dir, 'index.html'), join(out, 'index.html'));
  return out;
}

/** webpack's Node API on the app's config (the CLI is a separate package the recipe does not need). */
const WEBPACK_RUN = `
const webpack = require(${JSON.stringify(join(ROOT, 'node_modules', 'webpack'))});
import(require('node:url').pathToFileURL(process.cwd() + '/webpack.config.mjs').href).then(({ default: config }) => {
  webpack(config, (error, stats) => {
    if (error || stats.hasErrors()) { console.error(error ?? stats.toString('errors-only')); process.exit(1); }
    const warnings = stats.toJson({ all: false, warnings: true }).warnings;
    if (warnings.length) { console.error(JSON.stringify(warnings.map((w) => w.message))); process.exit(2); }
  });
});`;

/** The scripts a build emitted, less the app's own task module (copied or hashed as an asset). */
function scriptsOf(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter(
    (f) => f.endsWith('.js') && statSync(join(dir, f)).isFile() && !readFileSync(join(dir, f), 'utf8').includes('hello, ${'),
  );
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'wasmpool-bundlers-'));
  const packed = JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', scratch], ROOT)) as Array<{ filename: string }>;
  const tarball = join(scratch, packed[0].filename);
  writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'apps', private: true, type: 'module' }));
  run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--prefer-offline', tarball], scratch);
  for (const name of ['vite', 'webpack', 'esbuild', 'rollup', '@rollup']) {
    // Symlinks into the repository's copies: the apps resolve `wasmpool` from the tarball, the tools from here.
    execFileSync('ln', ['-s', join(ROOT, 'node_modules', name), join(scratch, 'node_modules', name)]);
  }
  writeFileSync(join(scratch, 'kernel.ts'), readFileSync(join(HERE, 'app', 'kernel.ts')));
  run(process.execPath, [join(ROOT, 'dist', 'cli', 'main.js'), 'build', 'kernel.ts', '-o', 'kernel.wasm'], scratch);
  for (const bundler of BUNDLERS) outputs.set(bundler, build(bundler, makeApp(bundler)));
  browser = await chromium.launch({ executablePath: (await findChromium()).path, args: LAUNCH_FLAGS });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  if (scratch && !process.env.KEEP_BUNDLER_APPS) rmSync(scratch, { recursive: true, force: true });
});

type AppRun = { results: Record<string, { ok: boolean; value?: unknown; error?: string }>; console: string[] };

/** Serves a build (with or without the isolation headers) and runs the app in it. */
async function runApp(out: string, isolated: boolean): Promise<AppRun> {
  const { server, url } = await startStaticServer({ root: out, isolated });
  servers.push(server);
  return openApp(`${url}/index.html`);
}

/** Opens the app at `url` and collects its results, the console, page errors and failed requests. */
async function openApp(url: string): Promise<AppRun> {
  const page = await browser.newPage();
  const log: string[] = [];
  page.on('console', (message) => log.push(`[${message.type()}] ${message.text()}`));
  page.on('pageerror', (error) => log.push(`[pageerror] ${error.message}`));
  page.on('response', (response) => {
    if (response.status() >= 400) log.push(`[http ${response.status()}] ${response.url()}`);
  });
  try {
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as { done?: boolean }).done === true, undefined, { timeout: 30_000 });
    return { results: await page.evaluate(() => (window as unknown as { results: never }).results), console: log };
  } finally {
    await page.close();
  }
}

const EXPECTED = {
  add: 5,
  sumF64: 500_000,
  mapAsync: [1, 4, 9, 16, 25, 36, 49, 64],
  splitRange: [
    [0, 3],
    [3, 6],
    [6, 10],
  ],
  jsModule: ['hello, bundler', [3, 6, 9]],
  kernelByUrl: [1, 8, 27],
  kernelAsBytes: 64,
};

test('the Vite dev server serves the app with the README recipe: every step passes', async () => {
  const { createServer } = (await import(join(scratch, 'node_modules', 'vite', 'dist', 'node', 'index.js'))) as typeof import('vite');
  const dev = await createServer({
    root: join(scratch, 'vite'),
    configFile: join(scratch, 'vite', 'vite.config.mjs'),
    logLevel: 'silent',
    server: { port: 0, host: '127.0.0.1' },
  });
  await dev.listen();
  try {
    const { results, console } = await openApp(`${dev.resolvedUrls!.local[0]}index.html`);
    const values = Object.fromEntries(Object.entries(results).map(([name, r]) => [name, r.ok ? r.value : r.error]));
    expect(values).toEqual(EXPECTED);
    expect(console.filter((line) => /^\[(error|pageerror|http)/.test(line))).toEqual([]);
    const ts = await openApp(`${dev.resolvedUrls!.local[0]}ts/index.html`);
    expect(ts.results).toEqual(TS_EXPECTED);
  } finally {
    await dev.close();
  }
});

test('the package has no top-level await: esbuild bundles an import of a helper for es2020', async () => {
  const { build: esbuild } = (await import(join(scratch, 'node_modules', 'esbuild', 'lib', 'main.js'))) as typeof import('esbuild');
  const result = await esbuild({
    stdin: { contents: "import { splitRange } from 'wasmpool'; console.log(splitRange(10, 2));", resolveDir: scratch },
    bundle: true,
    format: 'esm',
    target: 'es2020',
    write: false,
    logLevel: 'silent',
  });
  expect(result.errors).toEqual([]);
  expect(result.outputFiles[0].text).toContain('splitRange');
});

test('the source maps in the tarball carry their sources (src/ is not shipped)', () => {
  const dist = join(scratch, 'node_modules', 'wasmpool', 'dist');
  const maps = readdirSync(dist, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js.map'));
  expect(maps.length).toBeGreaterThan(20);
  for (const file of maps) {
    const map = JSON.parse(readFileSync(join(dist, file), 'utf8')) as { sources: string[]; sourcesContent?: Array<string | null> };
    expect(map.sourcesContent?.length, file).toBe(map.sources.length);
    expect(
      map.sourcesContent!.every((content) => typeof content === 'string' && content.length > 0),
      file,
    ).toBe(true);
  }
});

test.each([
  ['with the browser condition (customConditions)', ['browser']],
  ['with the default types', []],
])('a browser app type-checks against the tarball’s types %s: lib ES2022 + DOM, no @types/node, skipLibCheck false', (_, conditions) => {
  const dir = join(scratch, `types-${conditions.length}`);
  cpSync(join(HERE, 'types-app'), dir, { recursive: true });
  const compilerOptions = {
    strict: true,
    target: 'ES2022',
    module: 'ESNext',
    moduleResolution: 'bundler',
    customConditions: conditions,
    lib: ['ES2022', 'DOM'],
    types: [],
    skipLibCheck: false,
    skipDefaultLibCheck: true, // TypeScript's own lib files need no checking here, the package's .d.ts do
    noEmit: true,
  };
  // With the browser condition, the Node-only options must not type-check (browser-only.ts expects the errors).
  const files = conditions.includes('browser') ? ['main.ts', 'browser-only.ts'] : ['main.ts'];
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files }));
  expect(() => run(join(BIN, 'tsc'), ['-p', '.'], dir)).not.toThrow();
});

/** The README's code block whose first line is `// NAME`, without that line. */
function readmeBlock(name: string): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const bundlers = readme.slice(readme.indexOf('## Bundlers'));
  const block = new RegExp('```js\\n// ' + name.replace('.', '\\.') + '\\n([\\s\\S]*?)```').exec(bundlers);
  expect(block, `README "Bundlers" has a block starting // ${name}`).not.toBeNull();
  return block![1].trim();
}

/** A config file without its leading comment lines. */
function configBody(file: string): string {
  return readFileSync(join(HERE, 'configs', file), 'utf8')
    .replace(/^(\/\/.*\n)+/, '')
    .trim();
}

test('the README recipes are the configs these builds use', () => {
  expect(readmeBlock('vite.config.js')).toBe(configBody('vite.config.mjs'));
  expect(readmeBlock('webpack.config.js')).toBe(configBody('webpack.config.mjs'));
  // esbuild and Rollup: the README's build call and options; the test's files add the copying of this app's assets.
  const esbuildCall = readmeBlock('build.mjs')
    .split('\n')
    .filter((line) => !line.startsWith('//'))
    .slice(1)
    .join('\n');
  expect(configBody('esbuild.mjs')).toContain(esbuildCall.trim());
  for (const line of readmeBlock('rollup.config.mjs')
    .split('\n')
    .filter((l) => /^\s+(input|output):/.test(l))) {
    expect(configBody('rollup.config.mjs')).toContain(line);
  }
  expect(configBody('rollup.config.mjs')).toContain('nodeResolve({ browser: true })');
});

test('esbuild without the recipe’s workerUrl: every task fails naming the worker script and README "Bundlers"', async () => {
  const out = outputs.get('esbuild')!;
  const html = readFileSync(join(out, 'index.html'), 'utf8').replace(/\s*<meta name="wasmpool-worker"[^>]*>/, '');
  writeFileSync(join(out, 'no-worker-url.html'), html);
  const { server, url } = await startStaticServer({ root: out, isolated: true });
  servers.push(server);
  const { results } = await openApp(`${url}/no-worker-url.html`);
  expect(results.add).toEqual({
    ok: false,
    error: expect.stringMatching(
      /^TaskError: The wasmpool worker script \(dist\/worker\/browser-entry\.js, or the chunk a bundler made of it\) could not be loaded .*see "Bundlers" in the wasmpool README/,
    ),
  });
});

/** The app/ts page: a task module written in TypeScript, compiled by the bundler into the app's worker script. */
const TS_EXPECTED = { scale: [2, 4, 6], twin: 2, label: ['a: 1', 'b: 2'] };

// webpack compiles TypeScript only through a loader of the app's choice (ts-loader, swc-loader), so its recipe is
// the JavaScript one; Vite and esbuild compile it themselves.
test.each(['vite', 'esbuild'] as const)('a TypeScript task module, compiled by %s into the app’s worker script', async (bundler) => {
  const { server, url } = await startStaticServer({ root: join(outputs.get(bundler)!, '..', 'ts', 'dist'), isolated: true });
  servers.push(server);
  const { results, console } = await openApp(`${url}/index.html`);
  expect(results).toEqual(TS_EXPECTED);
  expect(console.filter((line) => /^\[(error|pageerror|http)/.test(line))).toEqual([]);
});

describe.each(BUNDLERS)('an app built with %s from the packed tarball', (bundler) => {
  test('passes every step in a cross-origin-isolated page, with nothing logged as failed', async () => {
    const { results, console } = await runApp(outputs.get(bundler)!, true);
    const values = Object.fromEntries(Object.entries(results).map(([name, r]) => [name, r.ok ? r.value : r.error]));
    expect(values).toEqual(EXPECTED);
    expect(console.filter((line) => /^\[(error|pageerror|http)/.test(line))).toEqual([]);
  });

  test('without isolation: the same steps, and pool.alloc refused with the documented error', async () => {
    const { results } = await runApp(outputs.get(bundler)!, false);
    const values = Object.fromEntries(Object.entries(results).map(([name, r]) => [name, r.ok ? r.value : r.error]));
    const { sumF64, ...rest } = EXPECTED;
    void sumF64;
    expect(values).toMatchObject(rest);
    expect(values.sumF64).toMatch(/^TypeError: pool\.alloc\(\) needs memory shared with the workers, but .*Cross-Origin-Opener-Policy/);
  });

  test('no Node-only code, no build-machine path, and no unbundled copy of a package file', () => {
    const out = outputs.get(bundler)!;
    for (const file of scriptsOf(out)) {
      const source = readFileSync(join(out, file), 'utf8');
      expect(source, `${bundler} ${file}`).not.toMatch(/node:(fs|path|worker_threads|os|url)|worker_threads/);
      expect(source, `${bundler} ${file}`).not.toContain(relative('/', scratch));
      // Every file of the package is bundled: no unbundled copy whose relative imports would 404.
      expect(source, `${bundler} ${file}`).not.toMatch(/from\s*["']\.\.?\/(?:transport|abi|worker|modules|scheduling)\//);
    }
  });
});

describe.each(MINIFIED)('what wasmpool adds to an app built with %s', (bundler) => {
  test('stays within the size budget (minified; main thread and worker)', () => {
    const out = outputs.get(bundler)!;
    const sized = scriptsOf(out).map((file) => {
      const source = readFileSync(join(out, file));
      // The worker's code has the task loop and not the Pool.
      const worker = source.includes('wasmpool:loaded') && !source.includes('onSizeLessThan');
      return { file, raw: source.length, gzip: gzipSync(source).length, worker };
    });
    const main = sized.filter((s) => !s.worker);
    const worker = sized.filter((s) => s.worker);
    const sum = (list: typeof sized, key: 'raw' | 'gzip') => list.reduce((total, s) => total + s[key], 0);
    process.stdout.write(
      `[bundlers] ${bundler}: main ${sum(main, 'raw')} B / ${sum(main, 'gzip')} B gzip (${main.map((s) => s.file).join(', ')}); worker ${sum(worker, 'raw')} B / ${sum(worker, 'gzip')} B gzip (${worker.map((s) => s.file).join(', ')})\n`,
    );
    expect(worker.length).toBeGreaterThan(0);
    expect(sum(main, 'raw')).toBeLessThanOrEqual(BUDGET.main.raw);
    expect(sum(main, 'gzip')).toBeLessThanOrEqual(BUDGET.main.gzip);
    expect(sum(worker, 'raw')).toBeLessThanOrEqual(BUDGET.worker.raw);
    expect(sum(worker, 'gzip')).toBeLessThanOrEqual(BUDGET.worker.gzip);
  });
});
