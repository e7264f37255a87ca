import type { SerializedError } from '../abi/protocol.js';
import { TaskError } from '../errors.js';

/** Rebuilds a worker-side failure as a TaskError whose message says what happened. */
export function toTaskError(kernel: string, error: SerializedError): TaskError {
  const cause = rebuild(error);
  let message: string;
  switch (error.origin) {
    case 'trap':
      message = `Kernel \`${kernel}\` trapped: ${error.message}`;
      break;
    case 'init':
      message = `The initializer \`${kernel}\` failed in a worker: ${error.message}`;
      break;
    case 'load':
      message = `A worker could not load the task module: ${error.message}`;
      break;
    case 'unknown-kernel':
      // Named from this thread's books: a worker may know the name only as forgotten (see KernelCatalog).
      if (error.exports) return unknownKernelError(kernel, error.exports);
      message = error.message;
      break;
    default:
      message = error.message;
  }
  const failed = new TaskError(message, { kernel, cause, workerStack: error.stack });
  if (error.item !== undefined) itemInChunk.set(failed, error.item);
  return failed;
}

/** A task naming a kernel its module does not export: the same error whether this thread or a worker found out. */
export function unknownKernelError(kernel: string, exports: Iterable<string>): TaskError {
  const names = [...exports].join(', ') || '(none)';
  const message = `Unknown kernel \`${kernel}\`; the module exports: ${names}`;
  return new TaskError(message, { kernel, cause: new TypeError(message) });
}

/** The item within its chunk each map chunk's TaskError came from, as the worker reported it. */
const itemInChunk = new WeakMap<TaskError, number>();

/**
 * The error a failed map chunk settles with: a TaskError the worker pinned on one item gets that item's input
 * index (`index`, and "(item 7)" at the end of its message). Other errors are left as they are: a timeout or a
 * crash names the chunk's items where it is made (see itemsOf), and a cancellation is shared by many chunks.
 */
export function errorOfItem(error: Error, firstItem: number): Error {
  const item = error instanceof TaskError && error.index === undefined ? itemInChunk.get(error) : undefined;
  if (item === undefined) return error;
  const failed = error as TaskError;
  return new TaskError(`${failed.message} (item ${firstItem + item})`, {
    kernel: failed.kernel,
    cause: failed.cause,
    workerStack: failed.workerStack,
    index: firstItem + item,
  });
}

/** " (item 7)" or " (items 8-15)": the input items `size` items from `firstItem` on, for a chunk's timeout or crash. */
export function itemsOf(firstItem: number, size: number): string {
  return size === 1 ? ` (item ${firstItem})` : ` (items ${firstItem}-${firstItem + size - 1})`;
}

/** The worker-side error as an Error of this thread: its name, message, stack, own fields and cause chain. */
function rebuild(error: SerializedError): Error {
  const inner = error.cause;
  const cause = inner === undefined ? undefined : 'value' in inner ? inner.value : rebuild(inner);
  const rebuilt = new Error(error.message, cause === undefined ? undefined : { cause });
  rebuilt.name = error.name;
  if (error.stack) rebuilt.stack = error.stack;
  if (error.fields) {
    for (const [key, value] of Object.entries(error.fields)) {
      // Own data properties only (a key such as `__proto__` must not reach the prototype).
      Object.defineProperty(rebuilt, key, { value, enumerable: true, writable: true, configurable: true });
    }
  }
  return rebuilt;
}
