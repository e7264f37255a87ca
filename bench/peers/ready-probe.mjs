// A wasmpool JS task module for timing "task end → ready() true" without
// comparing two threads' clocks: the task announces it is running, then
// returns the moment the main thread flips a shared cell. The main thread
// times from its own flip to ready() turning true, never yielding, so the
// figure is an upper bound on the pool's completion path (it also contains
// the worker noticing the flip, a cache-line transfer).

export const RUNNING = 1;
export const RELEASE = 0;

export function holdUntilReleased(shared) {
  const cells = new Int32Array(shared);
  Atomics.store(cells, RUNNING, 1);
  while (Atomics.load(cells, RELEASE) === 0);
  return 0;
}
