/**
 * The one reader of AssemblyScript strings in wasmpool: `abort`/`trace`
 * messages in workers and the kernel test harness both use it.
 *
 * An AS string is UTF-16 code units at `pointer`, its byte length in the
 * 32-bit word before it. @assemblyscript/loader reads them the same way but
 * only through an instance it created itself (`__getString`), which neither
 * modules with `--bindings raw` (their bindings instantiate) nor the harness
 * have; its decoding strategy is borrowed here instead.
 */

/** `fatal`: a lone surrogate (legal in AS strings) makes decode throw, and the fallback keeps it as is. */
const utf16 = typeof TextDecoder === 'undefined' ? undefined : new TextDecoder('utf-16le', { fatal: true });

/** Short strings (most messages) are one fromCharCode call; longer ones are decoded in one pass. */
const SMALL = 192;
/** Argument count per fromCharCode call in the fallback: far below any engine's limit on spread arguments. */
const CHUNK = 1024;

export function readAsString(memory: WebAssembly.Memory, pointer: number): string {
  if (!pointer) return '';
  const buffer = memory.buffer;
  const byteLength = new Uint32Array(buffer, (pointer - 4) & ~3, 1)[0];
  const units = new Uint16Array(buffer, pointer, byteLength >>> 1);
  if (units.length <= SMALL) return String.fromCharCode(...units);
  try {
    // Node decodes a view of shared memory; browsers refuse one (TypeError) and take the fallback.
    if (utf16) return utf16.decode(units);
  } catch {
    // fall through
  }
  let text = '';
  for (let start = 0; start < units.length; start += CHUNK) text += String.fromCharCode(...units.subarray(start, start + CHUNK));
  return text;
}
