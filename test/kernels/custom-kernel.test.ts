// The "Writing your own kernels" example project: it must build with asc (importing the helper
// library as "wasmpool/assembly") and its kernels must run on a pool over shared arrays.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from 'wasmpool';

const project = fileURLToPath(new URL('../../examples/custom-kernel/', import.meta.url));
let pool: Pool;

beforeAll(() => {
  execFileSync(process.execPath, ['build.mjs'], { cwd: project, stdio: 'pipe' });
  pool = new Pool({ workers: 2, module: `${project}build/kernel.wasm` });
}, 60_000);
afterAll(() => pool?.terminate());

describe('examples/custom-kernel', () => {
  it('imports the shared memory the pool creates', () => {
    expect(pool.memory).toBeInstanceOf(WebAssembly.Memory);
    expect(pool.memory!.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it('normalize rescales a shared array in place and returns its former range', async () => {
    const x = pool.alloc(Float64Array, 5);
    x.set([4, 2, 10, 6, 2]);
    expect(await pool.apply('normalize', [x])).toBe(8);
    expect([...x]).toEqual([0.25, 0, 1, 0.5, 0]);
    pool.free(x);
  });

  it('movingAverage split across workers equals the plain computation', async () => {
    const n = 1000;
    const w = 7;
    const x = pool.alloc(Float64Array, n);
    x.forEach((_, i) => (x[i] = (i * 37) % 101));
    const out = pool.alloc(Float64Array, n - w + 1);
    await pool.parallel('movingAverage', { length: out.length, parts: 3, args: (s, e) => [x.subarray(s, e + w - 1), out.subarray(s, e), w] });
    for (const i of [0, 1, 333, out.length - 1]) {
      let sum = 0;
      for (let j = i; j < i + w; j++) sum += x[j];
      expect(out[i]).toBeCloseTo(sum / w, 9);
    }
    await expect(pool.apply('movingAverage', [x, new Float64Array(3), w])).rejects.toThrow(/out must hold x.length - w \+ 1 values/);
    pool.free(x);
    pool.free(out);
  });
});
