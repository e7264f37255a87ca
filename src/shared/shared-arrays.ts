import { ISOLATION_HINT, SHARED_MEMORY_AVAILABLE } from '../abi/shared-buffer.js';
import { checkWasmArgs, checkWasmItems } from '../wasm/check-args.js';
import { checkSourceTypes } from '../wasm/kernel-types.js';
import type { WasmModuleInfo } from '../wasm/inspect.js';
import { describe, expected } from '../validate.js';
import { SharedHeap, type Block } from './heap.js';
import { isTypedArray, SHARED_ARRAY_CONSTRUCTORS, type SharedArrayConstructor, type SharedTypedArray } from './typed-arrays.js';

/**
 * Which SharedArrays owns a buffer. A shared memory's `buffer` is a new SharedArrayBuffer object
 * after every growth — and V8 may swap in yet another one for the same memory later, when it
 * propagates the growth to every thread — so each buffer object is registered as it is seen:
 * when alloc() builds a view on it, and the current one before every ownership check.
 */
const owners = new WeakMap<ArrayBufferLike, SharedArrays>();

/** A plain typed array copied into the heap for one task: copied back and freed when it settles. */
export interface TempCopy {
  readonly source: SharedTypedArray;
  readonly block: Block;
  /** The argument it came from (`args[0]`, `items[3][1]`), for the error of a copy-back that cannot happen. */
  readonly where: string;
  /** Bytes copied in: a copy-back needs the caller's array to hold as many still. */
  readonly bytes: number;
}

/** Arguments as the kernel receives them, plus the temporary copies made to get there. */
export interface Lowered {
  readonly args: unknown[];
  readonly temps: TempCopy[];
  /** A map's: where each item's temporaries start in `temps` (one entry per item, then the end), for a chunk's copy-back. */
  readonly itemTemps?: number[];
}

/** The temporaries of a call that needed none (shared, never written). */
const NO_TEMPS: TempCopy[] = Object.freeze([]) as unknown as TempCopy[];

const CONSTRUCTOR_NAMES = SHARED_ARRAY_CONSTRUCTORS.map((c) => c.name).join(', ');

/**
 * The pool's zero-copy arrays: typed-array views on the shared WebAssembly.Memory that every
 * worker's instance imports. Allocation happens here, on the main thread; kernels get pointers.
 *
 * Lowering: a typed-array argument of a plain WASM kernel becomes two i32 arguments,
 * (byteOffset, length). A view from `alloc` (or any subarray of one) is passed as is — the kernel
 * reads and writes the caller's memory. Any other typed array is copied into a temporary block
 * first and copied back when the task succeeds (we cannot tell whether a kernel writes an array,
 * so every such array is copied back), then the block is freed.
 */
export class SharedArrays {
  /** Read on use: a browser's module given by URL has its memory only once it has compiled. */
  readonly #getMemory: () => WebAssembly.Memory | undefined;
  readonly #info: () => WasmModuleInfo | undefined;
  readonly #label: string;
  #heap: SharedHeap | undefined;
  /** The block behind each view `alloc` returned, to recognise a freed view and free by view. */
  readonly #views = new WeakMap<SharedTypedArray, Block>();

  constructor(memory: () => WebAssembly.Memory | undefined, info: () => WasmModuleInfo | undefined, label: string) {
    this.#getMemory = memory;
    this.#info = info;
    this.#label = label;
    const now = memory();
    if (now) owners.set(now.buffer, this);
  }

  get #memory(): WebAssembly.Memory | undefined {
    return this.#getMemory();
  }

  /** A zero-filled `length`-element view of type `type` in the pool's shared memory. */
  alloc<C extends SharedArrayConstructor>(type: C, length: number, zero = true): InstanceType<C> {
    const heap = this.#heapOrThrow('alloc');
    if (!SHARED_ARRAY_CONSTRUCTORS.includes(type)) throw new TypeError(expected('type', `a typed-array constructor (${CONSTRUCTOR_NAMES})`, type));
    if (typeof length !== 'number' || !Number.isInteger(length)) throw new TypeError(expected('length', 'an integer number of elements', length));
    const bytes = length * type.BYTES_PER_ELEMENT;
    if (length < 0 || bytes > heap.capacity) {
      throw new RangeError(
        expected('length', `an integer from 0 to ${Math.floor(heap.capacity / type.BYTES_PER_ELEMENT)} (the shared memory's maximum)`, length),
      );
    }
    const block = heap.allocate(bytes);
    if (!block) {
      throw new RangeError(
        `pool.alloc(${type.name}, ${length}) needs ${bytes} bytes, but the shared memory cannot grow that far: ${heap.used} of at most ${heap.capacity} bytes are in use; free() views you no longer need`,
      );
    }
    const view = new type(this.#currentBuffer() as ArrayBuffer, block.start, length) as InstanceType<C>;
    if (zero) new Uint8Array(view.buffer, block.start, bytes).fill(0); // a reused block holds whatever its last owner left
    this.#views.set(view, block);
    // Register the buffer object the view really holds too: after growth V8 may hand out another
    // object for the same memory, and free()/lowering look a view's owner up by `view.buffer`.
    owners.set(view.buffer, this);
    return view;
  }

  /**
   * `bytes` of the shared memory kept for the pool's own use for its whole life (each worker's
   * kernel heap, src/wasm/kernel-heaps.ts): never handed out by alloc, never freed. Returns the offset.
   */
  reserve(bytes: number): number {
    const block = this.#heapOrThrow('alloc').allocate(bytes);
    if (!block) throw new RangeError(`The pool's kernel heaps need ${bytes} bytes of shared memory, more than it can grow to; lower \`kernelHeapSize\``);
    return block.start;
  }

  /** Returns a view's block to the heap. The view must not be used (or passed to a kernel) afterwards. */
  free(view: SharedTypedArray): void {
    this.#heapOrThrow('free');
    if (!isTypedArray(view)) throw new TypeError(expected('view', 'a typed array returned by pool.alloc()', view));
    this.#checkOwner(view, 'view');
    const block = this.#views.get(view);
    if (!block) {
      throw new TypeError(
        `Expected \`view\` to be a typed array returned by pool.alloc(), got a view at byte ${view.byteOffset} that alloc() did not return (a subarray or a view you built); free the view alloc() gave you`,
      );
    }
    if (!block.live) throw new TypeError(`Expected \`view\` to be a live shared array, but this ${view.constructor.name} was already freed`);
    this.#heap!.release(block);
  }

  /**
   * Lowers typed arrays in `args` for a plain WASM kernel and checks the result against its
   * signature. `signatures` is undefined for JS modules and AssemblyScript bindings, which take
   * typed arrays themselves: their arguments pass through untouched.
   */
  lower(signatures: WasmModuleInfo | undefined, kernel: string, args: readonly unknown[], where: string, single = false): Lowered {
    checkSourceTypes(signatures?.types, kernel, args, where);
    if (!signatures?.kernels.has(kernel) || !args.some(isTypedArray)) {
      checkWasmArgs(signatures, kernel, args, where);
      return { args: args as unknown[], temps: NO_TEMPS };
    }
    const lowered: unknown[] = [];
    const temps: TempCopy[] = [];
    try {
      for (let i = 0; i < args.length; i++) {
        const arg = args[i];
        if (!isTypedArray(arg)) lowered.push(arg);
        else lowered.push(...this.#pointerOf(arg, single ? where : `${where}[${i}]`, kernel, temps)); // `single`: a map item, named `items[i]`
      }
      checkWasmArgs(signatures, kernel, lowered, `${where} (typed arrays lowered to byteOffset, length)`);
    } catch (error) {
      this.release({ args: lowered, temps });
      throw error;
    }
    return { args: lowered, temps };
  }

  /**
   * lower() for every item of a map. Lowering turns one typed array into two arguments, so a
   * plain map whose items needed lowering becomes a starmap over the lowered argument lists.
   */
  lowerItems(signatures: WasmModuleInfo | undefined, kernel: string, items: readonly unknown[], star: boolean, firstItem = 0): Lowered & { star: boolean } {
    if (!signatures?.kernels.has(kernel)) return { args: items as unknown[], temps: [], star };
    if (!star && this.#plainItems(signatures, kernel, items, firstItem)) return { args: items as unknown[], temps: [], star };
    const lists: unknown[][] = [];
    const temps: TempCopy[] = [];
    const itemTemps: number[] = [];
    let changed = false;
    try {
      for (let i = 0; i < items.length; i++) {
        const args = star ? (items[i] as unknown[]) : [items[i]];
        const lowered = this.lower(signatures, kernel, args, `items[${firstItem + i}]`, !star);
        if (lowered.args !== args) changed = true;
        lists.push(lowered.args);
        itemTemps.push(temps.length);
        temps.push(...lowered.temps);
      }
    } catch (error) {
      this.release({ args: [], temps });
      throw error;
    }
    itemTemps.push(temps.length);
    return changed ? { args: lists, temps, itemTemps, star: true } : { args: items as unknown[], temps, itemTemps, star };
  }

  /**
   * checkWasmItems, for items from input index `firstItem` on: a bad item of a later part of an imap's input
   * is left to the general path, whose error names the item by its index in the input.
   */
  #plainItems(signatures: WasmModuleInfo, kernel: string, items: readonly unknown[], firstItem: number): boolean {
    try {
      return checkWasmItems(signatures, kernel, items);
    } catch (error) {
      if (firstItem === 0) throw error;
      return false;
    }
  }

  /**
   * The task succeeded: copy its temporaries back into the caller's arrays, before anyone sees the value. A map's
   * items `[fromItem, toItem)` only, when given (a lazy map hands out each chunk as it finishes). Throws a
   * TypeError naming the argument if the caller's array was detached or shrunk meanwhile.
   */
  copyBack(lowered: Lowered, fromItem?: number, toItem?: number): void {
    const at = lowered.itemTemps;
    const temps = at && fromItem !== undefined && toItem !== undefined ? lowered.temps.slice(at[fromItem], at[toItem]) : lowered.temps;
    // Every array is checked before any is written: the task fails whole, never with half its arrays updated.
    for (const temp of temps) if (temp.source.byteLength !== temp.bytes) throw goneBeforeCopyBack(temp);
    for (const { source, block } of temps) {
      new Uint8Array(source.buffer, source.byteOffset, source.byteLength).set(new Uint8Array(this.#memory!.buffer, block.start, source.byteLength));
    }
  }

  /**
   * Frees the temporaries' blocks: once no worker holds the task (a stopped worker may write into them until
   * its thread has exited), or when the call failed before anything was dispatched.
   */
  release(lowered: Lowered): void {
    for (const { block } of lowered.temps) this.#heap!.release(block);
  }

  #pointerOf(view: SharedTypedArray, where: string, kernel: string, temps: TempCopy[]): [number, number] {
    const heap = this.#heap ?? (this.#memory ? this.#heapOrThrow('lower') : undefined);
    if (!heap) {
      throw new TypeError(
        `Expected \`${where}\` of kernel \`${kernel}\` to be a number, got ${describe(view)}: typed arrays can be passed only to modules that import a shared memory (build with --importMemory --sharedMemory), and ${this.#label} does not`,
      );
    }
    this.#currentBuffer();
    if (owners.get(view.buffer) === this) {
      const allocated = this.#views.get(view);
      // An empty subarray may sit exactly at a block's end (the next block's start): nothing to read.
      if (view.length === 0 && (!allocated || allocated.live)) return [view.byteOffset, 0];
      const block = allocated ?? heap.blockAt(view.byteOffset);
      if (block && (!block.live || block.free)) {
        throw new TypeError(
          `Expected \`${where}\` of kernel \`${kernel}\` to be a live shared array, but this ${view.constructor.name} was freed with pool.free()`,
        );
      }
      if (!block) {
        throw new RangeError(
          `Expected \`${where}\` of kernel \`${kernel}\` to lie inside a block from pool.alloc(), but byte ${view.byteOffset} is outside every block`,
        );
      }
      if (view.byteOffset + view.byteLength > block.end) {
        throw new RangeError(`Expected \`${where}\` of kernel \`${kernel}\` to lie inside one block from pool.alloc(), but it runs past the block's end`);
      }
      return [view.byteOffset, view.length];
    }
    this.#checkOwner(view, where);
    if (isDetached(view)) {
      throw new TypeError(
        `Expected \`${where}\` of kernel \`${kernel}\` to be a usable ${view.constructor.name}, but its buffer was detached (transferred away, e.g. by postMessage or structuredClone with \`transfer\`); pass an array that still holds its data`,
      );
    }
    const block = heap.allocate(view.byteLength);
    if (!block)
      throw new RangeError(
        `Could not copy \`${where}\` (${view.byteLength} bytes) into the pool's shared memory: it is full; pass a view from pool.alloc() instead`,
      );
    new Uint8Array(this.#memory!.buffer, block.start, view.byteLength).set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
    temps.push({ source: view, block, where, bytes: view.byteLength });
    return [block.start, view.length];
  }

  #checkOwner(view: SharedTypedArray, where: string): void {
    this.#currentBuffer();
    const owner = owners.get(view.buffer);
    if (owner && owner !== this) throw new TypeError(`Expected \`${where}\` to be a shared array of this pool, but it was allocated by another pool`);
    if (!owner && where === 'view') throw new TypeError(expected('view', 'a typed array returned by pool.alloc() of this pool', view));
  }

  #currentBuffer(): ArrayBufferLike {
    const buffer = this.#memory!.buffer;
    owners.set(buffer, this);
    return buffer;
  }

  #heapOrThrow(what: string): SharedHeap {
    // A page's shared Memory can be created but not posted without isolation: workers would not see it.
    if (!SHARED_MEMORY_AVAILABLE) {
      throw new TypeError(
        `${what === 'lower' ? 'A typed-array argument of a WASM kernel' : `pool.${what}()`} needs memory shared with the workers, but ${ISOLATION_HINT}`,
      );
    }
    if (this.#heap) return this.#heap;
    const memory = this.#memory;
    const limits = this.#info()?.memoryImport;
    if (!memory || !limits) {
      throw new TypeError(
        `pool.${what}() needs a task module that imports a shared memory (the built-in kernels do; build yours with \`asc --importMemory --sharedMemory --maximumMemory N\`), and ${this.#label} does not`,
      );
    }
    this.#heap = new SharedHeap(memory, this.#info()!.dataEnd, limits.maximum ?? limits.initial, (buffer) => owners.set(buffer, this));
    return this.#heap;
  }
}

/** Whether `view`'s buffer was detached (transferred): such a view reads as empty, and copying into it throws. */
function isDetached(view: SharedTypedArray): boolean {
  const buffer = view.buffer as ArrayBuffer & { detached?: boolean };
  if (typeof buffer.detached === 'boolean') return buffer.detached; // Node 22+, current browsers
  if (buffer.byteLength !== 0 || (typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer)) return false;
  try {
    new Uint8Array(buffer);
    return false;
  } catch {
    return true;
  }
}

/** The error a task fails with when the caller's array cannot take the kernel's writes back any more. */
function goneBeforeCopyBack({ source, where, bytes }: TempCopy): TypeError {
  const what = isDetached(source)
    ? `to still be attached when the task finished, but its buffer was detached (transferred away, e.g. by postMessage or structuredClone with \`transfer\`) while the task ran`
    : `to still hold its ${bytes} bytes when the task finished, but it shrank to ${source.byteLength} while the task ran (its resizable buffer was resized)`;
  return new TypeError(
    `Expected \`${where}\` ${what}, so the kernel's writes could not be copied back and the task failed; keep the array and its buffer as they are until the task settles, or pass a view from pool.alloc()`,
  );
}
