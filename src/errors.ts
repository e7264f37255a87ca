/**
 * Every public error class. Each sets `name` to its class name so that logs and
 * `err.name` checks read well, and each is exported so `instanceof` works.
 */

/** `get()`/`getSync()` gave up waiting, or a task hit its own `timeout` and was stopped. */
export class TimeoutError extends Error {
  override name = 'TimeoutError';
}

/** `successful()` was called before the result was `ready()`. */
export class NotReadyError extends Error {
  override name = 'NotReadyError';
}

/** The pool is closed or terminated (submitting), or not yet (`join()`). */
export class PoolStateError extends Error {
  override name = 'PoolStateError';
}

/** The task was cancelled: `terminate()`, or its `AbortSignal` fired. */
export class CancelledError extends Error {
  override name = 'CancelledError';
}

/** A task threw, trapped or aborted inside its worker. */
export class TaskError extends Error {
  override name = 'TaskError';
  /** The export name of the kernel that failed. */
  readonly kernel: string;
  /** The stack of the error as it was inside the worker, where one exists. */
  readonly workerStack: string | undefined;
  /**
   * In a map (every map, starmap and imap form, and `pool.parallel`'s part number): the index in the input of the
   * item that failed; the message ends with `(item <index>)`. Undefined for an apply task.
   */
  readonly index: number | undefined;

  constructor(message: string, options: { kernel: string; cause?: unknown; workerStack?: string; index?: number }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kernel = options.kernel;
    this.workerStack = options.workerStack;
    this.index = options.index;
  }
}

/** The worker running the task died (process.exit, out of memory, killed from outside). */
export class WorkerCrashError extends Error {
  override name = 'WorkerCrashError';
  /** The export name of the kernel the worker was running. */
  readonly kernel: string;
  /** The worker's exit code, where the runtime reports one. */
  readonly exitCode: number | undefined;

  constructor(message: string, options: { kernel: string; exitCode?: number; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kernel = options.kernel;
    this.exitCode = options.exitCode;
  }
}

/**
 * A submission would take the queue past `maxQueued` units (an apply task is one unit, a map is one per
 * chunk). Thrown at the call; nothing of the submission was queued.
 */
export class QueueFullError extends Error {
  override name = 'QueueFullError';
  /** The pool's `maxQueued`. */
  readonly maxQueued: number;
  /** Units waiting when the submission was refused. */
  readonly queued: number;
  /** Units the refused submission needed. */
  readonly units: number;

  constructor(details: { maxQueued: number; queued: number; units: number }) {
    const { maxQueued, queued, units } = details;
    const what = units === 1 ? '1 unit' : `${units} units`;
    super(
      units > maxQueued
        ? `Cannot queue ${what}: that alone exceeds \`maxQueued\` (${maxQueued}). Raise \`maxQueued\`, or submit fewer items (or a larger \`chunksize\`) per call`
        : `Cannot queue ${what}: ${queued} of \`maxQueued\` (${maxQueued}) are waiting. Await pool.onSizeLessThan(${maxQueued - units + 1}) before submitting, or raise \`maxQueued\``,
    );
    this.maxQueued = maxQueued;
    this.queued = queued;
    this.units = units;
  }
}
