import type { ModuleSpec } from '../abi/protocol.js';
import { createHostImports, type HostServices } from '../wasm/host-imports.js';
import { instantiateSpec } from '../wasm/instantiate.js';
import { claimKernelHeap } from '../wasm/kernel-heaps.js';
import { locateTrap, SourceMap } from '../wasm/source-map.js';

export type Kernel = (...args: unknown[]) => unknown;

/** A loaded task module: its kernels, and how to get a clean copy after a trap. */
export interface LoadedModule {
  kernels: Map<string, Kernel>;
  /** True when a failure may leave state behind (a WASM instance), so reload() should follow it. */
  readonly resettable: boolean;
  reload(): Promise<void> | void;
}

/**
 * Functions exported by a module. AssemblyScript's bindings keep the raw WASM
 * exports on the prototype and adapt only what needs converting, so the
 * prototype is read too; `__new`-style runtime helpers are not kernels.
 */
function functionsOf(exports: object): Map<string, Kernel> {
  const kernels = new Map<string, Kernel>();
  const prototype: unknown = Object.getPrototypeOf(exports);
  const layers = prototype && prototype !== Object.prototype ? [prototype as object, exports] : [exports];
  for (const layer of layers) {
    for (const [name, value] of Object.entries(layer)) {
      if (typeof value === 'function' && !name.startsWith('__')) kernels.set(name, value as Kernel);
    }
  }
  return kernels;
}

/** What of the worker's `init` message loading needs: who it is (to claim a kernel heap) and its initializer. */
export interface LoadContext {
  serial: number;
  initializer?: string;
}

/**
 * What the worker adds around each kernel of a module wasmpool built. Its AssemblyScript runtime
 * allocates in this worker's own region (src/wasm/kernel-heaps.ts): after each call what it
 * allocated is given back, and after the module's start and the initializer what they allocated is
 * kept (assembly/lib/runtime.ts). A debug build's traps get their function and source position.
 */
function wrapKernels(
  kernels: Map<string, Kernel>,
  instance: WebAssembly.Instance,
  module: WebAssembly.Module,
  initializer: string | undefined,
): Map<string, Kernel> {
  const mark = instance.exports.__wasmpool_mark as (() => void) | undefined;
  const reset = instance.exports.__wasmpool_reset as (() => void) | undefined;
  const map = SourceMap.of(module);
  if ((!mark || !reset) && !map) return kernels;
  mark?.();
  const wrapped = new Map<string, Kernel>();
  for (const [name, kernel] of kernels) {
    const after = name === initializer ? mark : reset;
    wrapped.set(name, (...args) => {
      try {
        return kernel(...args);
      } catch (error) {
        if (map) locateTrap(error, map);
        throw error;
      } finally {
        after?.();
      }
    });
  }
  return wrapped;
}

/** The two globals wasmpool's runtime imports: this worker's region of the shared memory. */
function heapImports(spec: Extract<ModuleSpec, { kind: 'wasm' }>, serial: number): Record<string, WebAssembly.Global> | undefined {
  const imported = new Set(WebAssembly.Module.imports(spec.module).flatMap((entry) => (entry.module === 'wasmpool' ? [entry.name] : [])));
  if (!imported.has('heapStart')) return undefined;
  const region = (start: number, end: number) => ({
    heapStart: new WebAssembly.Global({ value: 'i32' }, start),
    heapEnd: new WebAssembly.Global({ value: 'i32' }, end),
  });
  // Without heapEnd the allocator was compiled out: the module never allocates, and needs no region.
  if (!imported.has('heapEnd')) return region(0, 0);
  if (!spec.kernelHeaps || !spec.memory) {
    throw new TypeError(
      "this module allocates with wasmpool's runtime, which needs a heap per worker that the pool reserves in its shared memory when it knows the module at construction; in a browser, use a cross-origin isolated page and pass the .wasm's bytes (fetched) as `module`",
    );
  }
  const [start, end] = claimKernelHeap(spec.memory, spec.kernelHeaps, serial);
  return region(start, end);
}

export async function loadModule(
  spec: ModuleSpec,
  services: HostServices,
  importUrl: (url: string) => Promise<object>,
  context: LoadContext = { serial: 0 },
): Promise<LoadedModule> {
  if (spec.kind === 'js') {
    const kernels = functionsOf(await importUrl(spec.url));
    return { kernels, resettable: false, reload() {} };
  }
  let memory: WebAssembly.Memory | undefined = spec.memory;
  const imports = createHostImports(() => memory!, services);
  if (spec.memory) (imports.env as Record<string, unknown>).memory = spec.memory;
  // Claimed once: a reload after a trap keeps this worker's region.
  const heap = heapImports(spec, context.serial);
  if (heap) Object.assign(imports.wasmpool as Record<string, unknown>, heap);

  const loaded: LoadedModule = {
    kernels: new Map(),
    resettable: true,
    reload() {
      const bindingsUrl = spec.bindingsUrl;
      if (bindingsUrl) {
        return (async () => {
          const bindings = (await importUrl(bindingsUrl)) as { instantiate?: (m: WebAssembly.Module, i: WebAssembly.Imports) => Promise<object> };
          if (typeof bindings.instantiate !== 'function') {
            throw new TypeError(`${bindingsUrl} does not export instantiate(); build it with \`asc --bindings raw\``);
          }
          const adapted = await bindings.instantiate(spec.module, imports);
          memory = spec.memory ?? ((adapted as { memory?: WebAssembly.Memory }).memory as WebAssembly.Memory);
          loaded.kernels = functionsOf(adapted);
        })();
      }
      // Synchronous on purpose (no async function, no Promise): the module is already compiled, and a sync
      // reload after a trap keeps the task loop synchronous.
      const { instance, exports } = instantiateSpec(spec, imports);
      memory = spec.memory ?? (instance.exports.memory as WebAssembly.Memory | undefined);
      loaded.kernels = wrapKernels(functionsOf(exports), instance, spec.module, context.initializer);
      return undefined;
    },
  };
  await loaded.reload();
  return loaded;
}
