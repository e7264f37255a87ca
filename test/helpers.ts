import { fileURLToPath } from 'node:url';

/** Absolute path of a file under test/fixtures or build/. */
export const fixture = (relative: string): string => fileURLToPath(new URL(`./fixtures/${relative}`, import.meta.url));
export const built = (relative: string): string => fileURLToPath(new URL(`../build/${relative}`, import.meta.url));

export const JS_TASKS = fixture('js/tasks.mjs');
/** Kernels that coordinate with the test through shared memory (test/fixtures/js/handshakes.mjs). */
export const HANDSHAKES = fixture('js/handshakes.mjs');
export const FAULTS_WASM = built('fixtures/faults.wasm');
export const BOUND_WASM = built('fixtures/bound.wasm');
export const SEED_WASM = built('examples/seed.wasm');

/** Awaits a promise that must reject, and returns the error for assertions. */
export async function rejection(promise: PromiseLike<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

export function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to throw, but it returned');
}

/** Resolves once `condition()` holds: a handshake on state the test can observe, polled each millisecond. */
export async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const giveUp = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > giveUp) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
