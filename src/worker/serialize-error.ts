import type { SerializedError } from '../abi/protocol.js';
import { KernelAbort } from '../wasm/host-imports.js';

/** Turns whatever a kernel threw into plain data that survives postMessage. */
export function serializeError(error: unknown, fromWasm: boolean): SerializedError {
  if (error instanceof KernelAbort) return { name: 'Error', message: error.message, stack: error.stack, origin: 'abort' };
  if (error instanceof Error) {
    const trap = fromWasm && (error instanceof WebAssembly.RuntimeError || error instanceof RangeError);
    // JavaScriptCore (Bun) ends a trap's message with the JS call that ran it, " (evaluating
    // 'kernel(...unit.args)')": wasmpool's own code, nothing the kernel's author can act on.
    const message = trap ? error.message.replace(/ \(evaluating '.*'\)$/, '') : error.message;
    return { name: error.name, message, stack: error.stack, origin: trap ? 'trap' : 'throw' };
  }
  return { name: 'Error', message: String(error), origin: 'throw' };
}
