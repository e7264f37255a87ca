import type { ModuleSpec } from '../abi/protocol.js';
import { infoOf, rememberInfo } from '../modules/registry.js';
import { inspectWasm, type WasmModuleInfo } from './inspect.js';

/** A task module ready to hand to workers, plus what the main thread knows about it. */
export interface PreparedModule {
  spec: ModuleSpec;
  /** Kernel signatures and memory needs; undefined for JS modules and until a deferred module has compiled. */
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
  'wasmpool.heapStart',
  'wasmpool.heapEnd',
]);

/** Reads a binary's kernels and memory needs, or says plainly that `label` is not WebAssembly. */
export function inspectModuleBytes(bytes: Uint8Array, label: string): WasmModuleInfo {
  try {
    return inspectWasm(bytes);
  } catch (error) {
    throw new TypeError(`Expected \`module\` to be a WebAssembly module, but ${label} is not one (${(error as Error).message})`, { cause: error });
  }
}

/** The error for a binary that parses but does not compile (e.g. a feature the runtime lacks). */
function compileFailure(error: unknown, label: string): TypeError {
  return new TypeError(`Could not compile the WebAssembly module ${label}: ${(error as Error).message}`, { cause: error });
}

export interface CompiledWasm {
  module: WebAssembly.Module;
  info: WasmModuleInfo;
}

function remembered(module: WebAssembly.Module, info: WasmModuleInfo): CompiledWasm {
  rememberInfo(module, info);
  return { module, info };
}

/** Synchronous, so the Pool constructor can report a bad binary itself. */
export function compileWasm(bytes: Uint8Array, label: string): CompiledWasm {
  const info = inspectModuleBytes(bytes, label);
  try {
    return remembered(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), info);
  } catch (error) {
    throw compileFailure(error, label);
  }
}

/** For bytes that arrive later anyway (fetch): off the main thread's critical path, and no size limit. */
export async function compileWasmAsync(bytes: Uint8Array, label: string): Promise<CompiledWasm> {
  const info = inspectModuleBytes(bytes, label);
  const module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>).catch((error: unknown) => {
    throw compileFailure(error, label);
  });
  return remembered(module, info);
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

/**
 * A compiled Module tells its imports but not an imported memory's limits, and
 * a memory that does not match fails to link inside every worker. Rejected
 * here, on every platform, unless we compiled that Module from bytes ourselves.
 */
export function checkCompiledModule(module: WebAssembly.Module): WasmModuleInfo | undefined {
  const label = 'given as a WebAssembly.Module';
  checkImports(module, label, false);
  const info = infoOf(module);
  if (!info && WebAssembly.Module.imports(module).some((entry) => entry.kind === 'memory')) {
    throw new TypeError(
      'Expected `module` to be a WebAssembly.Module whose memory the pool can create, but the one given imports a memory whose limits a compiled Module does not reveal; pass its bytes, path or URL instead',
    );
  }
  return info;
}

/**
 * A module on a shared memory whose allocator every worker would run from the same addresses: those
 * allocations would land on pool arrays and on each other. Refused at load, saying how to build it.
 */
function checkAllocator(info: WasmModuleInfo, label: string): void {
  if (info.ownHeaps || info.mutablePointerGlobals === 0) return;
  throw new TypeError(
    `The WebAssembly module ${label} imports a shared memory and keeps ${info.mutablePointerGlobals === 1 ? 'a pointer in a mutable global' : `${info.mutablePointerGlobals} pointers in mutable globals`} ` +
      "(an allocator's heap pointer, such as AssemblyScript's `--runtime stub` or `incremental` keeps, or a stack pointer), which every worker would start at the same address: " +
      'its allocations would overwrite pool arrays and each other. Build it with `npx wasmpool build FILE.ts` (or pass the .ts as `module`), ' +
      "which gives each worker's instance its own heap; or, for a module that must not allocate, drop the allocation (or the global)",
  );
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
  checkAllocator(info, label);
  return new WebAssembly.Memory({ initial: wanted.initial, maximum: wanted.maximum, shared: true });
}
