// Runs wasmpool's built-in WASM kernels and their JS twins on this thread,
// with no pool in between: question 1 asks how fast the kernel itself is, and
// dispatch costs (question 3) would swamp a 1 µs in-cache sum.
import { readFileSync } from 'node:fs';
import { Pool } from 'wasmpool';

const ALIGN = 64;
const ARENA_START = 1 << 20; // above the module's data segments (a few KiB)
const PAGE = 65536;

/** The built-in module instantiated here, on memory shaped exactly as the pool shapes it. */
export async function loadBuiltIn() {
  const bytes = readFileSync(new URL(import.meta.resolve('wasmpool/kernels.wasm')));
  const module = new WebAssembly.Module(bytes);
  // Borrow the pool's own memory: it is created from the module's declared
  // limits, so it links; the memory outlives the pool's (idle) worker.
  const pool = new Pool({ workers: 1 });
  const memory = pool.memory;
  await pool.terminate();
  const imports = { env: { memory } };
  for (const entry of WebAssembly.Module.imports(module)) {
    if (entry.kind !== 'function') continue;
    (imports[entry.module] ??= {})[entry.name] = hostFunction(entry);
  }
  const instance = new WebAssembly.Instance(module, imports);
  return { exports: instance.exports, memory, arena: new Arena(memory) };
}

export async function loadTwins() {
  try {
    return await import('wasmpool/kernels-js');
  } catch {
    try {
      return await import('../../kernels-js/index.js');
    } catch {
      return {};
    }
  }
}

function hostFunction(entry) {
  const name = `${entry.module}.${entry.name}`;
  if (name === 'wasmpool.now') return () => performance.now();
  if (name === 'env.seed') return () => 42;
  if (name === 'env.abort') {
    return () => {
      throw new Error('a kernel aborted during the benchmark (its inputs are wrong)');
    };
  }
  return () => {
    throw new Error(`the benchmark does not provide ${name}`);
  };
}

/** Bump allocation of typed arrays in the shared memory; reset() between benchmarks. */
export class Arena {
  constructor(memory) {
    this.memory = memory;
    this.next = ARENA_START;
  }

  reset() {
    this.next = ARENA_START;
  }

  /** A zeroed `Type` view of `length` elements in WASM memory. */
  alloc(Type, length) {
    const ptr = this.next;
    const end = ptr + length * Type.BYTES_PER_ELEMENT;
    this.next = Math.ceil(end / ALIGN) * ALIGN;
    const needed = Math.ceil(end / PAGE) - this.memory.buffer.byteLength / PAGE;
    if (needed > 0) this.memory.grow(needed);
    return new Type(this.memory.buffer, ptr, length).fill(0);
  }

  /** A view of the same type and contents as `source`, placed in WASM memory. */
  copyOf(source) {
    const view = this.alloc(source.constructor, source.length);
    view.set(source);
    return view;
  }
}
