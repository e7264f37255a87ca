// Monte Carlo estimate of pi: the number of random points of the unit square inside the quarter
// circle (x*x + y*y < 1). pi ≈ 4 * hits / samples.
//
// PRNG: xoshiro128** (period 2^128 - 1), its state seeded from `seed` by splitmix32. It needs only
// 32-bit integer operations, which JavaScript does exactly (Math.imul, >>>), so the JS twin draws
// the very same stream and returns the very same count. Each coordinate is one draw * 2^-32.
// To split across workers, give every part its own seed (e.g. seed + part index).

/** Hits among `samples` points (a whole number, returned as f64 so counts above 2^32 survive). */
export function monteCarloPi(samples: f64, seed: u32): f64 {
  // splitmix32 → four state words.
  let sm = seed;
  sm += 0x9e3779b9; let z = sm; z = (z ^ (z >>> 16)) * 0x85ebca6b; z = (z ^ (z >>> 13)) * 0xc2b2ae35; let s0 = z ^ (z >>> 16);
  sm += 0x9e3779b9; z = sm; z = (z ^ (z >>> 16)) * 0x85ebca6b; z = (z ^ (z >>> 13)) * 0xc2b2ae35; let s1 = z ^ (z >>> 16);
  sm += 0x9e3779b9; z = sm; z = (z ^ (z >>> 16)) * 0x85ebca6b; z = (z ^ (z >>> 13)) * 0xc2b2ae35; let s2 = z ^ (z >>> 16);
  sm += 0x9e3779b9; z = sm; z = (z ^ (z >>> 16)) * 0x85ebca6b; z = (z ^ (z >>> 13)) * 0xc2b2ae35; let s3 = z ^ (z >>> 16);

  const n = <u64>samples;
  let hits: u64 = 0;
  for (let i: u64 = 0; i < n; i++) {
    // Draw x.
    let r = rotl<u32>(s1 * 5, 7) * 9;
    let t = s1 << 9;
    s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl<u32>(s3, 11);
    const x = <f64>r * 2.3283064365386963e-10;
    // Draw y.
    r = rotl<u32>(s1 * 5, 7) * 9;
    t = s1 << 9;
    s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl<u32>(s3, 11);
    const y = <f64>r * 2.3283064365386963e-10;
    if (x * x + y * y < 1.0) hits++;
  }
  return <f64>hits;
}
