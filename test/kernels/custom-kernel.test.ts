// The "Writing your own kernels" example project: its AssemblyScript source, importing the helper
// library as "wasmpool/assembly", runs on a pool over shared arrays both ways the README shows —
// given to the Pool as .ts (compiled at the constructor) and built with `wasmpool build`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from 'wasmpool';

const SOURCE = new URL('../../examples/custom-kernel/assembly/kernel.ts', import.meta.url);
const BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'wasmpool-custom-kernel-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const sources: Array<[string, () => string | URL]> = [
  ['given as .ts source', () => SOURCE],
  [
    'built with `wasmpool build`',
    () => {
      const wasm = join(out, 'kernel.wasm');
      execFileSync(process.execPath, [BIN, 'build', fileURLToPath(SOURCE), '-o', wasm], { stdio: 'pipe' });
      return wasm;
    },
  ],
];

describe.each(sources)('examples/custom-kernel %s', (_, moduleFor) => {
  let pool: Pool;
  beforeAll(() => {
    pool = new Pool({ workers: 2, module: moduleFor() });
  }, 60_000);
  afterAll(() => pool?.terminate());

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
