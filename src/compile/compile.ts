/**
 * AssemblyScript source → a kernel module for the pool, synchronously (the
 * Pool constructor is synchronous) and cached. Used by `new Pool({ module:
 * 'kernel.ts' })` and by the `wasmpool build` CLI. Node only.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CompileCache, defaultCacheDir } from './cache.js';
import { compileAsync, compileSync } from './compile-sync.js';
import type { CompileRequest, CompileResponse } from './protocol.js';
import { fileProblem } from './files.js';
import { encodeTypes, TYPES_SECTION, withCustomSection } from '../wasm/kernel-types.js';
import { SOURCE_MAP_SECTION } from '../wasm/source-map.js';
import { DEBUG_FLAGS, POOL_FLAGS } from './flags.js';

const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Compiled in place of asc's stub runtime: each worker allocates in its own heap. */
const RUNTIME = join(PACKAGE_ROOT, 'assembly', 'lib', 'runtime.ts');

export interface CompileOptions {
  /**
   * Where compiled modules are kept (checked like the default: ours, not writable by others), or
   * false for none; default: see defaultCacheDir.
   */
  cacheDir?: string | false;
  /** For tests: the compiler package to look for (default `assemblyscript`). */
  compilerPackage?: string;
  /** A debug build: names, a source map, no optimization (see DEBUG_FLAGS). */
  debug?: boolean;
}

export interface CompileResult {
  wasm: Uint8Array;
  /** True when the binary came from the cache and asc did not run. */
  cached: boolean;
  /** Every source file the binary was built from (the entry and what it imports). */
  files: string[];
}

/** Counts for tests (not exported from the package): how many compiles really ran asc. */
export const compileCounters = { compiles: 0, cacheHits: 0 };

interface Compiler {
  url: string;
  version: string;
}

/** Looked up beside the kernel first (the user's project), then beside wasmpool. */
function findCompiler(entry: string, packageName: string): Compiler {
  for (const base of [entry, fileURLToPath(import.meta.url)]) {
    let manifestPath: string;
    try {
      manifestPath = createRequire(base).resolve(`${packageName}/package.json`);
    } catch {
      continue;
    }
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { version: string; exports?: Record<string, { import?: string }> };
    const ascPath = manifest.exports?.['./asc']?.import ?? './dist/asc.js';
    return { url: pathToFileURL(join(dirname(manifestPath), ascPath)).href, version: manifest.version };
  }
  throw new Error(
    `Compiling ${entry} needs the AssemblyScript compiler, which is not installed; run \`npm install --save-dev assemblyscript\` (or build the .wasm elsewhere with \`npx wasmpool build\` and pass that)`,
  );
}

/** One compile's inputs, decided before asc runs (or the cache answers). */
interface Plan {
  entry: string;
  key: string;
  cache: CompileCache | undefined;
  request: CompileRequest;
}

function plan(entry: string, options: CompileOptions): Plan {
  const problem = fileProblem(entry);
  if (problem) throw new TypeError(`Expected an AssemblyScript file to compile, but ${entry} ${problem}`);
  const compiler = findCompiler(entry, options.compilerPackage ?? 'assemblyscript');
  const dir = options.cacheDir === undefined ? defaultCacheDir(entry) : options.cacheDir;
  const cache = dir === false || dir === undefined ? undefined : CompileCache.open(dir);
  const flags = options.debug ? DEBUG_FLAGS : POOL_FLAGS;
  const key = CompileCache.key(entry, compiler.version, flags);
  const request = { compilerUrl: compiler.url, entry, flags, packageRoot: PACKAGE_ROOT, runtime: RUNTIME, projectRoot: projectRoot(entry) };
  return { entry, key, cache, request };
}

/** The folder of the nearest package.json above `entry`, else the entry's own folder. */
function projectRoot(entry: string): string {
  for (let dir = dirname(entry); ; dir = dirname(dir)) {
    if (fileProblem(join(dir, 'package.json')) === undefined) return dir;
    if (dirname(dir) === dir) return dirname(entry);
  }
}

function fromCache(plan: Plan): CompileResult | undefined {
  const ready = precompiled.get(plan.key);
  if (ready) {
    precompiled.delete(plan.key);
    return ready;
  }
  const hit = plan.cache?.lookup(plan.key);
  if (!hit) return undefined;
  compileCounters.cacheHits++;
  return { ...hit, cached: true };
}

function finish(plan: Plan, response: CompileResponse): CompileResult {
  // A TypeError as for any `module` that cannot be used; the message carries asc's diagnostics.
  if (!response.ok) throw new TypeError(`Could not compile the AssemblyScript module ${plan.entry}:\n${response.message}`);
  // The source's parameter types travel inside the binary, so a .wasm from `wasmpool build` keeps them.
  let wasm = withCustomSection(response.wasm, TYPES_SECTION, encodeTypes(new Map(response.kernels)));
  // Inside the binary, so the worker that hits a trap can map its offset to the source.
  if (response.sourceMap) wasm = withCustomSection(wasm, SOURCE_MAP_SECTION, new TextEncoder().encode(response.sourceMap));
  plan.cache?.store(plan.key, response, wasm);
  return { wasm, cached: false, files: response.files.map((file) => file.path) };
}

/** Compiled by compileAssemblyScriptAsync for a constructor about to ask (Pool.create), by key: taken once. */
const precompiled = new Map<string, CompileResult>();

/** Blocks the thread while asc runs (the Pool constructor is synchronous); a cache hit does not. */
export function compileAssemblyScript(entry: string, options: CompileOptions = {}): CompileResult {
  const steps = plan(entry, options);
  const ready = fromCache(steps);
  if (ready) return ready;
  compileCounters.compiles++;
  return finish(steps, compileSync(steps.request));
}

/**
 * Compiles without blocking the thread, and keeps the result for the next compileAssemblyScript of
 * the same file and flags (the constructor Pool.create calls), even where there is no disk cache.
 */
export async function precompileAssemblyScript(entry: string, options: CompileOptions = {}): Promise<CompileResult> {
  const steps = plan(entry, options);
  const ready = fromCache(steps);
  if (ready) return ready;
  compileCounters.compiles++;
  const result = finish(steps, await compileAsync(steps.request));
  precompiled.set(steps.key, result);
  return result;
}

/**
 * Pool.create's first step in Node: a `.ts` module (path or file: URL) compiled without blocking.
 * Anything else needs no compile; the constructor then checks it as always.
 */
export async function precompileModule(source: unknown, options: CompileOptions = {}): Promise<void> {
  let path: string | undefined;
  if (source instanceof URL && source.protocol === 'file:') path = fileURLToPath(source);
  else if (typeof source === 'string' && /^file:/.test(source)) path = fileURLToPath(source);
  else if (typeof source === 'string' && !/^[a-z][a-z0-9+.-]+:\/\//i.test(source)) path = resolve(source);
  if (path?.endsWith('.ts') && fileProblem(path) === undefined) await precompileAssemblyScript(path, options);
}
