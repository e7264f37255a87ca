// Kernels may allocate (issue 17, item 1): every worker's AssemblyScript runtime allocates in a heap
// of its own, apart from pool arrays and from the other workers' heaps, and gives back what a call
// allocated when it returns. Before, `new Float64Array(n)` in a kernel overwrote pool.alloc arrays.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Pool, TaskError } from 'wasmpool';
import { built, rejection, thrown } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'wasmpool-alloc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Arrays, a StaticArray, a growing Array and strings on every call; a table made by the module's
// top-level code, which must survive every call's reset; and an initializer's allocation, likewise.
const KERNEL = `
const TABLE = new Float64Array(64);
for (let i = 0; i < 64; i++) TABLE[i] = <f64>i * 0.5;
let kept: StaticArray<i32> = new StaticArray<i32>(0);

export function setup(n: i32): void {
  kept = new StaticArray<i32>(n);
  for (let i = 0; i < n; i++) kept[i] = i * 3;
}

export function churn(n: i32, seed: i32): f64 {
  const a = new Float64Array(n);
  const s = new StaticArray<i32>(n);
  const list = new Array<f64>();
  for (let i = 0; i < n; i++) {
    a[i] = <f64>(seed + i);
    s[i] = seed ^ i;
    list.push(a[i] * 2);
  }
  let text = "";
  for (let i = 0; i < 10; i++) text += (seed + i).toString();
  let sum = 0.0;
  for (let i = 0; i < n; i++) sum += a[i] + <f64>s[i] + list[i] + TABLE[i & 63];
  return sum + <f64>text.length + <f64>kept[seed % kept.length];
}

export function spin(n: i32): i32 {
  const a = new Int32Array(n);
  while (a[0] >= 0) a[0] = (a[0] + 1) % 0x7fffffff; // never ends; a timeout stops it
  return a[0];
}

export function hog(bytes: i32): i32 {
  const a = new Uint8Array(bytes);
  return a.length;
}
`;
writeFileSync(join(dir, 'alloc.ts'), KERNEL);
const ENTRY = join(dir, 'alloc.ts');

/** churn(n, seed) computed in JS. */
function expected(n: number, seed: number, keptLength: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += seed + i + (seed ^ i) + 2 * (seed + i) + (i & 63) * 0.5;
  let text = '';
  for (let i = 0; i < 10; i++) text += String(seed + i);
  return sum + text.length + (seed % keptLength) * 3;
}

let pool: Pool | undefined;
afterEach(async () => {
  await pool?.terminate();
  pool = undefined;
});

describe('a kernel that allocates', () => {
  it('allocates in every worker at once, many times, without touching pool arrays: guards intact, every result right', async () => {
    pool = new Pool({ workers: 4, module: ENTRY, initializer: 'setup', initargs: [100] });
    // Guards on both sides of everything the pool hands out, filled with a pattern.
    const guards = [pool.alloc(Float64Array, 50_000), pool.alloc(Int32Array, 10_000)];
    guards.forEach((g) => g.fill(7));
    const more = pool.alloc(Float64Array, 50_000);
    more.fill(-1);
    guards.push(more);
    const n = 3000; // 24 KB + 12 KB + ~48 KB per call: far past one worker's share of a stub heap
    for (let round = 0; round < 3; round++) {
      const seeds = Array.from({ length: 200 }, (_, i) => round * 1000 + i);
      const results = await pool
        .starmapAsync(
          'churn',
          seeds.map((seed) => [n, seed]),
          { chunksize: 1 },
        )
        .get();
      expect(results).toEqual(seeds.map((seed) => expected(n, seed, 100)));
    }
    expect(guards[0].every((v) => v === 7)).toBe(true);
    expect(guards[1].every((v) => v === 7)).toBe(true);
    expect(guards[2].every((v) => v === -1)).toBe(true);
    // Arrays allocated after the kernels ran are not inside any worker's heap either.
    const late = pool.alloc(Float64Array, 10_000);
    late.fill(3);
    await pool
      .starmapAsync(
        'churn',
        Array.from({ length: 40 }, (_, i) => [n, i]),
        { chunksize: 1 },
      )
      .get();
    expect(late.every((v) => v === 3)).toBe(true);
  });

  it('a call that allocates more than kernelHeapSize fails with an error saying so, and the worker goes on', async () => {
    pool = new Pool({ workers: 1, module: ENTRY, kernelHeapSize: 1 << 16, initializer: 'setup', initargs: [1] });
    const error = await rejection(pool.apply('hog', [1 << 17]));
    expect(error).toBeInstanceOf(TaskError);
    expect(error.message).toMatch(/out of kernel heap: this task allocated more than `kernelHeapSize` bytes; raise PoolOptions.kernelHeapSize/);
    // Each call's allocations were given back: many calls of almost the whole heap each succeed.
    for (let i = 0; i < 20; i++) expect(await pool.apply('hog', [40_000])).toBe(40_000);
  });

  it('kernelHeapSize is checked at the constructor', () => {
    expect(thrown(() => new Pool({ module: ENTRY, kernelHeapSize: 1000 })).message).toBe(
      'Expected `kernelHeapSize` to be a number of bytes from 65536 to 1073741824, got 1000',
    );
    expect(thrown(() => new Pool({ module: ENTRY, kernelHeapSize: 1.5 })).message).toBe('Expected `kernelHeapSize` to be an integer number of bytes, got 1.5');
  });

  it('workers replaced after timeouts (terminated threads) get heaps of their own again', async () => {
    pool = new Pool({ workers: 2, module: ENTRY, initializer: 'setup', initargs: [10] });
    const guard = pool.alloc(Float64Array, 1000);
    guard.fill(9);
    // A timeout terminates the worker; its heap is held until the thread has exited, then freed. More
    // timeouts than the pool has spare heaps: each replacement still finds one.
    for (let round = 0; round < 4; round++) {
      const errors = await Promise.all([0, 1].map(() => rejection(pool!.apply('spin', [1000], { timeout: 30 }))));
      expect(errors.map((e) => e.name)).toEqual(['TimeoutError', 'TimeoutError']);
    }
    const results = await pool
      .starmapAsync(
        'churn',
        Array.from({ length: 50 }, (_, i) => [500, i]),
        { chunksize: 1 },
      )
      .get();
    expect(results).toEqual(Array.from({ length: 50 }, (_, i) => expected(500, i, 10)));
    expect(guard.every((v) => v === 9)).toBe(true);
  });
});

describe('a prebuilt module whose allocator cannot be given its own heap', () => {
  it('is refused at the constructor with why and how to build it', () => {
    const error = thrown(() => new Pool({ module: built('fixtures/unsafe-alloc.wasm') }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(/imports a shared memory and keeps a pointer in a mutable global/);
    expect(error.message).toMatch(/its allocations would overwrite pool arrays and each other\. Build it with `npx wasmpool build FILE\.ts`/);
  });

  it('the built-in kernels, which never allocate, are not', async () => {
    pool = new Pool({ workers: 1 });
    expect(await pool.apply('add', [1, 2])).toBe(3);
  });
});
