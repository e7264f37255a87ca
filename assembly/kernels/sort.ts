// Ascending in-place sort of f64, and the merge step of a parallel sort; pointer-only.
//
// Order: as Float64Array.prototype.sort — -Infinity … -0 < +0 … +Infinity, then every NaN.
// Each value's bits are mapped in place to an unsigned key with the same order (flip all bits of
// negatives, the sign bit of positives; NaN → the largest key), the keys are sorted as u64 with an
// introsort (quicksort, heapsort past a depth limit, insertion sort for short ranges — all in
// place, so no scratch memory), and mapped back. NaNs come out as one canonical NaN.
// The recursion lives on the WASM call stack, not in shared memory.

// @ts-ignore: decorator
@inline const SIGN: u64 = 0x8000000000000000;
// @ts-ignore: decorator
@inline const SMALL = 24;

// @ts-ignore: decorator
@inline
function toKey(bits: u64): u64 {
  if ((bits & 0x7fffffffffffffff) > 0x7ff0000000000000) return 0xffffffffffffffff; // NaN
  return bits & SIGN ? ~bits : bits | SIGN;
}

// @ts-ignore: decorator
@inline
function fromKey(key: u64): u64 {
  return key & SIGN ? key ^ SIGN : ~key;
}

// @ts-ignore: decorator
@inline
function at(p: usize, i: i32): u64 {
  return load<u64>(p + (<usize>i << 3));
}

// @ts-ignore: decorator
@inline
function put(p: usize, i: i32, v: u64): void {
  store<u64>(p + (<usize>i << 3), v);
}

function insertionSort(p: usize, lo: i32, hi: i32): void {
  for (let i = lo + 1; i <= hi; i++) {
    const v = at(p, i);
    let j = i - 1;
    while (j >= lo && at(p, j) > v) {
      put(p, j + 1, at(p, j));
      j--;
    }
    put(p, j + 1, v);
  }
}

function siftDown(p: usize, lo: i32, root: i32, n: i32): void {
  const v = at(p, lo + root);
  let i = root;
  for (;;) {
    let child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && at(p, lo + child + 1) > at(p, lo + child)) child++;
    const c = at(p, lo + child);
    if (c <= v) break;
    put(p, lo + i, c);
    i = child;
  }
  put(p, lo + i, v);
}

function heapSort(p: usize, lo: i32, hi: i32): void {
  const n = hi - lo + 1;
  for (let i = (n >> 1) - 1; i >= 0; i--) siftDown(p, lo, i, n);
  for (let end = n - 1; end > 0; end--) {
    const top = at(p, lo);
    put(p, lo, at(p, lo + end));
    put(p, lo + end, top);
    siftDown(p, lo, 0, end);
  }
}

function introSort(p: usize, lo: i32, hi: i32, depth: i32): void {
  while (hi - lo > SMALL) {
    if (depth-- == 0) {
      heapSort(p, lo, hi);
      return;
    }
    // Median of three as pivot; Hoare partition tolerates many equal keys.
    const mid = lo + ((hi - lo) >> 1);
    let a = at(p, lo), b = at(p, mid), c = at(p, hi);
    if (a > b) { const t = a; a = b; b = t; }
    if (b > c) { const t = b; b = c; c = t; }
    if (a > b) { const t = a; a = b; b = t; }
    const pivot = b;
    let i = lo - 1;
    let j = hi + 1;
    for (;;) {
      do i++; while (at(p, i) < pivot);
      do j--; while (at(p, j) > pivot);
      if (i >= j) break;
      const t = at(p, i);
      put(p, i, at(p, j));
      put(p, j, t);
    }
    // Recurse into the smaller side, loop on the larger: the stack stays O(log n).
    if (j - lo < hi - j) {
      introSort(p, lo, j, depth);
      lo = j + 1;
    } else {
      introSort(p, j + 1, hi, depth);
      hi = j;
    }
  }
  insertionSort(p, lo, hi);
}

export function sortF64(x: usize, n: i32): void {
  if (n < 2) return;
  for (let i: i32 = 0; i < n; i++) put(x, i, toKey(at(x, i)));
  introSort(x, 0, n - 1, 2 * (32 - clz<i32>(n)));
  for (let i: i32 = 0; i < n; i++) put(x, i, fromKey(at(x, i)));
}

/** Merges two ascending runs a and b (sortF64's order) into out; out must not overlap them. Stable. */
export function mergeF64(a: usize, na: i32, b: usize, nb: i32, out: usize, nOut: i32): void {
  assert(<i64>nOut == <i64>na + <i64>nb, "mergeF64: out must hold exactly a.length + b.length values");
  let i: i32 = 0, j: i32 = 0, k: i32 = 0;
  while (i < na && j < nb) {
    const va = at(a, i);
    const vb = at(b, j);
    if (toKey(va) <= toKey(vb)) {
      put(out, k++, va);
      i++;
    } else {
      put(out, k++, vb);
      j++;
    }
  }
  if (i < na) memory.copy(out + (<usize>k << 3), a + (<usize>i << 3), <usize>(na - i) << 3);
  else if (j < nb) memory.copy(out + (<usize>k << 3), b + (<usize>j << 3), <usize>(nb - j) << 3);
}
