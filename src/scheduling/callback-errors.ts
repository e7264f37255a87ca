/**
 * A user callback that throws must not break the pool, and must not vanish:
 * the error is rethrown on a fresh stack, where it surfaces as an uncaught
 * exception (Node) or in the console (browsers), as an EventEmitter listener's would.
 */
export function reportCallbackError(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}
