// The JS twin of the built-in kernels the bench runs, as a wasmpool JS task
// module (`new Pool({ module })`): wasmpool spreads the argument list, so
// these take positional arguments (bench/peers/tasks.mjs is the tinypool-style
// one-argument version).

export function add(a, b) {
  return a + b;
}

export function square(x) {
  return x * x;
}

/** Busy for `ms` ms of wall time, like the built-in WASM `spin`: the "1 ms task" of the flow question. */
export function spin(ms) {
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) n++;
  return n;
}

/**
 * When this task started, on the wall clock every thread shares (time origin + now, in ms), then busy for
 * `ms`: the elastic question times a priority task from submit to start with its own result.
 */
export function startedAt(ms) {
  const start = performance.timeOrigin + performance.now();
  spin(ms);
  return start;
}

/** This worker's view of a counter the caller shares through `initializer: 'countInto'` (one SharedArrayBuffer). */
let doneCounter;

/** Initializer: keep the caller's SharedArrayBuffer so `spinCounted` can count finished items in it. */
export function countInto(buffer) {
  doneCounter = new Int32Array(buffer);
}

/** `spin`, then one more finished item in the shared counter: the flow question reads it without a turn. */
export function spinCounted(ms) {
  const n = spin(ms);
  if (doneCounter) Atomics.add(doneCounter, 0, 1);
  return n;
}
