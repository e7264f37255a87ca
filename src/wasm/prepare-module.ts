import type { ModuleSpec } from '../abi/protocol.js';
import { inspectWasm, type WasmModuleInfo } from './inspect.js';

/** A task module ready to hand to workers, plus what the main thread knows about it. */
export interface PreparedModule {
  spec: ModuleSpec;
  /** Kernel signatures and memory needs; undefined for JS modules and for a Module given without bytes. */
  info: WasmModuleInfo | undefined;
  /** For error messages: where the module came from. */
  label: string;
}

/** Host imports the worker provides (see host-imports.ts); anything else cannot link. */
const PROVIDED_IMPORTS = new Set([
  'env.abort',
  'env.trace',
  'env.seed',
  'env.memory',
  'wasmpool.log',
  'wasmpool.logNumber',
  'wasmpool.sleep',
  'wasmpool.now',
  'wasmpool.random',
]);

/** Modules compiled from bytes we saw, so a Module reused for a second pool keeps its signatures. */
const knownInfo = new WeakMap<WebAssembly.Module, WasmModuleInfo>();

/** Reads a binary's kernels and memory needs, or says plainly that `label` is not WebAssembly. */
export function inspectModuleBytes(bytes: Uint8Array, label: string): WasmModuleInfo {
  try {
    return inspectWasm(bytes);
  } catch (error) {
    throw new TypeError(`Expected \`module\` to be a WebAssembly module, but ${label} is not one (${(error as Error).message})`, { cause: error });
  }
}

/** The error for a binary that parses but does not compile (e.g. a feature the runtime lacks). */
export function compileFailure(error: unknown, label: string): TypeError {
  return new TypeError(`Could not compile the WebAssembly module ${label}: ${(error as Error).message}`, { cause: error });
}

export function compileWasm(bytes: Uint8Array, label: string): { module: WebAssembly.Module; info: WasmModuleInfo } {
  const info = inspectModuleBytes(bytes, label);
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  } catch (error) {
    throw compileFailure(error, label);
  }
  knownInfo.set(module, info);
  return { module, info };
}

export function infoOf(module: WebAssembly.Module): WasmModuleInfo | undefined {
  return knownInfo.get(module);
}

/** Fails at the Pool constructor, not on every task, when a module could never be instantiated. */
export function checkImports(module: WebAssembly.Module, label: string, hasBindings: boolean): void {
  if (hasBindings) return; // the bindings supply imports of their own
  for (const entry of WebAssembly.Module.imports(module)) {
    const name = `${entry.module}.${entry.name}`;
    if (!PROVIDED_IMPORTS.has(name)) {
      throw new TypeError(
        `The WebAssembly module ${label} imports \`${name}\` (${entry.kind}), which wasmpool does not provide; it provides ${[...PROVIDED_IMPORTS].join(', ')}`,
      );
    }
  }
}

/** The memory a module that imports a shared `env.memory` must get: the same limits, or it fails to link. */
export function createSharedMemory(info: WasmModuleInfo | undefined, label: string): WebAssembly.Memory | undefined {
  const wanted = info?.memoryImport;
  if (!wanted) return undefined;
  if (!wanted.shared || wanted.maximum === undefined) {
    throw new TypeError(
      `The WebAssembly module ${label} imports a non-shared memory; build it with \`--sharedMemory --maximumMemory N\` (shared across workers) or let it define its own memory`,
    );
  }
  return new WebAssembly.Memory({ initial: wanted.initial, maximum: wanted.maximum, shared: true });
}
