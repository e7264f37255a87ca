/**
 * serveQueue: the serving side of wasmpool/bullmq. A BullMQ Worker whose processor hands every job to a local
 * wasmpool Pool. The kernels run in the pool's threads, so this process's event loop stays free to renew job
 * locks (BullMQ's warning about CPU-heavy processors stalling does not apply; no BullMQ sandbox is needed).
 */
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { Pool } from '../pool.js';
import { checkFunction, checkKnownKeys, checkOptionsObject, checkPositiveInteger, expected } from '../validate.js';
import { decode, encode, type Encoded } from './codec.js';
import { plainConnection } from './connection.js';
import { failureReason } from './errors.js';
import { cancelChannel, DEFAULT_PREFIX, JOB_FORMAT, type JobData } from './job-data.js';
import { checkQueueName } from './queue-pool.js';

export interface ServeOptions {
  /** The BullMQ queue to serve (the name QueuePools submit to). */
  queue: string;
  /** BullMQ's connection: `{ host, port, ... }` or an ioredis instance. */
  connection: object;
  /** Jobs run at once on this host. @default the pool's worker count */
  concurrency?: number;
  /** BullMQ key prefix; must match the submitters'. @default 'bull' */
  prefix?: string;
  /** BullMQ's lock duration in ms: a host silent this long is taken for dead and its jobs run elsewhere. @default 30000 */
  lockDuration?: number;
  /** How often (ms) this host looks for jobs of dead hosts to put back in the queue. @default 30000 */
  stalledInterval?: number;
  /** Where errors of the Redis connection go (they are retried). @default console.error */
  onError?: (error: Error) => void;
}

export interface QueueServer {
  /** Resolves once connected to Redis and taking jobs. */
  waitUntilReady(): Promise<void>;
  /** Stops taking jobs and resolves once the running ones have finished. The pool stays open (it is yours). */
  close(): Promise<void>;
}

const SERVE_KEYS = ['queue', 'connection', 'concurrency', 'prefix', 'lockDuration', 'stalledInterval', 'onError'] as const;
/** Progress reports per chunk: each is a Redis write, so a chunk reports when it crosses each eighth. */
const PROGRESS_STEPS = 8;
/** Errors that would fail again on any host: the job fails at once, without retries. */
const FINAL_ERRORS = new Set(['TaskError', 'TimeoutError', 'CancelledError', 'TypeError', 'RangeError']);

type ServedPool = Pick<Pool, 'applyAsync' | 'mapAsync' | 'starmapAsync' | 'workers'>;

/** Runs the jobs of `queue` on `pool` until close(). */
export function serveQueue(pool: ServedPool, options: ServeOptions): QueueServer {
  if (typeof pool !== 'object' || pool === null || typeof (pool as ServedPool).applyAsync !== 'function') {
    throw new TypeError(expected('pool', 'a wasmpool Pool', pool));
  }
  const opts = checkOptionsObject('options', options) as ServeOptions;
  checkKnownKeys('ServeOptions', opts, SERVE_KEYS);
  checkQueueName(opts.queue);
  const plain = plainConnection(opts.connection);
  if (opts.concurrency !== undefined) checkPositiveInteger('concurrency', opts.concurrency, 100_000);
  if (opts.prefix !== undefined && (typeof opts.prefix !== 'string' || opts.prefix === ''))
    throw new TypeError(expected('prefix', 'a non-empty string', opts.prefix));
  // A lock of 0 ms would expire at once and every job would be taken for stalled: whole milliseconds, at least 1.
  if (opts.lockDuration !== undefined) checkPositiveInteger('lockDuration', opts.lockDuration, 2 ** 31 - 1);
  if (opts.stalledInterval !== undefined) checkPositiveInteger('stalledInterval', opts.stalledInterval, 2 ** 31 - 1);
  if (opts.onError !== undefined) checkFunction('onError', opts.onError);
  const prefix = opts.prefix ?? DEFAULT_PREFIX;
  const onError = opts.onError ?? ((error: Error) => console.error(`wasmpool/bullmq serveQueue(${opts.queue}): ${error.message}`));

  /** jobId → the controller that stops it here, for every job running on this host. */
  const running = new Map<string, AbortController>();

  const worker = new Worker(
    opts.queue,
    async (job: Job<JobData>, _token?: string, bullSignal?: AbortSignal) => {
      const controller = new AbortController();
      const id = job.id!;
      running.set(id, controller);
      const stop = (): void => controller.abort();
      bullSignal?.addEventListener('abort', stop, { once: true });
      try {
        return await runJob(pool, job, controller.signal);
      } catch (error) {
        const reason = failureReason(error, typeof job.data?.kernel === 'string' ? job.data.kernel : job.name);
        throw FINAL_ERRORS.has((error as Error)?.name) ? new UnrecoverableError(reason) : new Error(reason);
      } finally {
        running.delete(id);
        bullSignal?.removeEventListener('abort', stop);
      }
    },
    {
      connection: opts.connection as never,
      prefix,
      concurrency: opts.concurrency ?? Math.max(1, pool.workers),
      ...(opts.lockDuration !== undefined && { lockDuration: opts.lockDuration }),
      ...(opts.stalledInterval !== undefined && { stalledInterval: opts.stalledInterval }),
    },
  );
  worker.on('error', onError);

  // BullMQ cancels only jobs of its own process; a submitter's cancel reaches the host running the job by pub/sub.
  const subscriber = new Redis({ ...plain, maxRetriesPerRequest: null });
  subscriber.on('error', onError);
  const channel = cancelChannel(prefix, opts.queue);
  void subscriber.subscribe(channel).catch(onError);
  subscriber.on('message', (from: string, text: string) => {
    if (from !== channel) return;
    let ids: unknown;
    try {
      ids = JSON.parse(text);
    } catch {
      return;
    }
    if (Array.isArray(ids)) for (const id of ids) running.get(String(id))?.abort();
  });

  let closed: Promise<void> | undefined;
  return {
    async waitUntilReady() {
      await worker.waitUntilReady();
    },
    close() {
      closed ??= (async () => {
        await worker.close();
        subscriber.disconnect();
      })();
      return closed;
    },
  };
}

async function runJob(pool: ServedPool, job: Job<JobData>, signal: AbortSignal): Promise<Encoded> {
  const data = job.data;
  if (data?.format !== JOB_FORMAT) {
    throw new TypeError(
      `Job ${job.id} is not a wasmpool job of format ${JOB_FORMAT} (got format ${String(data?.format)}); submit it with a QueuePool of the same wasmpool version`,
    );
  }
  if (data.kind === 'apply') {
    const args = decode(data.args) as unknown[];
    const value = await pool.applyAsync(data.kernel, args, { signal, ...(data.timeout !== undefined && { timeout: data.timeout }) }).get();
    return encode(value, 'result');
  }
  const items = decode(data.items) as unknown[];
  const step = Math.max(1, Math.ceil(items.length / PROGRESS_STEPS));
  let reported = 0;
  const onProgress = (done: number): void => {
    if (done < items.length && done - reported >= step) {
      reported = done;
      void job.updateProgress(done).catch(() => {});
    }
  };
  const result = data.star ? pool.starmapAsync(data.kernel, items as unknown[][], { onProgress }) : pool.mapAsync(data.kernel, items, { onProgress });
  // A local map cannot be stopped part-way: a cancelled chunk gives up its result here and lets the items finish.
  const values = await new Promise<unknown[]>((resolve, reject) => {
    const onAbort = (): void => reject(Object.assign(new Error('The job was cancelled by its submitter'), { name: 'CancelledError' }));
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    result
      .get()
      .then(resolve, reject)
      .finally(() => signal.removeEventListener('abort', onAbort));
  });
  return encode(values, 'result');
}
