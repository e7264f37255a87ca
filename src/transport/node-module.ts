import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ModuleSource } from '../options.js';
import { checkImports, compileWasm, infoOf, type PreparedModule } from '../wasm/prepare-module.js';
import { describe } from '../validate.js';

export const BUILTIN_KERNELS = new URL('../../build/kernels.wasm', import.meta.url);

const RAW_BINDINGS = /export\s+async\s+function\s+instantiate\s*\(/;

function isRawBindings(path: string): boolean {
  return existsSync(path) && RAW_BINDINGS.test(readFileSync(path, 'utf8'));
}

function toPath(source: string | URL): string {
  if (source instanceof URL || /^file:/.test(source)) {
    const url = new URL(source);
    if (url.protocol !== 'file:') throw new TypeError(`Expected \`module\` to be a file path or file: URL in Node, got ${url.href}`);
    return fileURLToPath(url);
  }
  if (/^[a-z][a-z0-9+.-]+:\/\//i.test(source)) throw new TypeError(`Expected \`module\` to be a file path or file: URL in Node, got ${source}`);
  return resolve(source);
}

function fromWasmFile(path: string, label: string): PreparedModule {
  const { module, info } = compileWasm(readFileSync(path), label);
  const bindings = path.replace(/\.wasm$/, '.js');
  const bindingsUrl = isRawBindings(bindings) ? pathToFileURL(bindings).href : undefined;
  checkImports(module, label, bindingsUrl !== undefined);
  return { spec: { kind: 'wasm', module, bindingsUrl }, info, label };
}

/** Node: everything is read and compiled synchronously, so the Pool constructor can validate it all. */
export function prepareNodeModule(source: ModuleSource | undefined): PreparedModule {
  if (source === undefined) return fromWasmFile(fileURLToPath(BUILTIN_KERNELS), 'wasmpool built-in kernels');
  if (source instanceof WebAssembly.Module) {
    checkImports(source, 'given as a WebAssembly.Module', false);
    if (!infoOf(source) && WebAssembly.Module.imports(source).some((entry) => entry.kind === 'memory')) {
      // The JS API does not tell an imported memory's limits, and a memory that does not match fails to link.
      throw new TypeError(
        'The WebAssembly.Module given as `module` imports a memory whose limits cannot be read from a compiled Module; pass its bytes or path instead',
      );
    }
    return { spec: { kind: 'wasm', module: source }, info: infoOf(source), label: 'given as a WebAssembly.Module' };
  }
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) {
    const bytes = source instanceof ArrayBuffer ? new Uint8Array(source) : source;
    const { module, info } = compileWasm(bytes, `(${bytes.length} bytes)`);
    checkImports(module, `(${bytes.length} bytes)`, false);
    return { spec: { kind: 'wasm', module }, info, label: `(${bytes.length} bytes)` };
  }
  if (typeof source !== 'string' && !(source instanceof URL)) {
    throw new TypeError(`Expected \`module\` to be a path, URL, bytes or WebAssembly.Module, got ${describe(source)}`);
  }
  const path = toPath(source);
  if (!existsSync(path) || !statSync(path).isFile()) throw new TypeError(`Expected \`module\` to name an existing file, but ${path} does not exist`);
  const extension = extname(path);
  if (extension === '.wasm') return fromWasmFile(path, path);
  if (extension === '.js' || extension === '.mjs') {
    if (isRawBindings(path)) {
      const wasm = path.replace(/\.m?js$/, '.wasm');
      if (!existsSync(wasm)) throw new TypeError(`${path} looks like AssemblyScript bindings, but ${wasm} is not beside it`);
      return fromWasmFile(wasm, wasm);
    }
    return { spec: { kind: 'js', url: pathToFileURL(path).href }, info: undefined, label: path };
  }
  throw new TypeError(`Expected \`module\` to be a .wasm, .js or .mjs file, got ${path}`);
}
