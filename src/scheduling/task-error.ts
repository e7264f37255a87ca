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
    default:
      message = error.message;
  }
  return new TaskError(message, { kernel, cause, workerStack: error.stack });
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
