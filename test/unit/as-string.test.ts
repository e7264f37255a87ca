// The one AssemblyScript string reader (abort/trace messages, the kernel harness), on memories laid
// out as AS lays out a string: byte length in the word before the pointer, UTF-16 code units after.
import { describe, expect, it } from 'vitest';
import { readAsString } from '../../dist/wasm/as-string.js';

function memoryWith(text: string, pointer: number, shared: boolean): WebAssembly.Memory {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared });
  new Uint32Array(memory.buffer)[(pointer - 4) >>> 2] = text.length * 2;
  const units = new Uint16Array(memory.buffer, pointer, text.length);
  for (let i = 0; i < text.length; i++) units[i] = text.charCodeAt(i);
  return memory;
}

describe.each([true, false])('readAsString (shared memory: %s)', (shared) => {
  it('reads a short message', () => {
    expect(readAsString(memoryWith('x must not be positive', 64, shared), 64)).toBe('x must not be positive');
  });

  it('reads a string longer than one fromCharCode call, with non-ASCII text', () => {
    const text = `${'Größe ≠ 0; '.repeat(900)}end`;
    expect(readAsString(memoryWith(text, 1024, shared), 1024)).toBe(text);
  });

  it('keeps a lone surrogate (legal in AS strings) in a long string instead of replacing it', () => {
    const text = `${'a'.repeat(500)}\ud800${'b'.repeat(500)}`;
    const read = readAsString(memoryWith(text, 256, shared), 256);
    expect(read.length).toBe(1001);
    expect(read.charCodeAt(500)).toBe(0xd800);
  });

  it('reads the null pointer (no file name given to abort) as the empty string', () => {
    expect(readAsString(memoryWith('ignored', 64, shared), 0)).toBe('');
  });

  it('reads the empty string', () => {
    expect(readAsString(memoryWith('', 64, shared), 64)).toBe('');
  });
});
