// Reading and writing shared arrays from a kernel. The pool passes each typed-array argument as
// two parameters, (ptr, len): the byte offset of its first element in the shared memory and its
// element count. These inline helpers index such an array; they compile to a single load/store.
// Kernels on a shared memory must not allocate (no `new`, no string concatenation): several
// workers run in one memory and no AssemblyScript runtime is thread-safe.

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
