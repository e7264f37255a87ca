import type { SerializedError } from '../abi/protocol.js';
import { KernelAbort } from '../wasm/host-imports.js';

/** Turns whatever a kernel threw into plain data that survives postMessage. */
export function serializeError(error: unknown, fromWasm: boolean): SerializedError {
  if (error instanceof KernelAbort) return { name: 'Error', message: error.message, stack: error.stack, origin: 'abort' };
  if (error instanceof Error) {
    const trap = fromWasm && (error instanceof WebAssembly.RuntimeError || error instanceof RangeError);
    return { name: error.name, message: error.message, stack: error.stack, origin: trap ? 'trap' : 'throw' };
  }
  return { name: 'Error', message: String(error), origin: 'throw' };
}
