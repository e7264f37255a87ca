// A tiny WebAssembly binary writer for tests of the inspector: just enough sections to state
// exactly what a module declares, byte by byte, without a compiler.

export const I32 = 0x7f;
export const I64 = 0x7e;
export const F32 = 0x7d;
export const F64 = 0x7c;

export function u32(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value) byte |= 0x80;
    out.push(byte);
  } while (value);
  return out;
}

/** Signed LEB128 (i32.const immediates). */
export function s32(value: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && !(byte & 0x40)) || (value === -1 && byte & 0x40)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

export function name(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  return [...u32(bytes.length), ...bytes];
}

export function vector(items: number[][]): number[] {
  return [...u32(items.length), ...items.flat()];
}

export function section(id: number, body: number[]): number[] {
  return [id, ...u32(body.length), ...body];
}

export const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

export const funcType = (params: number[], results: number[]): number[] => [0x60, ...vector(params.map((p) => [p])), ...vector(results.map((r) => [r]))];

/** Memory limits: flags bit 0 = has maximum, bit 1 = shared. */
export function limits(initial: number, maximum?: number, shared = false): number[] {
  const flags = (maximum === undefined ? 0 : 1) | (shared ? 2 : 0);
  return [flags, ...u32(initial), ...(maximum === undefined ? [] : u32(maximum))];
}

export const importFunc = (module: string, field: string, typeIndex: number): number[] => [...name(module), ...name(field), 0x00, ...u32(typeIndex)];
export const importMemory = (module: string, field: string, memoryLimits: number[]): number[] => [...name(module), ...name(field), 0x02, ...memoryLimits];
export const exportEntry = (field: string, kind: number, index: number): number[] => [...name(field), kind, ...u32(index)];

/** A function body that does nothing (no locals, `end`). */
export const emptyBody = [...u32(2), 0x00, 0x0b];

export function binary(...sections: number[][]): Uint8Array<ArrayBuffer> {
  return new Uint8Array([...header, ...sections.flat()]);
}
