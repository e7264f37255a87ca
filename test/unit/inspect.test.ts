// The WASM binary inspector (src/wasm/inspect.ts), without threads or a pool: binaries are written
// byte by byte (test/unit/wasm-binary.ts) so each test states exactly what the module declares.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { inspectWasm } from '../../src/wasm/inspect.js';
import { built } from '../helpers.js';
import {
  F32,
  F64,
  I32,
  I64,
  binary,
  emptyBody,
  exportEntry,
  funcType,
  importFunc,
  importMemory,
  limits,
  name,
  s32,
  section,
  u32,
  vector,
} from './wasm-binary.js';

const TYPE = 1;
const IMPORT = 2;
const FUNCTION = 3;
const MEMORY = 5;
const EXPORT = 7;
const CODE = 10;
const DATA = 11;
const CUSTOM = 0;

describe('inspectWasm: kernel signatures', () => {
  it('reads each exported function’s parameter and result types', () => {
    const bytes = binary(
      section(TYPE, vector([funcType([I32, F64], [F64]), funcType([I64, F32], []), funcType([], [I32])])),
      section(FUNCTION, vector([u32(0), u32(1), u32(2)])),
      section(EXPORT, vector([exportEntry('mix', 0, 0), exportEntry('wide', 0, 1), exportEntry('nothing', 0, 2)])),
      section(CODE, vector([emptyBody, emptyBody, emptyBody])),
    );
    const { kernels } = inspectWasm(bytes);
    expect([...kernels.keys()]).toEqual(['mix', 'wide', 'nothing']);
    expect(kernels.get('mix')).toEqual({ params: ['i32', 'f64'], results: ['f64'] });
    expect(kernels.get('wide')).toEqual({ params: ['i64', 'f32'], results: [] });
    expect(kernels.get('nothing')).toEqual({ params: [], results: ['i32'] });
  });

  it('counts imported functions before local ones when mapping export indices to types', () => {
    // Function index 0 is the import (type 0: no params); index 1 is the local function (type 1).
    const bytes = binary(
      section(TYPE, vector([funcType([], []), funcType([I32, I32], [I32])])),
      section(IMPORT, vector([importFunc('env', 'abort', 0)])),
      section(FUNCTION, vector([u32(1)])),
      section(EXPORT, vector([exportEntry('add', 0, 1)])),
      section(CODE, vector([emptyBody])),
    );
    expect(inspectWasm(bytes).kernels.get('add')).toEqual({ params: ['i32', 'i32'], results: ['i32'] });
  });

  it('lists only function exports, not memories or globals', () => {
    const bytes = binary(
      section(TYPE, vector([funcType([], [])])),
      section(FUNCTION, vector([u32(0)])),
      section(MEMORY, vector([limits(1)])),
      section(EXPORT, vector([exportEntry('run', 0, 0), exportEntry('memory', 2, 0)])),
      section(CODE, vector([emptyBody])),
    );
    expect([...inspectWasm(bytes).kernels.keys()]).toEqual(['run']);
  });

  it('skips custom sections and reports no kernels for an empty module', () => {
    expect(inspectWasm(binary()).kernels.size).toBe(0);
    const withCustom = binary(section(CUSTOM, [...name('producers'), 1, 2, 3]));
    expect(inspectWasm(withCustom)).toEqual({
      kernels: new Map(),
      memoryImport: undefined,
      dataEnd: 0,
      ownHeaps: false,
      allocates: false,
      mutablePointerGlobals: 0,
    });
  });

  it('reads the built-in kernels: `add` takes two f64 and the memory is shared with 65536 pages maximum', () => {
    const info = inspectWasm(readFileSync(built('kernels.wasm')));
    expect(info.kernels.get('add')?.params.length).toBe(2);
    expect(info.memoryImport).toEqual({ module: 'env', name: 'memory', initial: 1, maximum: 65536, shared: true });
    expect(info.dataEnd).toBeGreaterThan(0);
  });
});

describe('inspectWasm: imported memory limits', () => {
  it('reads initial, maximum and shared from a shared memory import', () => {
    const { memoryImport } = inspectWasm(binary(section(IMPORT, vector([importMemory('env', 'memory', limits(2, 300, true))]))));
    expect(memoryImport).toEqual({ module: 'env', name: 'memory', initial: 2, maximum: 300, shared: true });
  });

  // Kills: `shared` read from the has-maximum bit (flags & 1) instead of bit 1 (flags & 2).
  it('reads a non-shared memory with a maximum as not shared', () => {
    const { memoryImport } = inspectWasm(binary(section(IMPORT, vector([importMemory('env', 'memory', limits(2, 300, false))]))));
    expect(memoryImport).toEqual({ module: 'env', name: 'memory', initial: 2, maximum: 300, shared: false });
  });

  it('reports a memory without a maximum as maximum undefined, not shared', () => {
    const { memoryImport } = inspectWasm(binary(section(IMPORT, vector([importMemory('env', 'memory', limits(1))]))));
    expect(memoryImport).toEqual({ module: 'env', name: 'memory', initial: 1, maximum: undefined, shared: false });
  });

  it('reads multi-byte LEB128 limits (65536 pages)', () => {
    const { memoryImport } = inspectWasm(binary(section(IMPORT, vector([importMemory('env', 'memory', limits(1, 65536, true))]))));
    expect(memoryImport?.maximum).toBe(65536);
  });

  it('reads the memory past imports of every other kind (function, table, global)', () => {
    const table = [...name('env'), ...name('table'), 0x01, 0x70, ...limits(1)];
    const global = [...name('env'), ...name('base'), 0x03, I32, 0x00];
    const bytes = binary(
      section(TYPE, vector([funcType([], []), funcType([F64], [F64])])),
      section(IMPORT, vector([importFunc('env', 'abort', 0), table, global, importMemory('env', 'memory', limits(3, 9, true))])),
      section(FUNCTION, vector([u32(1)])),
      section(EXPORT, vector([exportEntry('half', 0, 1)])),
      section(CODE, vector([[...u32(4), 0x00, 0x20, 0x00, 0x0b]])), // local.get 0
    );
    const info = inspectWasm(bytes);
    expect(info.memoryImport).toEqual({ module: 'env', name: 'memory', initial: 3, maximum: 9, shared: true });
    expect(info.kernels.get('half')).toEqual({ params: ['f64'], results: ['f64'] });
    // The engine reads the same imports: the hand-written binary is valid.
    expect(WebAssembly.Module.imports(new WebAssembly.Module(bytes)).map((i) => i.kind)).toEqual(['function', 'table', 'global', 'memory']);
  });

  it('has no memory import when the module defines its own memory', () => {
    expect(inspectWasm(binary(section(MEMORY, vector([limits(1, 2)])))).memoryImport).toBeUndefined();
  });
});

describe('inspectWasm: where static data ends', () => {
  const active = (offset: number, length: number): number[] => [0x00, 0x41, ...s32(offset), 0x0b, ...u32(length), ...new Array<number>(length).fill(7)];
  const passive = (length: number): number[] => [0x01, ...u32(length), ...new Array<number>(length).fill(7)];

  it('is the end of the highest active segment', () => {
    const bytes = binary(section(MEMORY, vector([limits(1)])), section(DATA, vector([active(1024, 16), active(64, 8)])));
    expect(inspectWasm(bytes).dataEnd).toBe(1040);
  });

  it('ignores passive segments, which are copied only on demand', () => {
    const bytes = binary(section(MEMORY, vector([limits(1)])), section(DATA, vector([passive(4096), active(16, 4)])));
    expect(inspectWasm(bytes).dataEnd).toBe(20);
  });

  it('reads a large offset written in several LEB128 bytes', () => {
    const bytes = binary(section(MEMORY, vector([limits(2)])), section(DATA, vector([active(70000, 2)])));
    expect(inspectWasm(bytes).dataEnd).toBe(70002);
  });
});

describe('inspectWasm: malformed input', () => {
  it('rejects bytes without the \\0asm magic number', () => {
    expect(() => inspectWasm(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))).toThrow(/no \\0asm magic number/);
    expect(() => inspectWasm(new Uint8Array([]))).toThrow(/no \\0asm magic number/);
    expect(() => inspectWasm(new TextEncoder().encode('<!doctype html><html>'))).toThrow(/no \\0asm magic number/);
  });

  it('rejects a binary version other than 1', () => {
    expect(() => inspectWasm(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00]))).toThrow(/unsupported WebAssembly binary version 2/);
  });

  it('rejects a section that claims more bytes than the binary has', () => {
    const cut = binary(section(TYPE, vector([funcType([I32], [I32])]))).slice(0, -2);
    expect(() => inspectWasm(cut)).toThrow(/section 1 runs past the end of the WASM binary/);
  });

  it('rejects a binary cut inside a section size', () => {
    expect(() => inspectWasm(new Uint8Array([...binary(), TYPE, 0x80]))).toThrow(/unexpected end of the WASM binary/);
  });

  it('agrees with the engine on the hand-written binaries it accepts', () => {
    const bytes = binary(
      section(TYPE, vector([funcType([I32], [I32])])),
      section(FUNCTION, vector([u32(0)])),
      section(EXPORT, vector([exportEntry('id', 0, 0)])),
      section(CODE, vector([[...u32(4), 0x00, 0x20, 0x00, 0x0b]])),
    );
    const module = new WebAssembly.Module(bytes);
    expect(WebAssembly.Module.exports(module).map((e) => e.name)).toEqual([...inspectWasm(bytes).kernels.keys()]);
    expect((new WebAssembly.Instance(module).exports.id as (x: number) => number)(41)).toBe(41);
  });
});
