// The parallel jobs of question 2, written as a user would: arrays from
// pool.alloc() (the pool's shared memory, so tasks get pointers, no copies),
// split with pool.parallel() (a starmap with chunksize 1 plus a combine step),
// and parallelSort() for the sort. One job = setup(pool) once per pool, then
// run(pool, state, workers) per repetition; prepare(state), when a job has
// one, runs untimed before every repetition.
//
// Several parts per worker where the cost per part is uneven (mandelbrot's
// rows), so a worker that finishes early takes the next part.
import { parallelSort } from 'wasmpool';

const F64 = 8;

export function parallelJobs(quick) {
  // Quick sizes still leave the 32 MiB L3 for the sum, so its bandwidth figure means something.
  const n = quick ? 8_000_000 : 50_000_000;
  const mm = quick ? 384 : 1024;
  const mw = quick ? 768 : 2048;
  const primesBelow = quick ? 100_000_000 : 500_000_000;
  const sortN = quick ? 2 ** 20 : 2 ** 22;
  const sum = (values) => values.reduce((a, b) => a + b, 0);
  return [
    {
      name: 'sumF64',
      kernels: ['sumF64'],
      label: `sum of ${n.toLocaleString('en')} f64 (${Math.round((n * F64) / 2 ** 20)} MiB)`,
      computeBound: false,
      bytes: n * F64,
      setup(pool) {
        return { x: pool.alloc(Float64Array, n).fill(1) };
      },
      async run(pool, { x }, workers) {
        const total = await pool.parallel('sumF64', { length: n, parts: workers, args: (s, e) => [x.subarray(s, e)], combine: sum });
        if (total !== n) throw new Error(`sumF64 gave ${total}, expected ${n}`);
      },
    },
    {
      name: 'histogramF64',
      kernels: ['histogramF64'],
      label: `histogram of ${n.toLocaleString('en')} f64 into 256 bins`,
      computeBound: false,
      setup(pool) {
        const values = pool.alloc(Float64Array, n);
        for (let i = 0; i < n; i++) values[i] = (i * 0.6180339887) % 1;
        // One bin array per part: parts run at once and must not share counters.
        return { values, bins: pool.alloc(Uint32Array, 256 * 16) };
      },
      async run(pool, { values, bins }, workers) {
        bins.fill(0);
        const parts = workers * 2;
        await pool.parallel('histogramF64', {
          length: n,
          parts,
          args: (s, e, part) => [values.subarray(s, e), 0, 1, bins.subarray(part * 256, part * 256 + 256)],
        });
        const total = sum(bins);
        if (total !== n) throw new Error(`histogramF64 counted ${total}, expected ${n}`);
      },
    },
    {
      name: 'matmulF64',
      kernels: ['matmulF64'],
      label: `matmul ${mm}×${mm} f64, bands of rows`,
      computeBound: true,
      setup(pool) {
        return { a: pool.alloc(Float64Array, mm * mm).fill(1), b: pool.alloc(Float64Array, mm * mm).fill(2), c: pool.alloc(Float64Array, mm * mm) };
      },
      async run(pool, { a, b, c }, workers) {
        await pool.parallel('matmulF64', {
          length: mm,
          parts: workers * 4,
          args: (r0, r1) => [a.subarray(r0 * mm, r1 * mm), b, c.subarray(r0 * mm, r1 * mm), r1 - r0, mm, mm],
        });
        if (c[c.length - 1] !== 2 * mm) throw new Error('matmulF64 gave a wrong product');
      },
    },
    {
      name: 'mandelbrot',
      kernels: ['mandelbrot'],
      label: `mandelbrot ${mw}×${mw}, 256 iterations, bands of rows`,
      computeBound: true,
      setup(pool) {
        return { out: pool.alloc(Uint32Array, mw * mw) };
      },
      async run(pool, { out }, workers) {
        await pool.parallel('mandelbrot', {
          length: mw,
          parts: workers * 8,
          args: (r0, r1) => [out.subarray(r0 * mw, r1 * mw), mw, r0, 256, -2, -1.25, 2.5 / mw],
        });
        if (out[(mw / 2) * mw + mw / 2] !== 256) throw new Error('mandelbrot: the centre of the set did not reach maxIter');
      },
    },
    {
      name: 'countPrimes',
      kernels: ['countPrimes'],
      label: `countPrimes below ${primesBelow.toExponential(0)}, ranges`,
      computeBound: true,
      setup(pool) {
        // One scratch block per part: parts run at once.
        return { scratch: pool.alloc(Uint8Array, 65536 * 16) };
      },
      async run(pool, { scratch }, workers) {
        const total = await pool.parallel('countPrimes', {
          length: primesBelow,
          parts: workers * 4,
          args: (lo, hi, part) => [lo, hi, scratch.subarray(part * 65536, part * 65536 + 65536)],
          combine: sum,
        });
        const known = { 1e8: 5761455, 5e8: 26355867 }[primesBelow];
        if (known !== undefined && total !== known) throw new Error(`countPrimes gave ${total}, expected ${known}`);
      },
    },
    {
      name: 'sortF64',
      kernels: ['sortF64', 'mergeF64'],
      label: `parallelSort of ${sortN.toLocaleString('en')} f64 (sorted runs, then merges)`,
      computeBound: true,
      setup(pool) {
        const pristine = new Float64Array(sortN);
        let s = 7;
        for (let i = 0; i < sortN; i++) pristine[i] = (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
        return { pristine, x: pool.alloc(Float64Array, sortN) };
      },
      prepare({ pristine, x }) {
        x.set(pristine);
      },
      async run(pool, { x }, workers) {
        await parallelSort(pool, x, { parts: workers });
        for (let i = 1; i < sortN; i += sortN >> 4) if (x[i - 1] > x[i]) throw new Error('parallelSort left the array unsorted');
      },
    },
  ];
}
