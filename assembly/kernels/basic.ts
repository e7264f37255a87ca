// Trivial kernels: dispatch benchmarks and smoke tests use them, so they must stay trivial.

export function add(a: f64, b: f64): f64 {
  return a + b;
}

export function identity(x: f64): f64 {
  return x;
}

export function square(x: f64): f64 {
  return x * x;
}

/** Spins for `ms` milliseconds of wall time without allocating (for tests of timeouts and ready()). */
@external("wasmpool", "now")
declare function hostNow(): f64;

export function spin(ms: f64): f64 {
  const end = hostNow() + ms;
  let n: f64 = 0;
  while (hostNow() < end) n += 1;
  return n;
}

/** Never returns: a runaway kernel, for per-task timeouts. */
export function loopForever(): i32 {
  let n: i32 = 0;
  while (true) {
    n += 1;
    if (n == -1) break;
  }
  return n;
}
