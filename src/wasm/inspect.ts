/**
 * Reads what the JS API does not tell us about a WASM binary: each exported
 * function's parameter types (so arguments are checked before dispatch), the
 * limits of an imported memory (so the pool creates one that links), and where
 * static data ends (so the shared heap starts above it).
 */

import { decodeTypes, TYPES_SECTION, type SourceSignature } from './kernel-types.js';

export type WasmValueType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128' | 'ref';

export interface KernelSignature {
  params: WasmValueType[];
  results: WasmValueType[];
}

export interface MemoryImport {
  module: string;
  name: string;
  initial: number;
  maximum: number | undefined;
  shared: boolean;
}

export interface WasmModuleInfo {
  kernels: Map<string, KernelSignature>;
  memoryImport: MemoryImport | undefined;
  /** First byte past the highest active data segment with a constant offset. */
  dataEnd: number;
  /** Built with wasmpool's AssemblyScript runtime (imports `wasmpool.heapStart`): each worker's instance has a heap of its own. */
  ownHeaps: boolean;
  /** That runtime's allocator is used (the module imports `wasmpool.heapEnd` too), so the pool must reserve the heaps. */
  allocates: boolean;
  /**
   * Mutable i32/i64 globals the module defines: where a runtime keeps a heap or stack pointer
   * (AssemblyScript's allocators, a C or Rust stack pointer). On a shared memory every worker's
   * instance would start that pointer at the same address.
   */
  mutablePointerGlobals: number;
  /** The source's parameter and result types, from the `wasmpool.kernels` section a wasmpool build writes. */
  types?: Map<string, SourceSignature>;
}

const VALUE_TYPES: Record<number, WasmValueType> = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128', 0x70: 'ref', 0x6f: 'ref' };

class Reader {
  offset = 0;
  constructor(private readonly bytes: Uint8Array) {}
  get done(): boolean {
    return this.offset >= this.bytes.length;
  }
  byte(): number {
    if (this.offset >= this.bytes.length) throw new RangeError('unexpected end of the WASM binary');
    return this.bytes[this.offset++];
  }
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
  }
  /** Signed LEB128, for i32.const offsets. */
  i32(): number {
    let result = 0;
    let shift = 0;
    let b: number;
    do {
      b = this.byte();
      result |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    if (shift < 32 && b & 0x40) result |= ~0 << shift;
    return result;
  }
  name(): string {
    const length = this.u32();
    const text = new TextDecoder().decode(this.bytes.subarray(this.offset, this.offset + length));
    this.offset += length;
    return text;
  }
  skip(n: number): void {
    this.offset += n;
  }
  limits(): { initial: number; maximum: number | undefined; shared: boolean } {
    const flags = this.byte();
    const initial = this.u32();
    const maximum = flags & 1 ? this.u32() : undefined;
    return { initial, maximum, shared: (flags & 2) !== 0 };
  }
  /** Skips a constant expression, returning its value if it is a plain i32.const. */
  constExpr(): number | undefined {
    let value: number | undefined;
    const op = this.byte();
    if (op === 0x41) value = this.i32();
    else if (op === 0x42) this.i32();
    else if (op === 0x43) this.skip(4);
    else if (op === 0x44) this.skip(8);
    else if (op === 0x23) this.u32();
    while (this.byte() !== 0x0b) {
      /* extended constant expressions: value unknown */
      value = undefined;
    }
    return value;
  }
}

export function inspectWasm(bytes: Uint8Array): WasmModuleInfo {
  const r = new Reader(bytes);
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new TypeError('not a WebAssembly binary (no \\0asm magic number)');
  }
  if (bytes[4] !== 1 || bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) {
    throw new TypeError(`unsupported WebAssembly binary version ${bytes[4] | (bytes[5] << 8) | (bytes[6] << 16) | (bytes[7] << 24)} (expected 1)`);
  }
  r.skip(8); // magic and version
  const types: KernelSignature[] = [];
  const functionTypes: number[] = [];
  const exported: Array<[string, number]> = [];
  let importedFunctions = 0;
  let memoryImport: MemoryImport | undefined;
  let dataEnd = 0;
  const globalImports = new Set<string>();
  let mutablePointerGlobals = 0;
  let sourceTypes: Map<string, SourceSignature> | undefined;

  while (!r.done) {
    const id = r.byte();
    const size = r.u32();
    const end = r.offset + size;
    // Checked here, not left to the engine: a cut-off binary would otherwise parse as a shorter valid-looking one.
    if (end > bytes.length) throw new RangeError(`section ${id} runs past the end of the WASM binary (${end} > ${bytes.length} bytes)`);
    if (id === 0) {
      const name = r.name();
      if (name === TYPES_SECTION) sourceTypes = decodeTypes(bytes.subarray(r.offset, end));
    } else if (id === 1) {
      for (let n = r.u32(); n > 0; n--) {
        if (r.byte() !== 0x60) break; // not a plain function type: stop reading signatures
        const params = Array.from({ length: r.u32() }, () => VALUE_TYPES[r.byte()] ?? 'ref');
        const results = Array.from({ length: r.u32() }, () => VALUE_TYPES[r.byte()] ?? 'ref');
        types.push({ params, results });
      }
    } else if (id === 2) {
      for (let n = r.u32(); n > 0; n--) {
        const module = r.name();
        const name = r.name();
        const kind = r.byte();
        if (kind === 0) {
          r.u32();
          importedFunctions++;
        } else if (kind === 1) {
          r.byte();
          r.limits();
        } else if (kind === 2) {
          memoryImport = { module, name, ...r.limits() };
        } else if (kind === 3) {
          r.skip(2);
          globalImports.add(`${module}.${name}`);
        } else {
          r.u32();
        }
      }
    } else if (id === 3) {
      for (let n = r.u32(); n > 0; n--) functionTypes.push(r.u32());
    } else if (id === 6) {
      for (let n = r.u32(); n > 0; n--) {
        const type = r.byte();
        const mutable = r.byte() === 1;
        r.constExpr();
        if (mutable && (type === 0x7f || type === 0x7e)) mutablePointerGlobals++;
      }
    } else if (id === 7) {
      for (let n = r.u32(); n > 0; n--) {
        const name = r.name();
        const kind = r.byte();
        const index = r.u32();
        if (kind === 0) exported.push([name, index]);
      }
    } else if (id === 11) {
      for (let n = r.u32(); n > 0; n--) {
        const flags = r.u32();
        if (flags === 1) {
          r.skip(r.u32()); // passive segment: copied only on demand
          continue;
        }
        if (flags === 2) r.u32();
        const offset = r.constExpr();
        const length = r.u32();
        if (offset !== undefined) dataEnd = Math.max(dataEnd, offset + length);
        r.skip(length);
      }
    }
    r.offset = end;
  }

  const kernels = new Map<string, KernelSignature>();
  for (const [name, index] of exported) {
    // Runtime helpers (AssemblyScript's __new, wasmpool's __wasmpool_reset): the worker never calls them as kernels.
    if (name.startsWith('__')) continue;
    const local = index - importedFunctions;
    const signature = local >= 0 ? types[functionTypes[local]] : undefined;
    kernels.set(name, signature ?? { params: [], results: [] });
  }
  const ownHeaps = globalImports.has('wasmpool.heapStart');
  const allocates = ownHeaps && globalImports.has('wasmpool.heapEnd');
  const info: WasmModuleInfo = { kernels, memoryImport, dataEnd, ownHeaps, allocates, mutablePointerGlobals };
  if (sourceTypes) info.types = sourceTypes;
  return info;
}
