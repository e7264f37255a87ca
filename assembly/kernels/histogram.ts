// Histogram of f64 values into Uint32 bins, pointer-only (see vector.ts).
//
// Bin i counts values in [lo + i*w, lo + (i+1)*w), w = (hi - lo) / bins. Values outside [lo, hi)
// and NaN are not counted. Counts are ADDED to the bins (not reset), so parts of a split job may
// share one set of bins only if they run one after another; in parallel give each part its own
// bins and sum them (the split helper's combine step does that).

export function histogramF64(values: usize, n: i32, lo: f64, hi: f64, bins: usize, nBins: i32): void {
  assert(isFinite(lo) && isFinite(hi) && lo < hi, "histogramF64: lo and hi must be finite with lo < hi");
  assert(nBins > 0, "histogramF64: bins must not be empty");
  const scale = <f64>nBins / (hi - lo);
  const last = nBins - 1;
  for (let i = 0; i < n; i++) {
    const v = load<f64>(values + (<usize>i << 3));
    if (v >= lo && v < hi) {
      // Rounding can put a value just below hi at index nBins: clamp it into the last bin.
      const b = min(<i32>((v - lo) * scale), last);
      const p = bins + (<usize>b << 2);
      store<u32>(p, load<u32>(p) + 1);
    }
  }
}
