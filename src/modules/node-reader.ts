import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compileAssemblyScript } from '../compile/compile.js';
import { fileProblem } from '../compile/files.js';
import type { ModuleReader } from './prepare.js';
import type { KernelBuild } from './relaxed-simd.js';

function toPath(source: string | URL): string {
  if (source === '') throw new TypeError('Expected `module` to be a path or URL, got an empty string');
  if (source instanceof URL || /^file:/.test(source)) {
    const url = new URL(source);
    if (url.protocol !== 'file:') throw new TypeError(`Expected \`module\` to be a file path or file: URL in Node, got ${url.href}`);
    return fileURLToPath(url);
  }
  if (/^[a-z][a-z0-9+.-]+:\/\//i.test(source)) throw new TypeError(`Expected \`module\` to be a file path or file: URL in Node, got ${source}`);
  return resolve(source);
}

/** The built-in kernels, beside dist/ in the package: the baseline module and the relaxed-SIMD one loaded beside it. */
export const BUILTIN_KERNELS = new URL('../../build/kernels.wasm', import.meta.url);
export const RELAXED_KERNELS = new URL('../../build/kernels-relaxed.wasm', import.meta.url);

/** Read on the first Pool that uses them. */
export const readBuiltinKernels = (build: KernelBuild = 'baseline'): Uint8Array => readFileSync(build === 'relaxed' ? RELAXED_KERNELS : BUILTIN_KERNELS);

/** Node reads synchronously, so the Pool constructor validates every module before it returns. */
export const nodeReader: ModuleReader = {
  locate(source) {
    const path = toPath(source);
    const problem = fileProblem(path);
    if (problem) throw new TypeError(`Expected \`module\` to name an existing file, but ${path} ${problem}`);
    return pathToFileURL(path);
  },
  label: (url) => fileURLToPath(url),
  readBytes: (url) => readFileSync(url),
  readResource: (url) => ({ bytes: readFileSync(url) }),
  probesBindings: true,
  readText: (url) => (existsSync(url) ? readFileSync(url, 'utf8') : undefined),
  exists: (url) => existsSync(url),
  compileSource: (url, _label, options) => compileAssemblyScript(fileURLToPath(url), options).wasm,
};
