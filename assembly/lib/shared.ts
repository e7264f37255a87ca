// Reading and writing shared arrays from a kernel. The pool passes each typed-array argument as
// two parameters, (ptr, len): the byte offset of its first element in the shared memory and its
// element count. These inline helpers index such an array; they compile to a single load/store.
// Kernels that wasmpool compiles may allocate: each worker's runtime has a heap of its own
// (assembly/lib/runtime.ts).
//
// Declare such a pointer with the alias of its element type, and the pool checks the caller's
// typed array (a Float32Array passed for a Float64Ptr is a TypeError naming the argument) and
// `wasmpool build --types` declares it as that array:
//   export function scale(x: Float64Ptr, n: i32, by: f64): void
// A plain `usize` pointer takes a typed array of any element type.
export type Float64Ptr = usize;
export type Float32Ptr = usize;
export type Int32Ptr = usize;
export type Uint32Ptr = usize;
export type Int16Ptr = usize;
export type Uint16Ptr = usize;
export type Int8Ptr = usize;
export type Uint8Ptr = usize;
export type Int64Ptr = usize;
export type Uint64Ptr = usize;

// @ts-ignore: decorator
@inline export function getF64(ptr: usize, i: i32): f64 { return load<f64>(ptr + (<usize>i << 3)); }
// @ts-ignore: decorator
@inline export function setF64(ptr: usize, i: i32, value: f64): void { store<f64>(ptr + (<usize>i << 3), value); }
// @ts-ignore: decorator
@inline export function getF32(ptr: usize, i: i32): f32 { return load<f32>(ptr + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline export function setF32(ptr: usize, i: i32, value: f32): void { store<f32>(ptr + (<usize>i << 2), value); }
// @ts-ignore: decorator
@inline export function getI32(ptr: usize, i: i32): i32 { return load<i32>(ptr + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline export function setI32(ptr: usize, i: i32, value: i32): void { store<i32>(ptr + (<usize>i << 2), value); }
// @ts-ignore: decorator
@inline export function getU32(ptr: usize, i: i32): u32 { return load<u32>(ptr + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline export function setU32(ptr: usize, i: i32, value: u32): void { store<u32>(ptr + (<usize>i << 2), value); }
// @ts-ignore: decorator
@inline export function getU8(ptr: usize, i: i32): u8 { return load<u8>(ptr + <usize>i); }
// @ts-ignore: decorator
@inline export function setU8(ptr: usize, i: i32, value: u8): void { store<u8>(ptr + <usize>i, value); }
