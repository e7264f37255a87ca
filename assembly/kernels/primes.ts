// Counting primes in [lo, hi): a segmented sieve of Eratosthenes over odd numbers, pointer-only.
//
// A sieve needs memory and a kernel on shared memory must not allocate, so the caller passes a
// scratch block (any Uint8Array of at least COUNT_PRIMES_SCRATCH bytes; each concurrent task needs
// its own). The front of the scratch holds the odd base primes up to sqrt(hi) as u32 (at most
// 6541 of them, 26 KiB, for hi up to 2^32), the rest is the segment: one byte per odd number.
// Cost is O((hi - lo) log log hi + sqrt(hi)) per call, so ranges can be split freely across workers.

/** Smallest scratch countPrimes accepts, in bytes. */
const COUNT_PRIMES_SCRATCH: i32 = 65536;

export function countPrimes(lo: u32, hi: u32, scratch: usize, scratchLen: i32): f64 {
  assert(scratchLen >= COUNT_PRIMES_SCRATCH, "countPrimes: the scratch block must hold at least 65536 bytes");
  if (hi <= lo) return 0;
  let count: u64 = 0;
  if (lo <= 2 && hi > 2) count = 1;
  // Odd candidates from `first` (odd, >= 3) up to hi - 1.
  let first: u64 = max<u64>(<u64>lo, 3) | 1;
  const end: u64 = <u64>hi;
  if (first >= end) return <f64>count;

  // Base primes: odd primes p with p*p < hi, by trial division against the ones found so far.
  const primes = scratch;
  let nPrimes = 0;
  for (let p: u64 = 3; p * p < end; p += 2) {
    let isPrime = true;
    for (let j = 0; j < nPrimes; j++) {
      const q = <u64>load<u32>(primes + (<usize>j << 2));
      if (q * q > p) break;
      if (p % q == 0) {
        isPrime = false;
        break;
      }
    }
    if (isPrime) {
      store<u32>(primes + (<usize>nPrimes << 2), <u32>p);
      nPrimes++;
    }
  }

  const segment = scratch + (<usize>nPrimes << 2);
  const segmentOdds = <u64>(<usize>scratchLen - (<usize>nPrimes << 2));
  for (let low = first; low < end; low += segmentOdds * 2) {
    // This segment covers the odd numbers low, low+2, ..., below segEnd.
    const segEnd = min<u64>(low + segmentOdds * 2, end);
    const odds = <usize>((segEnd - low + 1) >> 1);
    memory.fill(segment, 0, odds);
    for (let j = 0; j < nPrimes; j++) {
      const p = <u64>load<u32>(primes + (<usize>j << 2));
      if (p * p >= segEnd) break;
      // First odd multiple of p that is >= low and >= p*p (smaller multiples have a smaller factor).
      let m = max<u64>(p * p, ((low + p - 1) / p) * p);
      if ((m & 1) == 0) m += p;
      for (; m < segEnd; m += 2 * p) store<u8>(segment + <usize>((m - low) >> 1), 1);
    }
    for (let i: usize = 0; i < odds; i++) count += <u64>(1 - load<u8>(segment + i));
  }
  return <f64>count;
}
