import type { ModuleSpec } from '../abi/protocol.js';

/**
 * A WASM task module instantiated, synchronously, with its `overrides` (if any) on the same imports: the exports
 * are the module's with the overrides' replacing those of the same names. One function for the worker and the
 * pool's own instance on the calling thread, so both run the same build of every kernel.
 */
export function instantiateSpec(
  spec: Extract<ModuleSpec, { kind: 'wasm' }>,
  imports: WebAssembly.Imports,
): { instance: WebAssembly.Instance; exports: WebAssembly.Exports } {
  const instance = new WebAssembly.Instance(spec.module, imports);
  if (!spec.overrides) return { instance, exports: instance.exports };
  return { instance, exports: { ...instance.exports, ...new WebAssembly.Instance(spec.overrides, imports).exports } };
}
