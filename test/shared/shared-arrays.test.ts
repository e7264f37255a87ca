// pool.alloc / pool.free and the lowering of typed-array arguments to (byteOffset, length).
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Pool, TaskError } from 'wasmpool';

const faults = fileURLToPath(new URL('../../build/fixtures/faults.wasm', import.meta.url));
const twins = fileURLToPath(new URL('../../kernels-js/index.js', import.meta.url));

const pool = new Pool({ workers: 2 });
const other = new Pool({ workers: 1 });
afterAll(() => Promise.all([pool.terminate(), other.terminate()]));

describe('pool.alloc', () => {
  it.each([Float64Array, Float32Array, Int32Array, Uint32Array, Uint8Array, Uint8ClampedArray, Int16Array, BigInt64Array])(
    'returns a zero-filled %o view on the pool memory',
    (type) => {
      const view = pool.alloc(type, 5);
      expect(view).toBeInstanceOf(type);
      expect(view.length).toBe(5);
      expect(view.buffer).toBe(pool.memory!.buffer);
      expect(view.byteOffset % 64).toBe(0); // aligned for v128 and cache lines
      expect([...view].every((v) => v == 0)).toBe(true);
      pool.free(view);
    },
  );

  it('{ zero: false } skips clearing a reused block; a bad option is refused', () => {
    const first = pool.alloc(Float64Array, 64);
    first.fill(7);
    const at = first.byteOffset;
    pool.free(first);
    const reused = pool.alloc(Float64Array, 64, { zero: false });
    expect(reused.byteOffset).toBe(at);
    expect(reused[0]).toBe(7);
    pool.free(reused);
    expect(() => pool.alloc(Float64Array, 4, { zero: 'no' as unknown as boolean })).toThrow(/Expected `zero` to be a boolean, got "no"/);
    expect(() => pool.alloc(Float64Array, 4, { clear: false } as object)).toThrow(/Unknown option `clear` in alloc options/);
  });

  it('hands out disjoint blocks, reuses freed space, and zero-fills reused blocks', () => {
    const a = pool.alloc(Float64Array, 100);
    const b = pool.alloc(Float64Array, 100);
    expect(a.byteOffset + a.byteLength <= b.byteOffset || b.byteOffset + b.byteLength <= a.byteOffset).toBe(true);
    a.fill(7);
    const offset = a.byteOffset;
    pool.free(a);
    const c = pool.alloc(Float64Array, 100);
    expect(c.byteOffset).toBe(offset);
    expect(c.every((v) => v === 0)).toBe(true);
    pool.free(b);
    pool.free(c);
  });

  it('grows the shared memory; views made before the growth stay valid for kernels', async () => {
    const before = pool.alloc(Float64Array, 1000).fill(1.5);
    const bytes = pool.memory!.buffer.byteLength;
    const big = pool.alloc(Float64Array, bytes / 8); // more than the whole memory had
    expect(pool.memory!.buffer.byteLength).toBeGreaterThan(bytes);
    big.fill(2);
    expect(await pool.apply('sumF64', [before])).toBe(1500);
    expect(await pool.apply('sumF64', [big])).toBe(bytes / 4);
    pool.free(before);
    pool.free(big);
  });

  it('rejects bad types and lengths before allocating', () => {
    expect(() => pool.alloc(Array as never, 3)).toThrow(TypeError);
    expect(() => pool.alloc(Array as never, 3)).toThrow(/Expected `type` to be a typed-array constructor \(Float64Array, .*\), got a function \(Array\)/);
    expect(() => pool.alloc(DataView as never, 3)).toThrow(TypeError);
    expect(() => pool.alloc(Float64Array, -1)).toThrow(RangeError);
    expect(() => pool.alloc(Float64Array, 1.5)).toThrow(/Expected `length` to be an integer number of elements, got 1.5/);
    expect(() => pool.alloc(Float64Array, '3' as never)).toThrow(TypeError);
    // The largest request that could fit is 4 GiB minus the space below the heap.
    expect(() => pool.alloc(Float64Array, 2 ** 29)).toThrow(/Expected `length` to be an integer from 0 to \d+ \(the shared memory's maximum\), got 536870912/);
  });

  it('needs a module that imports a shared memory', async () => {
    const own = new Pool({ workers: 1, module: faults });
    const js = new Pool({ workers: 1, module: twins });
    try {
      expect(own.memory).toBeUndefined();
      expect(() => own.alloc(Float64Array, 3)).toThrow(/pool.alloc\(\) needs a task module that imports a shared memory/);
      expect(() => js.alloc(Float64Array, 3)).toThrow(TypeError);
      // A plain WASM module with its own memory cannot take typed arrays at all.
      expect(() => own.applyAsync('ok', [new Float64Array(1)])).toThrow(
        /Expected `args\[0\]` of kernel `ok` to be a number, got a Float64Array: typed arrays can be passed only to modules that import a shared memory/,
      );
    } finally {
      await Promise.all([own.terminate(), js.terminate()]);
    }
  });
});

describe('pool.free', () => {
  it('rejects a double free, a subarray, a plain array and a view of another pool', () => {
    const view = pool.alloc(Float64Array, 8);
    expect(() => pool.free(view.subarray(2))).toThrow(/that alloc\(\) did not return \(a subarray or a view you built\)/);
    pool.free(view);
    expect(() => pool.free(view)).toThrow(/was already freed/);
    expect(() => pool.free(new Float64Array(4))).toThrow(/Expected `view` to be a typed array returned by pool.alloc\(\) of this pool, got a Float64Array/);
    expect(() => pool.free({} as never)).toThrow(TypeError);
    const theirs = other.alloc(Float64Array, 4);
    expect(() => pool.free(theirs)).toThrow(/allocated by another pool/);
    other.free(theirs);
  });
});

describe('typed-array arguments', () => {
  it('a worker writes into the caller’s shared view in place, and nothing is copied', async () => {
    const shared = pool.alloc(Float64Array, 4).fill(1);
    const probe = pool.alloc(Uint8Array, 1);
    const firstFree = probe.byteOffset;
    pool.free(probe);
    const result = pool.applyAsync('scaleF64', [3, shared]);
    // While the task runs, no temporary block holds a copy: the first free block is still free.
    const during = pool.alloc(Uint8Array, 1);
    expect(during.byteOffset).toBe(firstFree);
    pool.free(during);
    result.waitSync();
    expect([...shared]).toEqual([3, 3, 3, 3]);
    expect(new Float64Array(pool.memory!.buffer, shared.byteOffset, 4)[0]).toBe(3);
    // A plain array, by contrast, is copied into that first free block for the task's duration.
    const plain = new Float64Array(4).fill(1);
    const copied = pool.applyAsync('scaleF64', [3, plain]);
    const whileCopied = pool.alloc(Uint8Array, 1);
    expect(whileCopied.byteOffset).not.toBe(firstFree);
    pool.free(whileCopied);
    await copied;
    expect([...plain]).toEqual([3, 3, 3, 3]);
    pool.free(shared);
  });

  it('lowers a subarray to its own offset and length', async () => {
    const x = pool.alloc(Float64Array, 10);
    x.forEach((_, i) => (x[i] = i));
    expect(await pool.apply('sumF64', [x.subarray(2, 5)])).toBe(2 + 3 + 4);
    await pool.apply('scaleF64', [-1, x.subarray(8)]);
    expect([...x.subarray(7)]).toEqual([7, -8, -9]);
    pool.free(x);
  });

  it('copies plain typed arrays in and back, and frees the temporary block', async () => {
    const probe = pool.alloc(Float64Array, 3);
    const offset = probe.byteOffset;
    pool.free(probe);
    const values = Float64Array.from([3, -1, 2]);
    await pool.apply('sortF64', [values]);
    expect([...values]).toEqual([-1, 2, 3]);
    const y = Float32Array.from([1, 1, 1]);
    await pool.apply('axpyF32', [2, Float32Array.from([1, 2, 3]), y]);
    expect([...y]).toEqual([3, 5, 7]);
    // Every temporary copy was freed: the first free block is where the probe was.
    const again = pool.alloc(Float64Array, 3);
    expect(again.byteOffset).toBe(offset);
    pool.free(again);
  });

  it('leaves plain arrays untouched when the kernel fails, and still frees the copies', async () => {
    const probe = pool.alloc(Uint8Array, 1);
    const offset = probe.byteOffset;
    pool.free(probe);
    const y = Float64Array.from([1, 2, 3]);
    const failed = pool.apply('axpyF64', [2, new Float64Array(2), y]);
    await expect(failed).rejects.toThrow(TaskError);
    await expect(failed).rejects.toThrow(/same length/);
    expect([...y]).toEqual([1, 2, 3]);
    const again = pool.alloc(Uint8Array, 1);
    expect(again.byteOffset).toBe(offset);
    pool.free(again);
  });

  it('works in map and starmap (one typed array becomes two arguments)', async () => {
    const x = pool.alloc(Float64Array, 6).fill(2);
    expect(await pool.map('sumF64', [x, x.subarray(3), Float64Array.from([1, 2])])).toEqual([12, 6, 3]);
    expect(
      await pool.starmap('dotF64', [
        [x, x],
        [Float64Array.from([1, 2]), Float64Array.from([3, 4])],
      ]),
    ).toEqual([24, 11]);
    pool.free(x);
  });

  it('rejects, at the call, a freed view, another pool’s view and a wrong argument count', () => {
    const x = pool.alloc(Float64Array, 4);
    pool.free(x);
    expect(() => pool.applyAsync('sumF64', [x])).toThrow(/Expected `args\[0\]` of kernel `sumF64` to be a live shared array, but this Float64Array was freed/);
    expect(() => pool.mapAsync('sumF64', [new Float64Array(1), x])).toThrow(/`items\[1\]` of kernel `sumF64`/);
    const theirs = other.alloc(Float64Array, 4);
    expect(() => pool.applyAsync('sumF64', [theirs])).toThrow(/allocated by another pool/);
    other.free(theirs);
    // A view the caller built on the memory itself, over the module's static data: not a block of ours.
    expect(() => pool.applyAsync('sumF64', [new Float64Array(pool.memory!.buffer, 8, 4)])).toThrow(
      /to lie inside a block from pool.alloc\(\), but byte 8 is outside every block/,
    );
    expect(() => pool.applyAsync('identity', [new Float64Array(1)])).toThrow(/Kernel `identity` takes 1 argument \(f64\), got 2/);
    expect(() => pool.applyAsync('sumF64', [new Float64Array(1), 3])).toThrow(RangeError);
  });

  it('passes typed arrays to a JS-module pool by structured clone (a SharedArrayBuffer stays shared)', async () => {
    const js = new Pool({ workers: 1, module: twins });
    try {
      expect(await js.apply('sumF64', [Float64Array.from([1, 2, 3.5])])).toBe(6.5);
      const y = new Float64Array(new SharedArrayBuffer(16)).fill(1);
      await js.apply('scaleF64', [4, y]);
      expect([...y]).toEqual([4, 4]);
    } finally {
      await js.terminate();
    }
  });
});
