import type { ModuleSpec } from '../abi/protocol.js';
import type { ModuleSource } from '../options.js';
import { describe } from '../validate.js';
import type { WasmModuleInfo } from '../wasm/inspect.js';
import { checkImports, compileFailure, compileWasm, createSharedMemory, infoOf, inspectModuleBytes, type PreparedModule } from '../wasm/prepare-module.js';

/** Beside dist/transport/, as in the package: a bundler that understands `new URL(..., import.meta.url)` copies it. */
const BUILTIN_KERNELS = new URL('../../build/kernels.wasm', import.meta.url);

const RAW_BINDINGS = /export\s+async\s+function\s+instantiate\s*\(/;

/**
 * Modules whose URL is still being fetched and compiled: the placeholder spec a
 * Pool holds → the real spec. The browser transport posts a worker's `init`
 * (and everything after it) only once this settles; see `resolveModuleSpec`.
 */
const deferred = new WeakMap<ModuleSpec, Promise<ModuleSpec>>();

/** Signatures and memory limits of every module compiled here, for the non-isolated fallback. */
const compiledInfo = new WeakMap<WebAssembly.Module, WasmModuleInfo>();

let builtin: PreparedModule | Error | undefined;

export function moduleInfo(module: WebAssembly.Module): WasmModuleInfo | undefined {
  return compiledInfo.get(module) ?? infoOf(module);
}

/** The spec to post to a worker: at once, or once its URL has been fetched and compiled. */
export function resolveModuleSpec(spec: ModuleSpec): ModuleSpec | Promise<ModuleSpec> {
  return deferred.get(spec) ?? spec;
}

function baseUrl(): string {
  const scope = globalThis as { document?: { baseURI: string }; location?: { href: string } };
  return scope.document?.baseURI ?? scope.location?.href ?? BUILTIN_KERNELS.href;
}

async function fetchOk(url: string, label: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new TypeError(`Could not fetch the task module ${label}: ${(error as Error).message}`, { cause: error });
  }
  if (!response.ok) throw new TypeError(`Could not fetch the task module ${label}: HTTP ${response.status} ${response.statusText}`);
  return response;
}

/** AssemblyScript's raw bindings beside a .wasm, if the server has them. */
async function findBindings(wasmUrl: string): Promise<string | undefined> {
  const url = wasmUrl.replace(/\.wasm(?=$|[?#])/, '.js');
  if (url === wasmUrl) return undefined;
  try {
    const response = await fetch(url);
    return response.ok && RAW_BINDINGS.test(await response.text()) ? url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Fetches and compiles off the main thread's critical path. Bytes are read in
 * full (not compileStreaming) because the signatures come from parsing them.
 */
async function compileFromUrl(url: string, label: string, lookForBindings: boolean): Promise<{ spec: ModuleSpec; info: WasmModuleInfo }> {
  const response = await fetchOk(url, label);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const info = inspectModuleBytes(bytes, label);
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(bytes);
  } catch (error) {
    throw compileFailure(error, label);
  }
  compiledInfo.set(module, info);
  const bindingsUrl = lookForBindings ? await findBindings(url) : undefined;
  checkImports(module, label, bindingsUrl !== undefined);
  return { spec: { kind: 'wasm', module, bindingsUrl }, info };
}

/**
 * Run once when wasmpool is imported (top-level await in browser.ts), so that
 * `new Pool()` with the built-in kernels is as synchronous, and validates
 * arguments as early, as in Node. A failure is kept and thrown by the first
 * Pool that needs the built-in module, not by the import.
 */
export async function preloadBuiltinKernels(): Promise<void> {
  try {
    const { spec, info } = await compileFromUrl(BUILTIN_KERNELS.href, `wasmpool built-in kernels (${BUILTIN_KERNELS.href})`, false);
    builtin = { spec, info, label: 'wasmpool built-in kernels' };
  } catch (error) {
    builtin = error as Error;
  }
}

/**
 * A .wasm URL cannot be fetched synchronously, so the Pool gets a placeholder
 * at once and its workers get the module when it is compiled. Until then the
 * pool has no signatures, so arguments are checked against the WASM signature
 * only from then on (earlier tasks get the JS API's own coercion). The workers
 * keep the placeholder as their spec; the transport swaps in the real one.
 * The shared memory such a module imports is created here, once per pool, and
 * is not visible as `pool.memory`: pass bytes or the built-in module for that.
 */
function deferWasm(url: string): PreparedModule {
  const placeholder: ModuleSpec = { kind: 'js', url };
  const prepared: PreparedModule = { spec: placeholder, info: undefined, label: url };
  deferred.set(
    placeholder,
    compileFromUrl(url, url, true).then(({ spec, info }) => {
      // The Pool reads these per call, so its argument checks start now.
      prepared.spec = spec;
      prepared.info = info;
      const memory = createSharedMemory(info, url);
      return spec.kind === 'wasm' && memory ? { ...spec, memory } : spec;
    }),
  );
  return prepared;
}

/** The browser's `Platform.prepareModule`: synchronous for bytes, Modules and JS URLs; deferred for .wasm URLs. */
export function prepareBrowserModule(source: ModuleSource | undefined): PreparedModule {
  if (source === undefined) {
    if (builtin instanceof Error) throw new TypeError(`The built-in kernels could not be loaded: ${builtin.message}`, { cause: builtin });
    if (!builtin) throw new Error('wasmpool: the built-in kernels are still loading; import from "wasmpool", not from an internal file');
    return { ...builtin };
  }
  if (source instanceof WebAssembly.Module) {
    checkImports(source, 'given as a WebAssembly.Module', false);
    return { spec: { kind: 'wasm', module: source }, info: moduleInfo(source), label: 'given as a WebAssembly.Module' };
  }
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) {
    const bytes = source instanceof ArrayBuffer ? new Uint8Array(source) : source;
    const label = `(${bytes.length} bytes)`;
    const { module, info } = compileWasm(bytes, label);
    compiledInfo.set(module, info);
    checkImports(module, label, false);
    return { spec: { kind: 'wasm', module }, info, label };
  }
  if (typeof source !== 'string' && !(source instanceof URL)) {
    throw new TypeError(`Expected \`module\` to be a URL, bytes or WebAssembly.Module, got ${describe(source)}`);
  }
  let url: URL;
  try {
    url = new URL(source, baseUrl());
  } catch {
    throw new TypeError(`Expected \`module\` to be a URL, bytes or WebAssembly.Module, got ${describe(source)}`);
  }
  if (/\.wasm$/.test(url.pathname)) return deferWasm(url.href);
  if (/\.m?js$/.test(url.pathname)) return { spec: { kind: 'js', url: url.href }, info: undefined, label: url.href };
  throw new TypeError(`Expected \`module\` to be the URL of a .wasm, .js or .mjs file, got ${url.href}`);
}
