/**
 * The Redis side of a QueuePool, run in its client thread: the one owner of the submitting side's connections
 * (a Queue to add jobs, QueueEvents to hear how they end, a control connection to remove, cancel and
 * reconcile) and of the submission books. Whatever it learns goes to its Outbox, which posts to the
 * submitting thread.
 */
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { decode, encode } from './codec.js';
import { recordOfReason, type ErrorRecord } from './errors.js';
import { cancelChannel, JOB_FORMAT, jobKey, type JobData } from './job-data.js';
import { describeConnection } from './connection.js';
import type { ClientSetup, ToClient } from './protocol.js';
import { Submission, SubmissionBook, type ChunkPlan, type Outbox } from './submissions.js';

/** Jobs per addBulk call: one Redis MULTI each, small enough not to stall other clients of the server. */
const ADD_BATCH = 500;
/** How often unfinished jobs are looked up in Redis in case their event was missed (stream trimmed, reconnect). */
const SWEEP_MS = 5_000;
/** Events the queue's stream keeps: enough that a burst of 10,000 jobs cannot trim a completion before it is read. */
const EVENTS_MAX_LEN = 200_000;

export type SubmitMessage = Extract<ToClient, { type: 'submit' }>;

type JobToAdd = { name: string; data: JobData; opts: Record<string, unknown> & { jobId: string }; submission: Submission };

export interface ClientEvents extends Outbox {
  connected(): void;
  /** Redis could not be reached at all: every result fails with `error`, and the client shuts down. */
  fatal(error: ErrorRecord): void;
  closed(): void;
}

function runIdOf(info: string): string | undefined {
  return /run_id:(\w+)/.exec(info)?.[1];
}

export class QueueClient {
  readonly #setup: ClientSetup;
  readonly #out: ClientEvents;
  readonly #where: string;
  readonly #book = new SubmissionBook();
  readonly #clientId = `wp${process.pid.toString(36)}${Math.random().toString(36).slice(2, 10)}`;
  #queue: Queue | undefined;
  #events: QueueEvents | undefined;
  #control: Redis | undefined;
  #sweepTimer: ReturnType<typeof setInterval> | undefined;
  #serverRunId: string | undefined;
  #fatal: ErrorRecord | undefined;
  #closing = false;
  /** Submissions that came before the connection was up. */
  readonly #backlog: SubmitMessage[] = [];
  /** Jobs booked but not yet sent; flushed together so a burst of applies costs a few addBulk calls, not one each. */
  #outgoing: JobToAdd[] = [];
  #flushing = false;
  #sweeping = false;

  constructor(setup: ClientSetup, out: ClientEvents) {
    this.#setup = setup;
    this.#out = out;
    this.#where = describeConnection(setup.connection);
  }

  get closing(): boolean {
    return this.#closing;
  }

  async start(): Promise<void> {
    const setup = this.#setup;
    // One attempt, no retries: an address nobody answers on fails now, naming itself, instead of retrying silently.
    const probe = new Redis({ ...setup.connection, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    // connect() rejects with a bare "Connection is closed"; the cause (ECONNREFUSED, ENOTFOUND) comes as an event.
    let cause: unknown;
    probe.on('error', (error) => (cause ??= error));
    let lastEventId: string;
    try {
      await probe.connect();
      this.#serverRunId = runIdOf(await probe.info('server'));
      const [seconds, micros] = await probe.time();
      // Read events from just before now by the server's clock: nothing this client adds can be missed, however
      // long QueueEvents takes to issue its first XREAD.
      lastEventId = `${Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) - 1}-0`;
    } catch (error) {
      return this.#die(this.#connectionError(cause ?? error, 'connecting'));
    } finally {
      probe.disconnect();
    }
    const connection = { ...setup.connection };
    const control = (this.#control = new Redis({ ...connection, maxRetriesPerRequest: null }));
    control.on('error', () => {});
    control.on('ready', () => void this.#onReconnect());
    const queue = (this.#queue = new Queue(setup.queue, { connection, prefix: setup.prefix, streams: { events: { maxLen: EVENTS_MAX_LEN } } }));
    queue.on('error', () => {});
    const events = (this.#events = new QueueEvents(setup.queue, { connection, prefix: setup.prefix, lastEventId }));
    events.on('error', () => {});
    // QueueEvents has parsed the JSON already; the job's own record (reconcile) holds it as a string.
    events.on('completed', ({ jobId, returnvalue }) => this.#onCompleted(jobId, () => decode(returnvalue)));
    events.on('failed', ({ jobId, failedReason }) => this.#onFailed(jobId, failedReason));
    events.on('progress', ({ jobId, data }) => {
      if (typeof data === 'number') this.#book.progress(jobId, data, this.#out);
    });
    await queue.waitUntilReady();
    this.#out.connected();
    this.#sweepTimer = setInterval(() => void this.#sweep(), SWEEP_MS);
    for (const message of this.#backlog.splice(0)) this.submit(message);
  }

  /** Books a submission and queues its jobs for the next flush. Throws if its values cannot be encoded. */
  submit(message: SubmitMessage): void {
    if (this.#fatal || this.#closing) return;
    if (!this.#queue) {
      this.#backlog.push(message);
      return;
    }
    const chunks: ChunkPlan[] = [];
    const datas: JobData[] = [];
    if (message.kind === 'apply') {
      chunks.push({ jobId: `${this.#clientId}-${message.id}`, offset: 0, size: 1 });
      const data: JobData = { format: JOB_FORMAT, kind: 'apply', kernel: message.kernel, args: encode(message.args, 'args') };
      if (message.timeout !== undefined) data.timeout = message.timeout;
      datas.push(data);
    } else {
      for (let offset = 0, index = 0; offset < message.args.length; offset += message.chunksize, index++) {
        const items = message.args.slice(offset, offset + message.chunksize);
        chunks.push({ jobId: `${this.#clientId}-${message.id}-${index}`, offset, size: items.length });
        datas.push({ format: JOB_FORMAT, kind: 'chunk', kernel: message.kernel, items: encode(items, 'items'), star: message.star });
      }
    }
    const submission = new Submission({
      id: message.id,
      flag: message.flag,
      kernel: message.kernel,
      kind: message.kind,
      total: message.kind === 'apply' ? 1 : message.args.length,
      chunks,
      stream: message.stream,
      progress: message.progress,
    });
    // Booked before the jobs exist in Redis: a host can finish a job before addBulk's reply comes back.
    this.#book.add(submission);
    datas.forEach((data, i) => this.#outgoing.push({ name: message.kernel, data, opts: { ...this.#setup.jobOptions, jobId: chunks[i].jobId }, submission }));
    if (!this.#flushing) {
      this.#flushing = true;
      setImmediate(() => void this.#flush());
    }
  }

  /** The submitting thread has failed the result already; this drops the submission and removes its jobs. */
  cancel(id: number, reason: string): void {
    const submission = this.#book.get(id);
    if (!submission) return;
    void this.#removeJobs(this.#book.fail(submission, { name: 'CancelledError', message: reason }, this.#out));
  }

  /** Fails one submission that could not even be booked (its values could not be encoded). */
  reject(message: SubmitMessage, error: ErrorRecord): void {
    const submission = this.#book.get(message.id);
    if (submission) this.#book.fail(submission, error, this.#out);
    else this.#out.settled(message, false, error);
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    clearInterval(this.#sweepTimer);
    await Promise.allSettled([this.#events?.close(), this.#queue?.close()]);
    this.#control?.disconnect();
    this.#out.closed();
  }

  #connectionError(error: unknown, doing: string): ErrorRecord {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      name: 'RedisConnectionError',
      message: `Cannot reach Redis at ${this.#where} while ${doing} (${reason}); check that redis-server runs there and that \`connection\` names it`,
    };
  }

  #die(error: ErrorRecord): void {
    this.#fatal = error;
    this.#out.fatal(error);
    for (const submission of this.#book.all()) this.#book.fail(submission, error, this.#out);
    void this.close();
  }

  async #flush(): Promise<void> {
    while (this.#outgoing.length > 0) {
      // A submission cancelled (or failed) before its jobs went out sends none: nobody would wait for them.
      const batch = this.#outgoing.slice(0, ADD_BATCH).filter(({ submission }) => this.#book.get(submission.id) === submission);
      this.#outgoing = this.#outgoing.slice(ADD_BATCH);
      if (batch.length === 0) continue;
      try {
        await this.#queue!.addBulk(batch.map(({ name, data, opts }) => ({ name, data, opts })));
        for (const job of batch) this.#book.markAdded(job.opts.jobId);
      } catch (error) {
        const failure = this.#connectionError(error, 'adding jobs');
        for (const { submission } of batch) {
          if (this.#book.get(submission.id) === submission) void this.#removeJobs(this.#book.fail(submission, failure, this.#out));
        }
      }
    }
    this.#flushing = false;
  }

  /** Settles a job's chunk with its decoded value; a value that cannot be decoded fails the result, naming the job. */
  #onCompleted(jobId: string, value: () => unknown): void {
    if (!this.#book.has(jobId)) return;
    let decoded: unknown;
    try {
      decoded = value();
    } catch (error) {
      const message = `Job ${jobId} (kernel \`${this.#book.kernelOf(jobId)}\`) finished, but its result cannot be decoded: ${(error as Error).message}`;
      void this.#removeJobs(this.#book.failed(jobId, { name: 'TypeError', message, jobId }, this.#out));
      return;
    }
    this.#book.completed(jobId, decoded, this.#out);
  }

  #onFailed(jobId: string, failedReason: string): void {
    if (!this.#book.has(jobId)) return;
    void this.#removeJobs(this.#book.failed(jobId, recordOfReason(failedReason, jobId, this.#book.kernelOf(jobId)), this.#out));
  }

  /** Removes jobs nobody waits for: waiting ones leave the queue; running ones are asked to stop on their host. */
  async #removeJobs(jobIds: readonly string[]): Promise<void> {
    const queue = this.#queue;
    if (!queue || !this.#control || jobIds.length === 0) return;
    await Promise.allSettled(jobIds.map((id) => queue.remove(id)));
    await this.#control.publish(cancelChannel(this.#setup.prefix, this.#setup.queue), JSON.stringify(jobIds)).catch(() => {});
  }

  /** After every reconnect: a server with a new run_id restarted, and may have lost jobs. */
  async #onReconnect(): Promise<void> {
    if (!this.#control) return;
    const runId = runIdOf(await this.#control.info('server').catch(() => ''));
    const restarted = runId !== undefined && this.#serverRunId !== undefined && runId !== this.#serverRunId;
    this.#serverRunId = runId ?? this.#serverRunId;
    if (restarted) await this.#reconcile(this.#book.pendingJobs());
  }

  async #sweep(): Promise<void> {
    if (this.#sweeping || this.#book.size === 0 || this.#control?.status !== 'ready') return;
    this.#sweeping = true;
    try {
      await this.#reconcile(this.#book.pendingJobs().filter((id) => this.#book.isAdded(id)));
    } finally {
      this.#sweeping = false;
    }
  }

  /**
   * Asks Redis for the jobs' own records and settles whatever finished without its event reaching us. A job
   * Redis no longer has (it restarted without persistence) fails its result now instead of leaving it to hang.
   */
  async #reconcile(jobIds: string[]): Promise<void> {
    const control = this.#control;
    if (!control || jobIds.length === 0) return;
    const pipeline = control.pipeline();
    for (const id of jobIds) pipeline.hmget(jobKey(this.#setup.prefix, this.#setup.queue, id), 'name', 'finishedOn', 'returnvalue', 'failedReason');
    const replies = await pipeline.exec().catch(() => null);
    if (!replies) return;
    replies.forEach(([error, fields], i) => {
      const jobId = jobIds[i];
      if (error || !this.#book.has(jobId)) return;
      const [name, finishedOn, returnvalue, failedReason] = fields as Array<string | null>;
      if (name === null) {
        if (!this.#book.isAdded(jobId)) return;
        const message = `Job ${jobId} (kernel \`${this.#book.kernelOf(jobId)}\`) is gone from Redis at ${this.#where} before it reported a result: Redis restarted without persistence (run it with appendonly yes) or the job was removed. Submit it again.`;
        void this.#removeJobs(this.#book.failed(jobId, { name: 'JobLostError', jobId, message }, this.#out));
      } else if (finishedOn !== null) {
        // A job that failed an attempt and then succeeded keeps that attempt's failedReason: returnvalue, written
        // only by the final move to completed, decides.
        if (returnvalue !== null) this.#onCompleted(jobId, () => decode(JSON.parse(returnvalue)));
        else if (failedReason !== null) this.#onFailed(jobId, failedReason);
      }
    });
  }
}
