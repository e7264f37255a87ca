// countPrimes, monteCarloPi and histogram: integer results, so WASM and twin must agree exactly.
import { describe, expect, it } from 'vitest';
import * as twin from '../../kernels-js/index.js';
import { WasmKernels } from './wasm-harness.js';
import { randomF64, sameElements, seeded } from './random.js';

const wasm = new WasmKernels();
const scratch = new Uint8Array(twin.COUNT_PRIMES_SCRATCH);

function isPrimeByTrialDivision(n: number): boolean {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

describe('countPrimes', () => {
  it('counts every small range [lo, hi) as trial division does', () => {
    for (let lo = 0; lo < 60; lo += 1) {
      for (const hi of [lo, lo + 1, lo + 2, lo + 3, lo + 10, lo + 97]) {
        let expected = 0;
        for (let n = lo; n < hi; n++) if (isPrimeByTrialDivision(n)) expected++;
        expect([lo, hi, wasm.call('countPrimes', lo, hi, scratch)]).toEqual([lo, hi, expected]);
        expect(twin.countPrimes(lo, hi, scratch)).toBe(expected);
      }
    }
  });

  it('knows pi(10^6) = 78498 and pi(10^7) = 664579 (ranges spanning many segments)', () => {
    expect(wasm.call('countPrimes', 0, 1_000_000, scratch)).toBe(78498);
    expect(wasm.call('countPrimes', 0, 10_000_000, scratch)).toBe(664579);
    expect(twin.countPrimes(0, 1_000_000, scratch)).toBe(78498);
  });

  it('adds up over split ranges exactly as over the whole range', () => {
    const cuts = [0, 12345, 500_000, 500_001, 777_777, 1_000_000];
    let total = 0;
    for (let i = 0; i + 1 < cuts.length; i++) total += wasm.call('countPrimes', cuts[i], cuts[i + 1], scratch)!;
    expect(total).toBe(78498);
  });

  it('matches the twin on random ranges and at the top of the u32 range', () => {
    const random = seeded(42);
    for (let t = 0; t < 20; t++) {
      const lo = Math.floor(random() * 50_000_000);
      const hi = lo + Math.floor(random() * 200_000);
      expect(wasm.call('countPrimes', lo, hi, scratch)).toBe(twin.countPrimes(lo, hi, scratch));
    }
    // The largest input that fits: hi = 2^32 - 1 (base primes up to 65535).
    const top = 2 ** 32 - 1;
    expect(wasm.call('countPrimes', top - 100_000, top, scratch)).toBe(twin.countPrimes(top - 100_000, top, scratch));
  });

  it('returns 0 for an empty or reversed range', () => {
    expect(wasm.call('countPrimes', 100, 100, scratch)).toBe(0);
    expect(wasm.call('countPrimes', 100, 50, scratch)).toBe(0);
  });

  it('rejects a scratch block that is too small', () => {
    expect(() => wasm.call('countPrimes', 0, 100, new Uint8Array(100))).toThrow(/at least 65536 bytes/);
    expect(() => twin.countPrimes(0, 100, new Uint8Array(100))).toThrow(/at least 65536 bytes/);
  });
});

describe('monteCarloPi', () => {
  it.each([
    [0, 1],
    [1, 1],
    [7, 123],
    [10_000, 0],
    [100_003, 0xffffffff],
  ])('%i samples with seed %i give the same hit count as the twin', (samples, seed) => {
    expect(wasm.call('monteCarloPi', samples, seed)).toBe(twin.monteCarloPi(samples, seed));
  });

  it('estimates pi within 5 standard errors for 10^6 samples', () => {
    const samples = 1_000_000;
    const estimate = (4 * wasm.call('monteCarloPi', samples, 2024)!) / samples;
    // Each sample is a Bernoulli(pi/4) trial: the estimate's standard error is 4·sqrt(p(1-p)/n) ≈ 0.0016.
    expect(Math.abs(estimate - Math.PI)).toBeLessThan(5 * 4 * Math.sqrt(((Math.PI / 4) * (1 - Math.PI / 4)) / samples));
  });

  it('gives different streams for different seeds', () => {
    expect(wasm.call('monteCarloPi', 10_000, 1)).not.toBe(wasm.call('monteCarloPi', 10_000, 2));
  });
});

describe('histogramF64', () => {
  it.each([0, 1, 2, 17, 1000, 4099])('matches the twin on %i random values', (n) => {
    const random = seeded(7 + n);
    const values = randomF64(n, random, 3); // [-1.5, 1.5): some fall outside [-1, 1)
    const bins = new Uint32Array(13);
    const expected = new Uint32Array(13);
    twin.histogramF64(values, -1, 1, expected);
    wasm.call('histogramF64', values, -1, 1, bins);
    expect(sameElements(bins, expected)).toBe(true);
  });

  it('skips NaN, ±Infinity and values outside [lo, hi); the value just below hi goes to the last bin', () => {
    const values = Float64Array.from([Number.NaN, Infinity, -Infinity, 0, 10, -1e-300, 9.999999999999998, 5, 4.999999999999999]);
    const bins = new Uint32Array(2);
    wasm.call('histogramF64', values, 0, 10, bins);
    expect([...bins]).toEqual([2, 2]);
    const expected = new Uint32Array(2);
    twin.histogramF64(values, 0, 10, expected);
    expect([...expected]).toEqual([2, 2]);
  });

  it('adds to the counts already in the bins', () => {
    const bins = Uint32Array.from([5, 6]);
    wasm.call('histogramF64', Float64Array.from([0.25, 0.75, 0.8]), 0, 1, bins);
    expect([...bins]).toEqual([6, 8]);
  });

  it('rejects lo >= hi, non-finite bounds and empty bins', () => {
    expect(() => wasm.call('histogramF64', new Float64Array(1), 1, 1, new Uint32Array(2))).toThrow(/lo < hi/);
    expect(() => wasm.call('histogramF64', new Float64Array(1), 0, Infinity, new Uint32Array(2))).toThrow(/finite/);
    expect(() => wasm.call('histogramF64', new Float64Array(1), 0, 1, new Uint32Array(0))).toThrow(/not be empty/);
    expect(() => twin.histogramF64(new Float64Array(1), 2, 1, new Uint32Array(2))).toThrow(RangeError);
  });
});
