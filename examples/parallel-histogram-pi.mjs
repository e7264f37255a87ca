// Two reductions with a combine step: a histogram of 20 million values (each part fills its own
// bins, combine adds them up) and a Monte Carlo estimate of pi (each part its own PRNG seed).
import { Pool } from 'wasmpool';

const pool = new Pool();
const n = 20_000_000;
const values = pool.alloc(Float64Array, n);
for (let i = 0; i < n; i++) values[i] = (Math.random() + Math.random() + Math.random()) / 3; // a bell-ish shape

const bins = 20;
const parts = pool.workers;
const perPart = pool.alloc(Uint32Array, parts * bins);
const histogram = await pool.parallel('histogramF64', {
  length: n,
  parts,
  args: (start, end, part) => [values.subarray(start, end), 0, 1, perPart.subarray(part * bins, (part + 1) * bins)],
  combine: () => Array.from({ length: bins }, (_, b) => Array.from({ length: parts }, (_, p) => perPart[p * bins + b]).reduce((x, y) => x + y, 0)),
});
const widest = Math.max(...histogram);
histogram.forEach((count, b) => console.log(`${(b / bins).toFixed(2)} ${'#'.repeat(Math.round((50 * count) / widest))}`));

const samples = 100_000_000;
const hits = await pool.parallel('monteCarloPi', {
  length: samples,
  args: (start, end, part) => [end - start, 1234 + part], // same parts and seeds → the same answer every run
  combine: (counts) => counts.reduce((x, y) => x + y, 0),
});
console.log(`pi ≈ ${(4 * hits) / samples} from ${samples} samples`);
pool.free(values);
pool.free(perPart);
await pool.terminate();
