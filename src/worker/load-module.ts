import type { ModuleSpec } from '../abi/protocol.js';
import { createHostImports, type HostServices } from '../wasm/host-imports.js';

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

export async function loadModule(spec: ModuleSpec, services: HostServices, importUrl: (url: string) => Promise<object>): Promise<LoadedModule> {
  if (spec.kind === 'js') {
    const kernels = functionsOf(await importUrl(spec.url));
    return { kernels, resettable: false, reload() {} };
  }
  let memory: WebAssembly.Memory | undefined = spec.memory;
  const imports = createHostImports(() => memory!, services);
  if (spec.memory) (imports.env as Record<string, unknown>).memory = spec.memory;

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
      const instance = new WebAssembly.Instance(spec.module, imports);
      memory = spec.memory ?? (instance.exports.memory as WebAssembly.Memory | undefined);
      loaded.kernels = functionsOf(instance.exports);
      return undefined;
    },
  };
  await loaded.reload();
  return loaded;
}
