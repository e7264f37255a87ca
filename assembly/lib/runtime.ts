// wasmpool's AssemblyScript runtime for kernels on a pool's shared memory: AssemblyScript's stub
// runtime (a bump allocator that never frees), except that each instance allocates only inside its
// own region of the shared memory, which the worker gives it at instantiation as two imported
// globals. Every worker's region is reserved by the pool (src/wasm/kernel-heaps.ts), so a kernel's
// `new Float64Array(n)`, strings and StaticArrays never land on pool arrays or another worker's
// allocations.
//
// The compiler uses this file in place of `~lib/rt/index-stub` when it builds a pool module
// (`new Pool({ module: 'k.ts' })`, `wasmpool build`): --runtime stub keeps asc from adding a shadow
// stack, which would sit at the same addresses in every worker.
//
// Lifetime: what a task allocates is given back when the task returns (the worker calls
// __wasmpool_reset after every call), so a kernel may allocate on every call forever. What the
// module's top-level code (and the pool's initializer) allocates is kept: the worker calls
// __wasmpool_mark after them. Keep state that must outlive a task in top-level variables
// initialized there, not created lazily inside a kernel.
import { AL_MASK, OBJECT, OBJECT_OVERHEAD, BLOCK_MAXSIZE, BLOCK_OVERHEAD, BLOCK, OBJECT_MAXSIZE } from "./common";
import { E_ALLOCATION_TOO_LARGE } from "../util/error";

/** First byte of this instance's region. */
// @ts-ignore: decorator
@external("wasmpool", "heapStart") declare const heapStart: usize;
/** One past its last byte. */
// @ts-ignore: decorator
@external("wasmpool", "heapEnd") declare const heapEnd: usize;

// @ts-ignore: decorator
@lazy let startOffset: usize = ((heapStart + BLOCK_OVERHEAD + AL_MASK) & ~AL_MASK) - BLOCK_OVERHEAD;
// @ts-ignore: decorator
@lazy let offset: usize = startOffset;
// @ts-ignore: decorator
@lazy let markOffset: usize = startOffset;

// @ts-ignore: decorator
@inline function computeSize(size: usize): usize {
  return ((size + BLOCK_OVERHEAD + AL_MASK) & ~AL_MASK) - BLOCK_OVERHEAD;
}

function claim(newOffset: usize): void {
  // The region never grows: past its end lie pool arrays or another worker's region.
  if (newOffset > heapEnd) throw new Error("out of kernel heap: this task allocated more than `kernelHeapSize` bytes; raise PoolOptions.kernelHeapSize or allocate less per call");
  offset = newOffset;
}

// @ts-ignore: decorator
@unsafe @global
function __alloc(size: usize): usize {
  if (size > BLOCK_MAXSIZE) throw new Error(E_ALLOCATION_TOO_LARGE);
  let block = changetype<BLOCK>(offset);
  let ptr = offset + BLOCK_OVERHEAD;
  let payloadSize = computeSize(size);
  claim(ptr + payloadSize);
  block.mmInfo = payloadSize;
  return ptr;
}

// @ts-ignore: decorator
@unsafe @global
function __realloc(ptr: usize, size: usize): usize {
  assert(ptr != 0 && !(ptr & AL_MASK)); // must exist and be aligned
  let block = changetype<BLOCK>(ptr - BLOCK_OVERHEAD);
  let actualSize = block.mmInfo;
  let isLast = ptr + actualSize == offset;
  let payloadSize = computeSize(size);
  if (size > actualSize) {
    if (isLast) { // last block: grow
      if (size > BLOCK_MAXSIZE) throw new Error(E_ALLOCATION_TOO_LARGE);
      claim(ptr + payloadSize);
      block.mmInfo = payloadSize;
    } else { // copy to new block at least double the size
      let newPtr = __alloc(max<usize>(payloadSize, actualSize << 1));
      memory.copy(newPtr, ptr, actualSize);
      block = changetype<BLOCK>((ptr = newPtr) - BLOCK_OVERHEAD);
    }
  } else if (isLast) { // last block: shrink
    offset = ptr + payloadSize;
    block.mmInfo = payloadSize;
  }
  return ptr;
}

// @ts-ignore: decorator
@unsafe @global
function __free(ptr: usize): void {
  assert(ptr != 0 && !(ptr & AL_MASK)); // must exist and be aligned
  let block = changetype<BLOCK>(ptr - BLOCK_OVERHEAD);
  if (ptr + block.mmInfo == offset) { // last block: discard
    offset = changetype<usize>(block);
  }
}

// @ts-ignore: decorator
@unsafe @global
function __reset(): void { // special
  offset = markOffset;
}

// @ts-ignore: decorator
@unsafe @global
function __new(size: usize, id: u32): usize {
  if (size > OBJECT_MAXSIZE) throw new Error(E_ALLOCATION_TOO_LARGE);
  let ptr = __alloc(OBJECT_OVERHEAD + size);
  let object = changetype<OBJECT>(ptr - BLOCK_OVERHEAD);
  object.gcInfo = 0;
  object.gcInfo2 = 0;
  object.rtId = id;
  object.rtSize = <u32>size;
  return ptr + OBJECT_OVERHEAD;
}

// @ts-ignore: decorator
@unsafe @global
function __renew(oldPtr: usize, size: usize): usize {
  if (size > OBJECT_MAXSIZE) throw new Error(E_ALLOCATION_TOO_LARGE);
  let newPtr = __realloc(oldPtr - OBJECT_OVERHEAD, OBJECT_OVERHEAD + size);
  changetype<OBJECT>(newPtr - BLOCK_OVERHEAD).rtSize = <u32>size;
  return newPtr + OBJECT_OVERHEAD;
}

// @ts-ignore: decorator
@global @unsafe
function __link(parentPtr: usize, childPtr: usize, expectMultiple: bool): void {
  // nop
}

// @ts-ignore: decorator
@global @unsafe
function __pin(ptr: usize): usize {
  return ptr;
}

// @ts-ignore: decorator
@global @unsafe
function __unpin(ptr: usize): void {
  // nop
}

// @ts-ignore: decorator
@global @unsafe
function __visit(ptr: usize, cookie: u32): void { // eslint-disable-line @typescript-eslint/no-unused-vars
  // nop
}

// @ts-ignore: decorator
@global @unsafe
function __collect(): void {
  // nop
}

/** Called by the worker once the module's top-level code (and the initializer) ran: keep what they allocated. */
export function __wasmpool_mark(): void {
  markOffset = offset;
}

/** Called by the worker after every kernel call: give back what the call allocated. */
export function __wasmpool_reset(): void {
  offset = markOffset;
}
