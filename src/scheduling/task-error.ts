import type { SerializedError } from '../abi/protocol.js';
import { TaskError, TimeoutError, WorkerCrashError } from '../errors.js';

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
  const failed = new TaskError(message, { kernel, cause, workerStack: error.stack });
  if (error.item !== undefined) itemInChunk.set(failed, error.item);
  return failed;
}

/** The item within its chunk each map chunk's TaskError came from, as the worker reported it. */
const itemInChunk = new WeakMap<TaskError, number>();

/**
 * The error a failed map chunk settles with, naming the item: a TaskError gets the input index of the item that
 * failed (`index`, and "(item 7)" at the end of its message); a timeout or a crash, which the worker cannot pin
 * on one item, names the chunk's items. Cancellations are left as they are (one error shared by many chunks).
 */
export function errorOfItem(error: Error, firstItem: number, size: number): Error {
  if (error instanceof TaskError && error.index === undefined) {
    const index = firstItem + (itemInChunk.get(error) ?? 0);
    const pinned = itemInChunk.has(error) || size === 1;
    const where = pinned ? `(item ${index})` : `(in items ${firstItem}-${firstItem + size - 1})`;
    return new TaskError(`${error.message} ${where}`, {
      kernel: error.kernel,
      cause: error.cause,
      workerStack: error.workerStack,
      index: pinned ? index : undefined,
    });
  }
  if (error instanceof TimeoutError || error instanceof WorkerCrashError) {
    error.message += size === 1 ? ` (item ${firstItem})` : ` (items ${firstItem}-${firstItem + size - 1})`;
  }
  return error;
}
