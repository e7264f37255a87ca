// What question 1 runs: every built-in kernel at two sizes, one that fits in
// cache and one that does not (or, for compute-bound kernels, a small and a
// large problem). Arguments are written once in the twin's form (typed arrays
// and numbers); the WASM form, (ptr, len) per array, is derived from them.
//
// Machine this was sized for: 48 KiB L1d and 1 MiB L2 per core, 32 MiB L3.

/** Deterministic inputs, so every run measures the same work. */
function random(Type, n, lo = -1, hi = 1, seed = 1) {
  const out = new Type(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((hi - lo) * s) / 2 ** 32;
  }
  return out;
}

const kib = (bytes) => (bytes >= 2 ** 20 ? `${bytes / 2 ** 20} MiB` : `${bytes / 1024} KiB`);

function vectorSizes(quick, bytesPer, arrays) {
  const big = quick ? 2 ** 21 : 2 ** 23;
  const label = (n) => `n=${n.toLocaleString('en')} (${kib(n * bytesPer * arrays)})`;
  return [
    { n: 4096, short: 'in cache', label: `${label(4096)}, in L1` },
    { n: big, short: 'out of cache', label: `${label(big)}, ${quick ? 'beyond L2' : 'beyond L3'}` },
  ];
}

/**
 * Each spec: name (the export in both modules), the target ratio
 * (JS time / WASM time) if it has one, and sizes with an args() builder.
 * `targetAt` is the size the target is judged at: in cache for streaming
 * kernels (out of cache both sides wait on memory, which no code changes),
 * the large problem for compute-bound ones (a tiny problem measures set-up).
 * `restore` names an argument the kernel changes in place and that must be
 * restored before every call (sort), on both sides alike.
 */
export function kernelSpecs(quick) {
  const specs = [];
  const vec = (name, target, Type, build) => {
    const arrays = build(Type, 1).filter((a) => ArrayBuffer.isView(a)).length;
    const sizes = vectorSizes(quick, Type.BYTES_PER_ELEMENT, arrays).map((s) => ({ short: s.short, label: s.label, args: () => build(Type, s.n) }));
    specs.push({ name, target, targetAt: 0, sizes });
  };
  vec('sumF64', 3, Float64Array, (T, n) => [random(T, n)]);
  vec('dotF64', 3, Float64Array, (T, n) => [random(T, n), random(T, n, -1, 1, 2)]);
  vec('axpyF64', 3, Float64Array, (T, n) => [1e-9, random(T, n), random(T, n, -1, 1, 2)]);
  vec('scaleF64', undefined, Float64Array, (T, n) => [1.0000001, random(T, n)]);
  vec('sumF32', undefined, Float32Array, (T, n) => [random(T, n)]);
  vec('dotF32', undefined, Float32Array, (T, n) => [random(T, n), random(T, n, -1, 1, 2)]);
  vec('axpyF32', undefined, Float32Array, (T, n) => [1e-9, random(T, n), random(T, n, -1, 1, 2)]);
  vec('scaleF32', undefined, Float32Array, (T, n) => [1.0000001, random(T, n)]);
  vec('histogramF64', undefined, Float64Array, (T, n) => [random(T, n, 0, 1), 0, 1, new Uint32Array(256)]);

  const matmul = (n) => [random(Float64Array, n * n), random(Float64Array, n * n, -1, 1, 2), new Float64Array(n * n), n, n, n];
  const mm = quick ? [32, 128] : [64, 512];
  specs.push({
    name: 'matmulF64',
    target: 6,
    targetAt: 1,
    sizes: [
      { short: `${mm[0]}×${mm[0]}`, label: `${mm[0]}×${mm[0]} (${kib(mm[0] ** 2 * 24)} for a, b, c), in L2`, args: () => matmul(mm[0]) },
      { short: `${mm[1]}×${mm[1]}`, label: `${mm[1]}×${mm[1]} (${kib(mm[1] ** 2 * 24)}), beyond L2`, args: () => matmul(mm[1]) },
    ],
  });

  // One image, width W, all rows; the view is the classic [-2, 0.5] × [-1.25, 1.25].
  const mandel = (w) => [new Uint32Array(w * w), w, 0, 256, -2, -1.25, 2.5 / w];
  const mw = quick ? [64, 256] : [128, 768];
  specs.push({
    name: 'mandelbrot',
    target: 1.0,
    targetAt: 1,
    sizes: mw.map((w) => ({ short: `${w}×${w}`, label: `${w}×${w} pixels, 256 iterations`, args: () => mandel(w) })),
  });

  const primes = quick ? [1e5, 1e6] : [1e5, 2e7];
  specs.push({
    name: 'countPrimes',
    target: 2,
    targetAt: 1,
    sizes: primes.map((hi) => ({ short: `below ${hi.toExponential(0)}`, label: `[0, ${hi.toExponential(0)})`, args: () => [0, hi, new Uint8Array(65536)] })),
  });

  const samples = quick ? [1e4, 1e6] : [1e4, 1e7];
  specs.push({
    name: 'monteCarloPi',
    target: 1.7,
    targetAt: 1,
    sizes: samples.map((n) => ({ short: `${n.toExponential(0)} samples`, label: `${n.toExponential(0)} samples`, args: () => [n, 12345] })),
  });

  const sortN = quick ? [4096, 2 ** 18] : [4096, 2 ** 21];
  specs.push({
    name: 'sortF64',
    target: undefined,
    restore: 0,
    sizes: sortN.map((n) => ({
      short: `n=${n}`,
      label: `n=${n.toLocaleString('en')} (${kib(n * 8)}), random order (includes restoring the input)`,
      args: () => [random(Float64Array, n)],
    })),
  });
  return specs;
}
