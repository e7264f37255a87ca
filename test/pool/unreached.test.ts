// Public behaviour no other test reached: alloc of the narrower and 64-bit integer arrays, parallel({ align }),
// and the wasmpool/assembly helpers random(), logNumber() and AssemblyScript's trace() in a real worker.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { Pool } from 'wasmpool';
import { fixture } from '../helpers.js';

let pool: Pool | undefined;
afterEach(async () => {
  await pool?.terminate();
  pool = undefined;
});

describe('alloc of Int8Array, Uint16Array and BigUint64Array', () => {
  it.each([
    [Int8Array, -128, 127],
    [Uint16Array, 0, 65_535],
  ] as const)('%o: a zeroed, aligned view on the shared memory, zeroed again when its block is reused', (type, lo, hi) => {
    pool = new Pool({ workers: 1 });
    const view = pool.alloc(type, 9);
    expect(view).toBeInstanceOf(type);
    expect(view).toHaveLength(9);
    expect(view.buffer).toBe(pool.memory!.buffer);
    expect(view.byteOffset % type.BYTES_PER_ELEMENT).toBe(0);
    expect([...view]).toEqual(new Array(9).fill(0));
    view.set([lo, hi, lo, hi, lo, hi, lo, hi, lo]);
    expect(new type(pool.memory!.buffer, view.byteOffset, 2)).toEqual(new type([lo, hi])); // it is that memory
    pool.free(view);
    const again = pool.alloc(type, 9);
    expect([...again]).toEqual(new Array(9).fill(0)); // a reused block is cleared unless { zero: false }
  });

  it('BigUint64Array: 8-byte aligned, holds the full 64-bit range, little-endian in the shared memory', () => {
    pool = new Pool({ workers: 1 });
    pool.alloc(Uint8Array, 3); // put the next block off an 8-byte boundary unless alloc aligns it
    const view = pool.alloc(BigUint64Array, 4);
    expect(view).toBeInstanceOf(BigUint64Array);
    expect(view.byteOffset % 8).toBe(0);
    expect([...view]).toEqual([0n, 0n, 0n, 0n]);
    view[0] = 2n ** 64n - 1n;
    view[1] = 2n ** 40n + 7n;
    const data = new DataView(pool.memory!.buffer, view.byteOffset, 16);
    expect(data.getBigUint64(0, true)).toBe(2n ** 64n - 1n);
    expect(data.getBigUint64(8, true)).toBe(2n ** 40n + 7n);
  });
});

describe('pool.parallel({ align })', () => {
  it('cuts the range only at multiples of align, covers it exactly, and combines the parts', async () => {
    pool = new Pool({ workers: 2 });
    const n = 1_000;
    const x = pool.alloc(Float64Array, n);
    for (let i = 0; i < n; i++) x[i] = i;
    const ranges: Array<[number, number]> = [];
    const total = await pool.parallel<number, number>('sumF64', {
      length: n,
      parts: 3,
      align: 64,
      args: (start, end) => {
        ranges.push([start, end]);
        return [x.subarray(start, end)];
      },
      combine: (partials) => partials.reduce((a, b) => a + b, 0),
    });
    expect(total).toBe((n * (n - 1)) / 2);
    ranges.sort((a, b) => a[0] - b[0]);
    expect(ranges).toHaveLength(3);
    expect(ranges[0][0]).toBe(0);
    expect(ranges.at(-1)![1]).toBe(n);
    for (let i = 1; i < ranges.length; i++) {
      expect(ranges[i][0]).toBe(ranges[i - 1][1]); // contiguous
      expect(ranges[i][0] % 64).toBe(0); // every inner boundary aligned
    }
    expect(ranges.map(([s, e]) => e - s)).toEqual([320, 320, 360]); // 16 blocks of 64 split 5, 5, 6 (the last cut short)
  });
});

describe('wasmpool/assembly helpers in a worker', () => {
  const run = promisify(execFile);
  const script = fixture('scripts/host-helpers.mjs');

  it('trace() and logNumber() print from inside the worker; random() draws from [0, 1]', async () => {
    const { stdout } = await run(process.execPath, [script], { timeout: 60_000 });
    const lines = stdout.split('\n');
    expect(lines.slice(0, 3)).toEqual(['trace: traced 1.5, 3', 'value: 1.5', 'traced returned 1.5']);
    const sum = Number(/^draws\(1000\) = ([\d.]+)$/m.exec(stdout)?.[1]);
    expect(sum).toBeGreaterThan(400); // 1,000 uniform draws: mean 500, sd about 9
    expect(sum).toBeLessThan(600);
  }, 60_000);

  it("random() is the host's Math.random: fixed to 1 in the workers, 1,000 draws sum to 1,000", async () => {
    const { stdout } = await run(process.execPath, ['--import', fixture('scripts/fixed-seed.mjs'), script], {
      timeout: 60_000,
      env: { ...process.env, WASMPOOL_FIXED_SEED: '1' },
    });
    expect(stdout).toMatch(/^draws\(1000\) = 1000$/m);
  }, 60_000);
});
