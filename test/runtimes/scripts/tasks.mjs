// Kernels only the runtime suite needs (the shared ones are in test/fixtures/js/tasks.mjs).

/** Throws outside any task while its own task is still pending: the worker dies mid-task. */
export function crashPending() {
  setTimeout(() => {
    throw new Error('deliberate crash outside the task');
  }, 0);
  return new Promise(() => {});
}
