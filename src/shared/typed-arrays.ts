/** The typed arrays a pool can allocate in shared memory and lower to (byteOffset, length). */

export type SharedTypedArray =
  | Float64Array
  | Float32Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | BigInt64Array
  | BigUint64Array;

/** A typed-array constructor `pool.alloc` accepts; `InstanceType` gives the view it returns. */
export type SharedArrayConstructor =
  | Float64ArrayConstructor
  | Float32ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Uint8ClampedArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor;

export const SHARED_ARRAY_CONSTRUCTORS: readonly SharedArrayConstructor[] = [
  Float64Array,
  Float32Array,
  Int32Array,
  Uint32Array,
  Int16Array,
  Uint16Array,
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  BigInt64Array,
  BigUint64Array,
];

export function isTypedArray(value: unknown): value is SharedTypedArray {
  return ArrayBuffer.isView(value) && !(value instanceof DataView);
}
