/**
 * Kernels' source-level types. The WASM signature says only `(i32, i32, f64)`; the compile records
 * what the AssemblyScript source declared (`x: Float64Ptr, n: i32, by: f64`) in a custom section of
 * the binary, `wasmpool.kernels`, so that the pool can check a typed-array argument's element type
 * and count the arguments as the caller wrote them, and `wasmpool build --types` can write a
 * declaration for `new Pool<Kernels>`.
 *
 * A pointer parameter followed by a length (`i32`, `u32`, `usize`) is one array argument: the pool
 * lowers a typed array to exactly that pair. Its element type is known when the pointer is declared
 * with one of the helper library's aliases (`Float64Ptr`, ... in assembly/lib/shared.ts); a plain
 * `usize` takes a typed array of any element type.
 */
import { describe } from '../validate.js';

/** One parameter as the source declares it. */
export interface SourceParam {
  name: string;
  /** The AssemblyScript type as written (`f64`, `Float64Ptr`, `usize`). */
  type: string;
}

export interface SourceSignature {
  params: SourceParam[];
  result: string;
}

/** The custom section's name and format version. */
export const TYPES_SECTION = 'wasmpool.kernels';
const FORMAT = 1;

/** Pointer aliases of the helper library → the typed array a caller passes. */
const ARRAY_POINTERS: Record<string, string> = {
  Float64Ptr: 'Float64Array',
  Float32Ptr: 'Float32Array',
  Int32Ptr: 'Int32Array',
  Uint32Ptr: 'Uint32Array',
  Int16Ptr: 'Int16Array',
  Uint16Ptr: 'Uint16Array',
  Int8Ptr: 'Int8Array',
  Uint8Ptr: 'Uint8Array',
  Int64Ptr: 'BigInt64Array',
  Uint64Ptr: 'BigUint64Array',
};
const LENGTHS = new Set(['i32', 'u32', 'usize', 'isize']);
const NUMBERS = new Set(['i8', 'i16', 'i32', 'u8', 'u16', 'u32', 'isize', 'usize', 'f32', 'f64']);

/** One argument as the caller passes it. */
export interface UserParam {
  name: string;
  /** As the source wrote it, for messages: `Float64Ptr, i32` for an array. */
  source: string;
  /** TypeScript type of the argument (`number`, `Float64Array`, `TypedArray` for any element type). */
  ts: string;
  /** For an array argument: the typed-array class required, or undefined for any. */
  array?: string;
  isArray: boolean;
}

export function userParams(signature: SourceSignature): UserParam[] {
  const out: UserParam[] = [];
  const params = signature.params;
  for (let i = 0; i < params.length; i++) {
    const { name, type } = params[i];
    const next = params[i + 1];
    const pointer = type in ARRAY_POINTERS || type === 'usize';
    if (pointer && next && LENGTHS.has(next.type)) {
      const array = ARRAY_POINTERS[type];
      out.push({ name, source: `${type}, ${next.type}`, ts: array ?? 'TypedArray', array, isArray: true });
      i++;
      continue;
    }
    out.push({ name, source: type, ts: tsType(type), isArray: false });
  }
  return out;
}

function tsType(type: string): string {
  if (NUMBERS.has(type)) return 'number';
  if (type === 'i64' || type === 'u64') return 'bigint';
  if (type === 'bool') return 'boolean | number';
  if (type in ARRAY_POINTERS) return 'number';
  // A managed AssemblyScript type (string, Float64Array, a class): a plain WASM kernel receives a pointer
  // to an AssemblyScript object, which no JavaScript value can be passed as.
  return 'never';
}

function resultType(type: string): string {
  if (type === 'void') return 'void';
  if (type === 'i64' || type === 'u64') return 'bigint';
  if (NUMBERS.has(type) || type === 'bool' || type in ARRAY_POINTERS) return 'number';
  return 'number'; // a pointer to an AssemblyScript object: the caller gets its address
}

/** The custom section's payload. */
export function encodeTypes(kernels: Map<string, SourceSignature>): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ format: FORMAT, kernels: Object.fromEntries(kernels) }));
}

/** Parses the payload, or undefined for one this version does not read (an older or newer format, or garbage). */
export function decodeTypes(payload: Uint8Array): Map<string, SourceSignature> | undefined {
  try {
    const value = JSON.parse(new TextDecoder().decode(payload)) as { format?: unknown; kernels?: Record<string, SourceSignature> };
    if (value.format !== FORMAT || typeof value.kernels !== 'object' || value.kernels === null) return undefined;
    const kernels = new Map<string, SourceSignature>();
    for (const [name, signature] of Object.entries(value.kernels)) {
      const ok =
        Array.isArray(signature?.params) &&
        signature.params.every((p) => typeof p?.name === 'string' && typeof p.type === 'string') &&
        typeof signature.result === 'string';
      if (ok) kernels.set(name, { params: signature.params, result: signature.result });
    }
    return kernels;
  } catch {
    return undefined;
  }
}

/** Appends a custom section (id 0) to a WASM binary. */
export function withCustomSection(wasm: Uint8Array, name: string, payload: Uint8Array): Uint8Array {
  const nameBytes = new TextEncoder().encode(name);
  const body = [...leb128(nameBytes.length), ...nameBytes];
  const size = body.length + payload.length;
  const header = [0, ...leb128(size)];
  const out = new Uint8Array(wasm.length + header.length + body.length + payload.length);
  out.set(wasm, 0);
  out.set(header, wasm.length);
  out.set(body, wasm.length + header.length);
  out.set(payload, wasm.length + header.length + body.length);
  return out;
}

function leb128(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}

function signatureText(params: readonly UserParam[]): string {
  return `(${params.map((p) => `${p.name}: ${p.array ?? (p.isArray ? 'a typed array' : p.source)}`).join(', ')})`;
}

const typedArrayName = (value: unknown): string | undefined =>
  ArrayBuffer.isView(value) && !(value instanceof DataView) ? (value.constructor as { name: string }).name : undefined;

/**
 * Checks `args` against a kernel's source-level signature, before any lowering: the argument count
 * as the caller counts it, and each typed array's element type. Raw calls that pass an array as
 * (address, length) numbers are left to the WASM-level check. Returns whether the kernel has
 * source types.
 */
export function checkSourceTypes(types: Map<string, SourceSignature> | undefined, kernel: string, args: readonly unknown[], where: string): void {
  const signature = types?.get(kernel);
  if (!signature) return;
  const params = userParams(signature);
  const raw = signature.params.length;
  if (args.length !== params.length) {
    // An array passed as its address and length: the WASM signature's count, numbers only.
    if (args.length === raw && !args.some((arg) => typedArrayName(arg) !== undefined)) return;
    throw new RangeError(
      `Kernel \`${kernel}\` takes ${params.length} argument${params.length === 1 ? '' : 's'} ${signatureText(params)}, got ${args.length} in \`${where}\``,
    );
  }
  for (let i = 0; i < params.length; i++) {
    const param = params[i];
    const given = typedArrayName(args[i]);
    if (param.isArray) {
      if (given === undefined) {
        throw new TypeError(
          `Expected \`${where}[${i}]\` (${param.name}) of kernel \`${kernel}\` to be ${param.array ? `a ${param.array}` : 'a typed array'}, got ${describe(args[i])}`,
        );
      }
      if (param.array && given !== param.array) {
        throw new TypeError(`Expected \`${where}[${i}]\` (${param.name}) of kernel \`${kernel}\` to be a ${param.array}, got a ${given}`);
      }
    } else if (given !== undefined) {
      throw new TypeError(`Expected \`${where}[${i}]\` (${param.name}) of kernel \`${kernel}\` to be ${describeSource(param.source)}, got a ${given}`);
    }
  }
}

function describeSource(type: string): string {
  if (NUMBERS.has(type)) return `a number (${type})`;
  if (type === 'i64' || type === 'u64') return `a bigint (${type})`;
  if (type === 'bool') return 'a boolean (bool)';
  return `a ${type}`;
}

/** The TypeScript declaration `wasmpool build --types` writes. */
export function declaration(types: Map<string, SourceSignature>, source: string): string {
  const lines = [
    `// The kernels of ${source}, as wasmpool build --types read them from the source.`,
    '// Use: new Pool<Kernels>({ module: ... }) or Pool.create<Kernels>(...): kernel names, arguments and results',
    '// are then checked at compile time.',
    '',
    '/** Any typed array: a kernel parameter declared as a plain `usize` pointer and a length takes any of them. */',
    'export type TypedArray =',
    '  | Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array',
    '  | Float32Array | Float64Array | BigInt64Array | BigUint64Array;',
    '',
    'export interface Kernels {',
  ];
  for (const [name, signature] of types) {
    const params = userParams(signature)
      .map((p) => `${p.name}: ${p.ts}`)
      .join(', ');
    lines.push(`  ${name}(${params}): ${resultType(signature.result)};`);
  }
  lines.push('}', '');
  return lines.join('\n');
}
