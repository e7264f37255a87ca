/**
 * Errors across hosts. A serving host can only report a failure as the job's `failedReason` string, so the
 * error's class and kernel are written into it in one readable line, and the submitter turns that line back
 * into the same class a local pool would have given (`TaskError` with the kernel's message, ...).
 */
import { CancelledError, TaskError, TimeoutError, WorkerCrashError } from '../errors.js';

/** The Redis server named by `connection` could not be reached, or went away and lost the job. */
export class RedisConnectionError extends Error {
  override name = 'RedisConnectionError';
}

/**
 * Redis refused a write because it is out of memory (`maxmemory` reached: an OOM reply). Not a connection
 * problem: raise `maxmemory`, lower `removeOnFail`, or let results be collected. The message carries Redis's text.
 */
export class RedisFullError extends Error {
  override name = 'RedisFullError';
}

/**
 * A job is gone from Redis before it reported a result: Redis restarted without persistence, or someone removed it.
 * Also the error of a job whose id was already taken in Redis by a job this submitter did not create (never adopted).
 */
export class JobLostError extends Error {
  override name = 'JobLostError';
  readonly jobId: string;
  constructor(message: string, jobId: string) {
    super(message);
    this.jobId = jobId;
  }
}

/** An error as it travels to the submitting thread (structured clone keeps no class). */
export interface ErrorRecord {
  name: string;
  message: string;
  kernel?: string;
  jobId?: string;
}

const REASON = /^wasmpool (\w+) \[([^\]]*)\]: ([\s\S]*)$/;

/** Absolute paths (and file: URLs) of the serving host, reduced to their last segment before they leave it. */
const HOST_PATH = /(?<![\w.~-])(?:file:\/\/)?(?:\/[^\s/'"`()<>,;]+)+\/([^\s/'"`()<>,;]+)/g;

/** `message` without the serving host's file system layout: what may cross the queue to any submitter. */
export function withoutHostPaths(message: string): string {
  return message.replace(HOST_PATH, '…/$1');
}

/** The failedReason line a serving host records for `error` thrown by `kernel`. */
export function failureReason(error: unknown, kernel: string): string {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return `wasmpool ${name} [${kernel}]: ${withoutHostPaths(message)}`;
}

/** Reads a failedReason back; a reason BullMQ wrote itself (a job stalled too often) is a crash of its host. */
export function recordOfReason(reason: string, jobId: string, kernel: string): ErrorRecord {
  const match = REASON.exec(reason);
  if (match) return { name: match[1], kernel: match[2], message: match[3], jobId };
  return {
    name: 'WorkerCrashError',
    kernel,
    jobId,
    message: `Job ${jobId} (kernel \`${kernel}\`) failed on its serving host: ${reason}`,
  };
}

export function recordOf(error: unknown, jobId?: string): ErrorRecord {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error), jobId };
  const kernel = (error as { kernel?: unknown }).kernel;
  return { name: error.name, message: error.message, kernel: typeof kernel === 'string' ? kernel : undefined, jobId: (error as JobLostError).jobId ?? jobId };
}

/** The error class a local pool would have given, rebuilt on the submitting thread. */
export function errorOf(record: ErrorRecord): Error {
  const kernel = record.kernel ?? '';
  switch (record.name) {
    case 'TaskError':
      return new TaskError(record.message, { kernel });
    case 'WorkerCrashError':
      return new WorkerCrashError(record.message, { kernel });
    case 'TimeoutError':
      return new TimeoutError(record.message);
    case 'CancelledError':
      return new CancelledError(record.message);
    case 'TypeError':
      return new TypeError(record.message);
    case 'RangeError':
      return new RangeError(record.message);
    case 'RedisConnectionError':
      return new RedisConnectionError(record.message);
    case 'RedisFullError':
      return new RedisFullError(record.message);
    case 'JobLostError':
      return new JobLostError(record.message, record.jobId ?? '');
  }
  const error = new Error(record.message);
  error.name = record.name;
  return error;
}
