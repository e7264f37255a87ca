import type { SerializedError } from '../abi/protocol.js';
import { TaskError } from '../errors.js';

/** Rebuilds a worker-side failure as a TaskError whose message says what happened. */
export function toTaskError(kernel: string, error: SerializedError): TaskError {
  const cause = new Error(error.message);
  cause.name = error.name;
  if (error.stack) cause.stack = error.stack;
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
