// Instantiates build/kernels.wasm directly on a fresh shared memory, without a pool: the kernel
// tests call thousands of cases and need no workers for that. Typed arrays are copied into the
// memory by a bump allocator and read back after the call, so a kernel's writes can be compared.
import { readFileSync } from 'node:fs';
import { readAsString } from '../../dist/wasm/as-string.js';

type Typed = Float64Array | Float32Array | Uint32Array | Int32Array | Uint8Array | Uint8ClampedArray;
type Kernel = (...args: number[]) => number | undefined;

const wasmPath = new URL('../../build/kernels.wasm', import.meta.url);
const module = new WebAssembly.Module(readFileSync(wasmPath));

/** Above the module's static data (a few KiB), as the pool's heap is. */
const HEAP_BASE = 65536;

export class WasmKernels {
  readonly memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
  readonly exports: Record<string, Kernel>;
  #top = HEAP_BASE;

  constructor() {
    const text = (ptr: number): string => readAsString(this.memory, ptr);
    const instance = new WebAssembly.Instance(module, {
      env: {
        memory: this.memory,
        abort: (message: number, file: number, line: number, column: number) => {
          throw new Error(`${text(message)} at ${text(file)}:${line}:${column}`);
        },
        seed: () => 1,
        trace: () => {},
      },
      wasmpool: { now: () => performance.now(), log: () => {}, logNumber: () => {}, sleep: () => {}, random: () => 0.5 },
    });
    this.exports = instance.exports as unknown as Record<string, Kernel>;
  }

  /**
   * Calls `name`, replacing each typed array by (byteOffset, length) of a copy in shared memory and
   * copying every array back afterwards (so in-place kernels update the caller's arrays).
   */
  call(name: string, ...args: Array<number | Typed>): number | undefined {
    this.#top = HEAP_BASE;
    const copies: Array<[Typed, number]> = [];
    const lowered: number[] = [];
    for (const arg of args) {
      if (typeof arg === 'number') {
        lowered.push(arg);
        continue;
      }
      const offset = this.#reserve(arg.byteLength);
      new Uint8Array(this.memory.buffer, offset, arg.byteLength).set(new Uint8Array(arg.buffer, arg.byteOffset, arg.byteLength));
      copies.push([arg, offset]);
      lowered.push(offset, arg.length);
    }
    const kernel = this.exports[name];
    if (typeof kernel !== 'function') throw new Error(`no kernel ${name}`);
    const result = kernel(...lowered);
    for (const [arg, offset] of copies)
      new Uint8Array(arg.buffer, arg.byteOffset, arg.byteLength).set(new Uint8Array(this.memory.buffer, offset, arg.byteLength));
    return result;
  }

  #reserve(bytes: number): number {
    // Odd offsets (8 past a 16-byte boundary) on purpose: v128 loads must not assume alignment.
    const offset = this.#top + 8;
    this.#top = Math.ceil((offset + bytes) / 16) * 16;
    const needed = Math.ceil(this.#top / 65536) - this.memory.buffer.byteLength / 65536;
    if (needed > 0) this.memory.grow(needed);
    return offset;
  }
}
