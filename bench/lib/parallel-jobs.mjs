// The parallel jobs of question 2, each split into ranges across the pool's
// workers over arrays in the pool's shared memory (no copies: each task gets
// pointers), with a combine step on the main thread. One job = setup once
// per pool, then run(pool, workers) per repetition.
//
// prepare(state), when a job has one, runs untimed before every repetition.
//
// Ranges are handed out with starmapAsync and chunksize 1, several per
// worker where the cost per range is uneven (mandelbrot's rows), so a worker
// that finishes early takes the next range.

const F64 = 8;

function split(total, parts) {
  const out = [];
  for (let p = 0; p < parts; p++) {
    const start = Math.floor((total * p) / parts);
    const end = Math.floor((total * (p + 1)) / parts);
    if (end > start) out.push({ start, end, length: end - start });
  }
  return out;
}

const starmap = (pool, kernel, list) => pool.starmapAsync(kernel, list, { chunksize: 1 }).get();

export function parallelJobs(quick) {
  // Quick sizes still leave the 32 MiB L3 for the sum, so its bandwidth figure means something.
  const n = quick ? 8_000_000 : 50_000_000;
  const mm = quick ? 384 : 1024;
  const mw = quick ? 768 : 2048;
  const primesBelow = quick ? 100_000_000 : 500_000_000;
  const sortN = quick ? 2 ** 20 : 2 ** 22;
  return [
    {
      name: 'sumF64',
      kernels: ['sumF64'],
      label: `sum of ${n.toLocaleString('en')} f64 (${Math.round((n * F64) / 2 ** 20)} MiB)`,
      computeBound: false,
      bytes: n * F64,
      setup(arena) {
        const x = arena.alloc(Float64Array, n);
        x.fill(1);
        return { x };
      },
      async run(pool, { x }, workers) {
        const parts = split(n, workers);
        const partial = await starmap(
          pool,
          'sumF64',
          parts.map((r) => [x.byteOffset + r.start * F64, r.length]),
        );
        const total = partial.reduce((a, b) => a + b, 0);
        if (total !== n) throw new Error(`sumF64 gave ${total}, expected ${n}`);
      },
    },
    {
      name: 'histogramF64',
      kernels: ['histogramF64'],
      label: `histogram of ${n.toLocaleString('en')} f64 into 256 bins`,
      computeBound: false,
      setup(arena) {
        const values = arena.alloc(Float64Array, n);
        for (let i = 0; i < n; i++) values[i] = (i * 0.6180339887) % 1;
        // One bin array per range: ranges run at once and must not share counters.
        const bins = Array.from({ length: 16 }, () => arena.alloc(Uint32Array, 256));
        return { values, bins };
      },
      async run(pool, { values, bins }, workers) {
        const parts = split(n, Math.min(bins.length, workers * 2));
        for (const b of bins) b.fill(0);
        await starmap(
          pool,
          'histogramF64',
          parts.map((r, i) => [values.byteOffset + r.start * F64, r.length, 0, 1, bins[i].byteOffset, 256]),
        );
        let total = 0;
        for (const b of bins) for (const c of b) total += c;
        if (total !== n) throw new Error(`histogramF64 counted ${total}, expected ${n}`);
      },
    },
    {
      name: 'matmulF64',
      kernels: ['matmulF64'],
      label: `matmul ${mm}×${mm} f64, bands of rows`,
      computeBound: true,
      setup(arena) {
        const a = arena.alloc(Float64Array, mm * mm).fill(1);
        const b = arena.alloc(Float64Array, mm * mm).fill(2);
        const c = arena.alloc(Float64Array, mm * mm);
        return { a, b, c };
      },
      async run(pool, { a, b, c }, workers) {
        const bands = split(mm, workers * 4);
        await starmap(
          pool,
          'matmulF64',
          bands.map((r) => [
            a.byteOffset + r.start * mm * F64,
            r.length * mm,
            b.byteOffset,
            mm * mm,
            c.byteOffset + r.start * mm * F64,
            r.length * mm,
            r.length,
            mm,
            mm,
          ]),
        );
        if (c[c.length - 1] !== 2 * mm) throw new Error('matmulF64 gave a wrong product');
      },
    },
    {
      name: 'mandelbrot',
      kernels: ['mandelbrot'],
      label: `mandelbrot ${mw}×${mw}, 256 iterations, bands of rows`,
      computeBound: true,
      setup(arena) {
        return { out: arena.alloc(Uint32Array, mw * mw) };
      },
      async run(pool, { out }, workers) {
        const bands = split(mw, workers * 8);
        await starmap(
          pool,
          'mandelbrot',
          bands.map((r) => [out.byteOffset + r.start * mw * 4, r.length * mw, mw, r.start, 256, -2, -1.25, 2.5 / mw]),
        );
        if (out[(mw / 2) * mw + mw / 2] !== 256) throw new Error('mandelbrot: the centre of the set did not reach maxIter');
      },
    },
    {
      name: 'countPrimes',
      kernels: ['countPrimes'],
      label: `countPrimes below ${primesBelow.toExponential(0)}, ranges`,
      computeBound: true,
      setup(arena) {
        return { scratch: Array.from({ length: 16 }, () => arena.alloc(Uint8Array, 65536)) };
      },
      async run(pool, { scratch }, workers) {
        const ranges = split(primesBelow, Math.min(scratch.length, workers * 4));
        const counts = await starmap(
          pool,
          'countPrimes',
          ranges.map((r, i) => [r.start, r.end, scratch[i].byteOffset, 65536]),
        );
        const total = counts.reduce((a, b) => a + b, 0);
        const known = { 1e8: 5761455, 5e8: 26355867 }[primesBelow];
        if (known !== undefined && total !== known) throw new Error(`countPrimes gave ${total}, expected ${known}`);
      },
    },
    {
      name: 'sortF64',
      kernels: ['sortF64', 'mergeF64'],
      label: `sort ${sortN.toLocaleString('en')} f64: sorted runs, then merges`,
      computeBound: true,
      setup(arena) {
        const pristine = new Float64Array(sortN);
        let s = 7;
        for (let i = 0; i < sortN; i++) pristine[i] = (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
        return { pristine, x: arena.alloc(Float64Array, sortN), y: arena.alloc(Float64Array, sortN) };
      },
      prepare({ pristine, x }) {
        x.set(pristine);
      },
      async run(pool, { x, y }, workers) {
        let runs = split(sortN, workers);
        await starmap(
          pool,
          'sortF64',
          runs.map((r) => [x.byteOffset + r.start * F64, r.length]),
        );
        // Merge neighbouring runs level by level, ping-ponging between x and y.
        let [from, to] = [x, y];
        while (runs.length > 1) {
          const next = [];
          const merges = [];
          for (let i = 0; i < runs.length; i += 2) {
            const a = runs[i];
            const b = runs[i + 1];
            if (!b) {
              to.set(from.subarray(a.start, a.end), a.start);
              next.push(a);
              continue;
            }
            merges.push([
              from.byteOffset + a.start * F64,
              a.length,
              from.byteOffset + b.start * F64,
              b.length,
              to.byteOffset + a.start * F64,
              a.length + b.length,
            ]);
            next.push({ start: a.start, end: b.end, length: a.length + b.length });
          }
          await starmap(pool, 'mergeF64', merges);
          runs = next;
          [from, to] = [to, from];
        }
        for (let i = 1; i < sortN; i += sortN >> 4) if (from[i - 1] > from[i]) throw new Error('sortF64 left the array unsorted');
      },
    },
  ];
}
