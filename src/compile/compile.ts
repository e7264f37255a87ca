/**
 * AssemblyScript source → a kernel module for the pool, synchronously (the
 * Pool constructor is synchronous) and cached. Used by `new Pool({ module:
 * 'kernel.ts' })` and by the `wasmpool build` CLI. Node only.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CompileCache, defaultCacheDir } from './cache.js';
import { compileSync } from './compile-sync.js';
import { fileProblem } from './files.js';
import { encodeTypes, TYPES_SECTION, withCustomSection } from '../wasm/kernel-types.js';
import { POOL_FLAGS } from './flags.js';

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

export function compileAssemblyScript(entry: string, options: CompileOptions = {}): CompileResult {
  const problem = fileProblem(entry);
  if (problem) throw new TypeError(`Expected an AssemblyScript file to compile, but ${entry} ${problem}`);
  const compiler = findCompiler(entry, options.compilerPackage ?? 'assemblyscript');
  const dir = options.cacheDir === undefined ? defaultCacheDir(entry) : options.cacheDir;
  const cache = dir === false || dir === undefined ? undefined : CompileCache.open(dir);
  const key = CompileCache.key(entry, compiler.version, POOL_FLAGS);
  const hit = cache?.lookup(key);
  if (hit) {
    compileCounters.cacheHits++;
    return { ...hit, cached: true };
  }
  compileCounters.compiles++;
  const response = compileSync({ compilerUrl: compiler.url, entry, flags: POOL_FLAGS, packageRoot: PACKAGE_ROOT, runtime: RUNTIME });
  // A TypeError as for any `module` that cannot be used; the message carries asc's diagnostics.
  if (!response.ok) throw new TypeError(`Could not compile the AssemblyScript module ${entry}:\n${response.message}`);
  // The source's parameter types travel inside the binary, so a .wasm from `wasmpool build` keeps them.
  const wasm = withCustomSection(response.wasm, TYPES_SECTION, encodeTypes(new Map(response.kernels)));
  cache?.store(key, response, wasm);
  return { wasm, cached: false, files: response.files.map((file) => file.path) };
}
