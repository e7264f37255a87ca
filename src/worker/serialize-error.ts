import type { SerializedError } from '../abi/protocol.js';
import { KernelAbort } from '../wasm/host-imports.js';

/** How deep a chain of `cause`s is followed (a cycle or a long chain must not blow up the message). */
const MAX_CAUSE_DEPTH = 4;

/** Turns whatever a kernel threw into plain data that survives postMessage: name, message, stack, own fields, cause. */
export function serializeError(error: unknown, fromWasm: boolean, depth = 0): SerializedError {
  if (error instanceof KernelAbort) return { name: 'Error', message: error.message, stack: error.stack, origin: 'abort' };
  if (error instanceof Error) {
    const trap = fromWasm && (error instanceof WebAssembly.RuntimeError || error instanceof RangeError);
    // JavaScriptCore (Bun) ends a trap's message with the JS call that ran it, " (evaluating
    // 'kernel(...unit.args)')": wasmpool's own code, nothing the kernel's author can act on.
    const message = trap ? error.message.replace(/ \(evaluating '.*'\)$/, '') : error.message;
    const serialized: SerializedError = { name: error.name, message, stack: error.stack, origin: trap ? 'trap' : 'throw' };
    const fields = ownFields(error);
    if (fields) serialized.fields = fields;
    if ('cause' in error && error.cause !== undefined && depth < MAX_CAUSE_DEPTH) {
      const cause = error.cause;
      serialized.cause = cause instanceof Error ? serializeError(cause, false, depth + 1) : cloneable(cause) ? { value: cause } : { value: String(cause) };
    }
    return serialized;
  }
  return { name: 'Error', message: String(error), origin: 'throw' };
}

/** The error's own enumerable properties whose values structured clone can copy; undefined if there are none. */
function ownFields(error: Error): Record<string, unknown> | undefined {
  let fields: Record<string, unknown> | undefined;
  for (const key of Object.keys(error)) {
    if (key === 'cause' || key === 'name' || key === 'message' || key === 'stack') continue;
    let value: unknown;
    try {
      value = (error as unknown as Record<string, unknown>)[key];
    } catch {
      continue; // a getter that throws: leave it out
    }
    if (!cloneable(value)) continue;
    (fields ??= {})[key] = value;
  }
  return fields;
}

function cloneable(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return typeof value !== 'function' && typeof value !== 'symbol';
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}
