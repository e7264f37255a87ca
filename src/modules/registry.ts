/**
 * What the main thread remembers about task modules between preparing them and
 * posting them to workers. No runtime imports on purpose: the browser transport
 * reads this file, and transport/ must not pull in the WASM tooling.
 */
import type { ModuleSpec } from '../abi/protocol.js';
import type { WasmModuleInfo } from '../wasm/inspect.js';

/** Modules compiled from bytes we saw: a Module reused for a second pool keeps its signatures and memory limits. */
const knownInfo = new WeakMap<WebAssembly.Module, WasmModuleInfo>();

/**
 * Modules whose bytes are still being read (a browser's fetch): the
 * placeholder spec a Pool holds → the real spec. The browser transport posts a
 * worker's `init` (and everything after it) only once this settles.
 */
const deferred = new WeakMap<ModuleSpec, Promise<ModuleSpec>>();

export function rememberInfo(module: WebAssembly.Module, info: WasmModuleInfo): void {
  knownInfo.set(module, info);
}

export function infoOf(module: WebAssembly.Module): WasmModuleInfo | undefined {
  return knownInfo.get(module);
}

/** A prepared module (its owner object) → its load, while it is still loading. */
const loading = new WeakMap<object, { load: Promise<unknown>; mayBeWasm: boolean }>();

/**
 * `mayBeWasm`: the module may turn out plain WebAssembly (a `.wasm` URL, or one whose kind is read from its
 * bytes), whose typed-array arguments need its memory; a `.js` URL is a JS module or bindings, which take them as they are.
 */
export function deferSpec(placeholder: ModuleSpec, owner: object, real: Promise<ModuleSpec>, mayBeWasm: boolean): void {
  deferred.set(placeholder, real);
  loading.set(owner, { load: real, mayBeWasm });
  const done = (): void => void loading.delete(owner);
  real.then(done, done);
}

/** While `owner`'s module is being fetched and compiled: its load (settles either way); afterwards undefined. */
export function stillLoading(owner: object): Promise<unknown> | undefined {
  return loading.get(owner)?.load;
}

/** Whether `owner`'s module is still loading and may be plain WebAssembly (so typed arrays cannot be lowered yet). */
export function loadingWasm(owner: object): boolean {
  return loading.get(owner)?.mayBeWasm === true;
}

/** The spec to post to a worker: at once, or once its bytes have been read and compiled. */
export function resolveModuleSpec(spec: ModuleSpec): ModuleSpec | Promise<ModuleSpec> {
  return deferred.get(spec) ?? spec;
}
