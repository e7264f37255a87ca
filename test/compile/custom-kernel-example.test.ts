// examples/custom-kernel runs as a user would run it: its kernels compiled by Pool.create, one of
// them allocating in its worker's heap, and a typed-array argument of the wrong type refused.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const EXAMPLE = fileURLToPath(new URL('../../examples/custom-kernel/', import.meta.url));

describe('examples/custom-kernel', () => {
  it('prints the normalized range, the moving average, the median (as JS computes it) and the refusal', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['run.mjs'], { cwd: EXAMPLE, timeout: 60_000 });
    const n = 1_000_000;
    const x = Float64Array.from({ length: n }, (_, i) => Math.sin(i / 1000) * 50 + 20);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of x) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    const sorted = x.map((v) => (v - lo) * (1 / (hi - lo))).sort();
    const median = (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    expect(stdout).toContain('range before normalizing: 100.000; now x spans [0.000, 1.000]');
    expect(stdout).toContain(`median of x: ${median.toFixed(6)}`);
    expect(stdout).toContain('a Float32Array for a Float64Ptr: Expected `args[0]` (x) of kernel `median` to be a Float64Array, got a Float32Array');
  });
});
