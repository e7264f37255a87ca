/**
 * serveQueue: the serving side of wasmpool/bullmq. A BullMQ Worker whose processor hands every job to a local
 * wasmpool Pool. The kernels run in the pool's threads, so this process's event loop stays free to renew job
 * locks (BullMQ's warning about CPU-heavy processors stalling does not apply; no BullMQ sandbox is needed).
 * Each job's outcome goes to its submitter's reply stream (job-data.ts); the job itself completes with null.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis, type Cluster } from 'ioredis';
import type { Pool } from '../pool.js';
import { checkFunction, checkKnownKeys, checkOptionsObject, checkPositiveInteger, expected } from '../validate.js';
import { decode, encode, encodeList, type Encoded } from './codec.js';
import { checkConnection, isRedisInstance, withFailover } from './connection.js';
import { failureReason } from './errors.js';
import { cancelChannel, DEFAULT_PREFIX, JOB_FORMAT, REPLY_TTL_MS, replyKey, type JobData } from './job-data.js';
import { checkQueueName } from './queue-pool.js';

export interface ServeOptions {
  /** The BullMQ queue to serve (the name QueuePools submit to). */
  queue: string;
  /** BullMQ's connection, as ioredis takes it: `{ host, port, ... }`, `{ sentinels, name }`, or a Redis / Cluster instance. */
  connection: object;
  /** Jobs run at once on this host. @default the pool's worker count */
  concurrency?: number;
  /** BullMQ key prefix; must match the submitters'. @default 'bull' */
  prefix?: string;
  /** BullMQ's lock duration in ms: a host silent this long is taken for dead and its jobs run elsewhere. @default 30000 */
  lockDuration?: number;
  /** How often (ms) this host looks for jobs of dead hosts to put back in the queue. @default 30000 */
  stalledInterval?: number;
  /**
   * Times a job this host cannot run (a kernel it lacks, another job format: a rolling deploy) is handed back to
   * the queue for another host before it fails for good, naming the kernel. Each hand-off waits a growing delay
   * (50 ms doubling, capped at 1 s), so the default bound is about 25 s. @default 30
   */
  maxHandOffs?: number;
  /**
   * ms close() waits, once the running jobs' kernels have finished, for BullMQ to record them in Redis; then it
   * drops the connections and returns (a job it could not record runs again elsewhere). @default 10000
   */
  closeTimeout?: number;
  /** Where errors of the Redis connection go (they are retried; a repeat of the same message within 10 s is dropped). @default console.error */
  onError?: (error: Error) => void;
}

export interface QueueServer {
  /** Resolves once connected to Redis and taking jobs. */
  waitUntilReady(): Promise<void>;
  /** Stops taking jobs and resolves once the running ones have finished (within closeTimeout). The pool stays open (it is yours). */
  close(): Promise<void>;
}

const SERVE_KEYS = ['queue', 'connection', 'concurrency', 'prefix', 'lockDuration', 'stalledInterval', 'maxHandOffs', 'closeTimeout', 'onError'] as const;
/** Progress reports per chunk: each is a Redis write, so a chunk reports when it crosses each eighth. */
const PROGRESS_STEPS = 8;
/** Errors that would fail again on any host: the job fails at once, without retries. */
const FINAL_ERRORS = new Set(['TaskError', 'TimeoutError', 'CancelledError', 'TypeError', 'RangeError']);
/** A kernel name longer than this is refused before it reaches the pool. */
const MAX_KERNEL_NAME = 256;
const REPEAT_QUIET_MS = 10_000;
/** BullMQ's default lock duration. */
const DEFAULT_LOCK_DURATION_MS = 30_000;
/** A slot that handed a job back sits out this much longer than the job waits, so the job is due before it fetches again. */
const SIT_OUT_MARGIN_MS = 50;

type ServedPool = Pick<Pool, 'applyAsync' | 'mapAsync' | 'starmapAsync' | 'workers'> & { kernels?: Iterable<string> };
type Connection = Redis | Cluster;

/** This host cannot run the job (a rolling deploy): it goes back to the queue for another host. */
class HandOff extends Error {
  override name = 'HandOff';
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function openLike(connection: object): Connection {
  if (isRedisInstance(connection)) return connection.duplicate() as Connection;
  return new Redis({ ...withFailover(connection as Record<string, unknown>), maxRetriesPerRequest: null });
}

/** The kernels this host's pool has: its own list if it gives one, else learnt from its first "Unknown kernel" error. */
class KernelCatalog {
  #names: Set<string> | undefined;

  constructor(private readonly pool: ServedPool) {
    this.#adopt();
  }

  /** The pool's own list, as soon as it has one (a JavaScript module's, once a worker has loaded it). */
  #adopt(): void {
    if (this.#names === undefined && this.pool.kernels) this.#names = new Set(this.pool.kernels);
  }

  /** False only for a name known not to be there (never passed to the pool, so never stored by it). */
  mayHave(kernel: string): boolean {
    this.#adopt();
    return this.#names === undefined || this.#names.has(kernel);
  }

  /** An error of the pool's: whether it says the kernel is not there (and learns the list it names). */
  isUnknownKernel(error: unknown): boolean {
    const message = error instanceof Error ? error.message : '';
    if (!/^Unknown kernel /.test(message)) return false;
    const list = /the module exports: (.*)$/.exec(message)?.[1];
    if (list !== undefined && this.#names === undefined) this.#names = new Set(list.split(', ').filter(Boolean));
    return true;
  }

  describe(): string {
    return this.#names ? [...this.#names].join(', ') : 'unknown';
  }
}

/** Runs the jobs of `queue` on `pool` until close(). */
export function serveQueue(pool: ServedPool, options: ServeOptions): QueueServer {
  if (typeof pool !== 'object' || pool === null || typeof (pool as ServedPool).applyAsync !== 'function') {
    throw new TypeError(expected('pool', 'a wasmpool Pool', pool));
  }
  const opts = checkOptionsObject('options', options) as ServeOptions;
  checkKnownKeys('ServeOptions', opts, SERVE_KEYS);
  checkQueueName(opts.queue);
  checkConnection(opts.connection);
  if (opts.concurrency !== undefined) checkPositiveInteger('concurrency', opts.concurrency, 100_000);
  if (opts.prefix !== undefined && (typeof opts.prefix !== 'string' || opts.prefix === ''))
    throw new TypeError(expected('prefix', 'a non-empty string', opts.prefix));
  // A lock of 0 ms would expire at once and every job would be taken for stalled: whole milliseconds, at least 1.
  if (opts.lockDuration !== undefined) checkPositiveInteger('lockDuration', opts.lockDuration, 2 ** 31 - 1);
  if (opts.stalledInterval !== undefined) checkPositiveInteger('stalledInterval', opts.stalledInterval, 2 ** 31 - 1);
  if (opts.maxHandOffs !== undefined) checkPositiveInteger('maxHandOffs', opts.maxHandOffs, 10_000);
  if (opts.closeTimeout !== undefined) checkPositiveInteger('closeTimeout', opts.closeTimeout, 2 ** 31 - 1);
  if (opts.onError !== undefined) checkFunction('onError', opts.onError);
  const prefix = opts.prefix ?? DEFAULT_PREFIX;
  const maxHandOffs = opts.maxHandOffs ?? 30;
  const lockDuration = opts.lockDuration ?? DEFAULT_LOCK_DURATION_MS;
  const closeTimeout = opts.closeTimeout ?? 10_000;
  const report = opts.onError ?? ((error: Error) => console.error(`wasmpool/bullmq serveQueue(${opts.queue}): ${error.message}`));
  // A Redis that is down makes every connection report the same error several times a second: once is enough.
  const lastReported = new Map<string, number>();
  const onError = (error: Error): void => {
    const now = Date.now();
    if (now - (lastReported.get(error.message) ?? -Infinity) < REPEAT_QUIET_MS) return;
    lastReported.set(error.message, now);
    if (lastReported.size > 100) lastReported.clear();
    report(error);
  };
  const catalog = new KernelCatalog(pool);

  /** jobId → what stops it here and the hash a cancel's secret must have, for every job running on this host. */
  const running = new Map<string, { controller: AbortController; cancel: string }>();
  /** Jobs whose kernels are still computing here (close() waits for them before its timeout starts). */
  let computing = 0;
  let drained: (() => void) | undefined;

  const control = openLike(opts.connection);
  control.on('error', onError);
  /** Appends to the job's reply stream; an outcome also renews the stream's expiry (a start or progress need not). */
  const reply = async (data: JobData, fields: Array<string | number>, outcome = false): Promise<void> => {
    const key = replyKey(prefix, opts.queue, data.reply);
    if (!outcome) {
      await control.xadd(key, '*', ...fields);
      return;
    }
    const replies = await control
      .pipeline()
      .xadd(key, '*', ...fields)
      .pexpire(key, REPLY_TTL_MS)
      .exec();
    const failed = replies?.find(([error]) => error)?.[0];
    if (failed) throw failed;
  };

  const processJob = async (job: Job<JobData>, token?: string, bullSignal?: AbortSignal): Promise<null> => {
    const id = job.id!;
    const data = job.data;
    const kernel = typeof data?.kernel === 'string' ? data.kernel.slice(0, MAX_KERNEL_NAME) : String(job.name);
    if (data?.format !== JOB_FORMAT || typeof data.reply !== 'string') {
      return handOff(job, token, kernel, `speaks job format ${JOB_FORMAT}, the job has format ${String(data?.format)}`);
    }
    if (data.kernel.length > MAX_KERNEL_NAME) return fail(job, data, new TypeError(`Expected a kernel name of at most ${MAX_KERNEL_NAME} characters`), kernel);
    if (!catalog.mayHave(kernel)) return handOff(job, token, kernel, `has no kernel \`${kernel}\` (it exports: ${catalog.describe()})`, data);
    void reply(data, ['t', 'started', 'job', id]).catch(onError);
    const controller = new AbortController();
    running.set(id, { controller, cancel: typeof data.cancel === 'string' ? data.cancel : '' });
    const stop = (): void => controller.abort();
    bullSignal?.addEventListener('abort', stop, { once: true });
    computing++;
    let value: Encoded;
    try {
      value = await runJob(pool, job, data, controller.signal, (done) => void reply(data, ['t', 'progress', 'job', id, 'n', done]).catch(() => {}));
    } catch (error) {
      if (catalog.isUnknownKernel(error)) return handOff(job, token, kernel, `has no kernel \`${kernel}\` (it exports: ${catalog.describe()})`, data);
      return fail(job, data, error, kernel);
    } finally {
      running.delete(id);
      bullSignal?.removeEventListener('abort', stop);
      if (--computing === 0) drained?.();
    }
    // The result goes out on the connection BullMQ completes the job on, and is not waited for: Redis runs one
    // connection's commands in order, so once the job is complete (and removed) its result is on the reply stream,
    // a round trip sooner than awaiting the write first. A write that fails (a full Redis) is reported here; the
    // submitter then finds the job gone without a result (JobLostError) instead of waiting.
    const key = replyKey(prefix, opts.queue, data.reply);
    // BullMQ's client is its proxy over the ioredis instance it made; its pipeline is ioredis' own.
    const client = (await worker.getBackend().client) as unknown as Redis | Cluster;
    void client
      .pipeline()
      .xadd(key, '*', 't', 'ok', 'job', id, 'v', JSON.stringify(value))
      .pexpire(key, REPLY_TTL_MS)
      .exec()
      .then((replies) => {
        const failed = replies?.find(([error]) => error)?.[0];
        if (failed) onError(new Error(`The result of job ${id} could not be written: ${failed.message}`));
      }, onError);
    return null;
  };

  /** Fails the job: at once for an error any host would repeat, else for a retry unless this was its last attempt. */
  const fail = async (job: Job<JobData>, data: JobData, error: unknown, kernel: string): Promise<never> => {
    const reason = failureReason(error, kernel);
    const final = FINAL_ERRORS.has((error as Error)?.name);
    if (final || job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) await reply(data, ['t', 'failed', 'job', job.id!, 'r', reason], true).catch(onError);
    throw final ? new UnrecoverableError(reason) : new Error(reason);
  };

  /** Hands the job back (it waits a moment, growing, so another host takes it), or fails it once it has gone round too often. */
  const handOff = async (job: Job<JobData>, token: string | undefined, kernel: string, why: string, data?: JobData): Promise<never> => {
    const refusals = Math.max(1, job.attemptsStarted - job.attemptsMade);
    if (refusals > maxHandOffs) {
      const error = new TypeError(
        `No serving host took job ${job.id} after ${maxHandOffs} hand-offs: the last one ${why}. Deploy the kernel to the serving hosts`,
      );
      if (data) return fail(job, data, error, kernel);
      throw new UnrecoverableError(failureReason(error, kernel));
    }
    const delay = Math.min(1000, 25 * 2 ** refusals);
    await job.moveToDelayed(Date.now() + delay, token);
    // This slot sits out the job's wait: a refuser fetches again at once, so it would be the likeliest to take the
    // job back when it comes due, and a rolling deploy would fail jobs another host could run. The sit-out stays
    // under BullMQ's first lock renewal (a quarter of lockDuration), which would fail for a job no longer active.
    await sitOut(Math.min(delay + SIT_OUT_MARGIN_MS, lockDuration / 4 - SIT_OUT_MARGIN_MS));
    throw new DelayedError(new HandOff(why).message);
  };
  /** Aborted when close() begins: slots sitting out a hand-off stop waiting (closing waits for every slot). */
  const closing = new AbortController();
  /** Resolves after `ms`, or at once when close() begins. */
  const sitOut = (ms: number): Promise<void> =>
    new Promise<void>((resolve) => {
      if (ms <= 0 || closing.signal.aborted) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        closing.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      closing.signal.addEventListener('abort', done, { once: true });
    });

  const worker = new Worker(opts.queue, processJob, {
    connection: withFailover(opts.connection) as never,
    prefix,
    concurrency: opts.concurrency ?? Math.max(1, pool.workers),
    ...(opts.lockDuration !== undefined && { lockDuration: opts.lockDuration }),
    ...(opts.stalledInterval !== undefined && { stalledInterval: opts.stalledInterval }),
  });
  worker.on('error', onError);

  // BullMQ cancels only jobs of its own process; a submitter's cancel reaches the host running the job by pub/sub,
  // and counts only with the secret whose hash the job carries: nobody else can stop a submitter's job.
  const subscriber = openLike(opts.connection);
  subscriber.on('error', onError);
  const channel = cancelChannel(prefix, opts.queue);
  void subscriber.subscribe(channel).catch(onError);
  subscriber.on('message', (from: string, text: string) => {
    if (from !== channel || text.length > 1 << 20) return;
    let message: { jobs?: unknown; secret?: unknown };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      return;
    }
    if (!Array.isArray(message?.jobs) || typeof message.secret !== 'string') return;
    const hash = sha256(message.secret);
    for (const id of message.jobs) {
      const job = running.get(String(id));
      if (job && job.cancel.length === 64 && timingSafeEqual(Buffer.from(job.cancel, 'hex'), hash)) job.controller.abort();
    }
  });

  let closed: Promise<void> | undefined;
  return {
    async waitUntilReady() {
      await worker.waitUntilReady();
    },
    close() {
      closed ??= (async () => {
        closing.abort();
        const graceful = worker.close();
        const localDone = computing === 0 ? Promise.resolve() : new Promise<void>((resolve) => (drained = resolve));
        let timer: ReturnType<typeof setTimeout> | undefined;
        const bound = localDone.then(() => new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), closeTimeout))));
        const outcome = await Promise.race([
          graceful.then(
            () => 'closed' as const,
            () => 'closed' as const,
          ),
          bound,
        ]);
        clearTimeout(timer);
        if (outcome === 'timeout') {
          onError(new Error(`close(): Redis did not record the last jobs within ${closeTimeout} ms; they will run again on another host`));
          void worker.disconnect().catch(() => {});
        }
        subscriber.disconnect();
        control.disconnect();
      })();
      return closed;
    },
  };
}

async function runJob(pool: ServedPool, job: Job<JobData>, data: JobData, signal: AbortSignal, progress: (done: number) => void): Promise<Encoded> {
  const timeout = typeof data.timeout === 'number' ? { timeout: data.timeout } : {};
  if (data.kind === 'apply') {
    const args = decode(data.args);
    if (!Array.isArray(args)) throw new TypeError(`Job ${job.id} carries no argument list`);
    const value = await pool.applyAsync(data.kernel, args, { signal, ...timeout }).get();
    return encode(value, 'result');
  }
  const items = decode(data.items);
  if (!Array.isArray(items)) throw new TypeError(`Job ${job.id} carries no item list`);
  const step = Math.max(1, Math.ceil(items.length / PROGRESS_STEPS));
  let reported = 0;
  const onProgress = (done: number): void => {
    if (done < items.length && done - reported >= step) {
      reported = done;
      progress(done);
    }
  };
  // The signal stops the chunk's items that have not run: a cancelled chunk frees this host's workers at once.
  const mapOptions = { onProgress, signal, ...timeout };
  const result = data.star ? pool.starmapAsync(data.kernel, items as unknown[][], mapOptions) : pool.mapAsync(data.kernel, items, mapOptions);
  return encodeList(await result.get(), 'result');
}
