/**
 * The Redis side of a QueuePool, run in its client thread: the one owner of the submitting side's connections
 * (a Queue to add jobs, a reader on this QueuePool's own reply stream, a control connection to remove, cancel
 * and reconcile) and of the submission books. Whatever it learns goes to its Outbox, which posts to the
 * submitting thread.
 *
 * No QueueEvents: outcomes come back on this QueuePool's reply stream only (see job-data.ts), so a submitter
 * never reads, decodes or depends on another submitter's traffic, and a malformed entry in the queue's shared
 * events stream cannot silence it. BullMQ's own failures (a job stalled too often) are found by the sweep.
 */
import { createHash } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import { decode, encodeNumbers, packedNumbers, type Encoded } from './codec.js';
import { describeConnection, openConnection } from './connection.js';
import { recordOfReason, type ErrorRecord } from './errors.js';
import { cancelChannel, JOB_FORMAT, jobKey, replyKey, type CancelMessage, type JobData } from './job-data.js';
import type { ClientSetup, ToClient } from './protocol.js';
import { Submission, SubmissionBook, type ChunkPlan, type Outbox } from './submissions.js';

/** Jobs per addBulk call: one Redis MULTI each, small enough not to stall other clients of the server. */
const ADD_BATCH = 500;
/** How often pending jobs are looked up in Redis, for what no reply entry reports (a job BullMQ failed itself). */
const SWEEP_MS = 5_000;
/** Jobs looked up per sweep: the sweep's cost is bounded, whatever the number of pending jobs. */
const SWEEP_SLICE = 1_000;
/** Reply entries read per XREAD: bounded, so a burst of large results does not arrive as one huge reply. */
const READ_COUNT = 100;

export type SubmitMessage = Extract<ToClient, { type: 'submit' }>;
export type ReattachMessage = Extract<ToClient, { type: 'reattach' }>;

type JobToAdd = { name: string; data: JobData; opts: Record<string, unknown> & { jobId: string }; submission: Submission };
type Connection = Redis | Cluster;

export interface ClientEvents extends Outbox {
  connected(): void;
  /** Redis could not be reached at all: every result fails with `error`, and the client shuts down. */
  fatal(error: ErrorRecord): void;
  closed(): void;
}

function runIdOf(info: string): string | undefined {
  return /run_id:(\w+)/.exec(info)?.[1];
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

const isTimeout = (error: unknown): boolean => error instanceof Error && /timed? ?out/i.test(error.message);

/** One reply-stream entry's fields ([k, v, k, v, ...]) as an object; anything malformed yields undefined fields. */
function fieldsOf(flat: unknown): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  if (!Array.isArray(flat)) return out;
  for (let i = 0; i + 1 < flat.length; i += 2) if (typeof flat[i] === 'string' && typeof flat[i + 1] === 'string') out[flat[i]] = flat[i + 1];
  return out;
}

export class QueueClient {
  readonly #setup: ClientSetup;
  readonly #out: ClientEvents;
  readonly #where: string;
  readonly #book = new SubmissionBook();
  readonly #ownReply: string;
  #queue: Queue | undefined;
  #queueConnection: Connection | undefined;
  #control: Connection | undefined;
  #reader: Connection | undefined;
  /** Reply stream key → the last entry id read from it (this QueuePool's own, and any a reattached job answers on). */
  readonly #readFrom = new Map<string, string>();
  #sweepTimer: ReturnType<typeof setInterval> | undefined;
  #serverRunId: string | undefined;
  #fatal: ErrorRecord | undefined;
  #closing = false;
  /** Redis stopped answering; pending results have failed. Cleared by the next answer. */
  #silent = false;
  /** Submissions that came before the connection was up. */
  readonly #backlog: Array<SubmitMessage | ReattachMessage> = [];
  /** Jobs booked but not yet sent; flushed together so a burst of applies costs a few addBulk calls, not one each. */
  #outgoing: JobToAdd[] = [];
  #flushing = false;
  #sweeping = false;
  #reading: Promise<void> | undefined;
  /** Outcomes read for jobs not yet confirmed as this submitter's own (see #flush), by job id. */
  readonly #early = new Map<string, Record<string, string>>();

  constructor(setup: ClientSetup, out: ClientEvents) {
    this.#setup = setup;
    this.#out = out;
    this.#where = describeConnection(setup.connection);
    this.#ownReply = replyKey(setup.prefix, setup.queue, setup.reply);
    this.#readFrom.set(this.#ownReply, '0');
  }

  get closing(): boolean {
    return this.#closing;
  }

  async start(): Promise<void> {
    const { connection, timeouts } = this.#setup;
    // One attempt, no retries: an address nobody answers on fails now, naming itself, instead of retrying silently.
    const probe = openConnection(connection, timeouts, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    // connect() rejects with a bare "Connection is closed"; the cause (ECONNREFUSED, ENOTFOUND) comes as an event.
    let cause: unknown;
    probe.on('error', (error) => (cause ??= error));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bound = timeouts.connectTimeout + timeouts.commandTimeout;
    try {
      const silent = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${bound} ms`)), bound);
      });
      await Promise.race([
        (async () => {
          await probe.connect();
          this.#serverRunId = connection.kind === 'redis' ? runIdOf(await probe.info('server')) : undefined;
        })(),
        silent,
      ]);
    } catch (error) {
      return this.#die(this.#redisError(cause ?? error, 'connecting'));
    } finally {
      clearTimeout(timer);
      probe.disconnect();
    }
    const control = (this.#control = openConnection(connection, timeouts, { maxRetriesPerRequest: null }));
    control.on('error', () => {});
    control.on('ready', () => void this.#onReconnect());
    const reader = (this.#reader = openConnection(connection, timeouts, { maxRetriesPerRequest: null }));
    reader.on('error', () => {});
    const queueConnection = (this.#queueConnection = openConnection(connection, timeouts, { maxRetriesPerRequest: null }));
    queueConnection.on('error', () => {});
    const queue = (this.#queue = new Queue(this.#setup.queue, { connection: queueConnection as never, prefix: this.#setup.prefix }));
    queue.on('error', () => {});
    await queue.waitUntilReady();
    this.#out.connected();
    this.#reading = this.#read();
    this.#sweepTimer = setInterval(() => void this.#sweep(), SWEEP_MS);
    for (const message of this.#backlog.splice(0)) {
      if (message.type === 'submit') this.submit(message);
      else this.reattach(message);
    }
  }

  /** Books a submission and queues its jobs for the next flush. */
  submit(message: SubmitMessage): void {
    if (this.#fatal || this.#closing) return;
    if (!this.#queue) {
      this.#backlog.push(message);
      return;
    }
    const chunks: ChunkPlan[] = [];
    const datas: JobData[] = [];
    const common = { format: JOB_FORMAT, kernel: message.kernel, reply: this.#setup.reply, cancel: sha256(message.secret) } as const;
    const timeout = message.timeout !== undefined ? { timeout: message.timeout } : {};
    if (message.kind === 'apply') {
      chunks.push({ jobId: message.uuid, offset: 0, size: 1 });
      datas.push({ ...common, kind: 'apply', args: message.args, ...timeout });
    } else {
      for (let offset = 0, index = 0; offset < message.items.length; offset += message.chunksize, index++) {
        const end = Math.min(offset + message.chunksize, message.items.length);
        const items: Encoded = message.items instanceof Float64Array ? encodeNumbers(message.items.subarray(offset, end)) : message.items.slice(offset, end);
        chunks.push({ jobId: `${message.uuid}.${index}`, offset, size: end - offset });
        datas.push({ ...common, kind: 'chunk', items, star: message.star, ...timeout });
      }
    }
    const submission = new Submission({
      id: message.id,
      flag: message.flag,
      kernel: message.kernel,
      kind: message.kind,
      total: message.kind === 'apply' ? 1 : message.items.length,
      chunks,
      stream: message.stream,
      progress: message.progress,
      reply: this.#setup.reply,
      secret: message.secret,
    });
    // Booked before the jobs exist in Redis: a host can finish a job before addBulk's reply comes back.
    this.#book.add(submission);
    const opts = { ...this.#setup.jobOptions, priority: message.priority };
    datas.forEach((data, i) => this.#outgoing.push({ name: message.kernel, data, opts: { ...opts, jobId: chunks[i].jobId }, submission }));
    if (!this.#flushing) {
      this.#flushing = true;
      setImmediate(() => void this.#flush());
    }
  }

  /** Follows jobs submitted earlier (by this process or another) to their outcome. */
  reattach(message: ReattachMessage): void {
    if (this.#fatal || this.#closing) return;
    if (!this.#queue) {
      this.#backlog.push(message);
      return;
    }
    const ids = message.chunks === 0 ? [message.uuid] : Array.from({ length: message.chunks }, (_, i) => `${message.uuid}.${i}`);
    const submission = new Submission({
      id: message.id,
      flag: message.flag,
      kernel: '',
      kind: message.chunks === 0 ? 'apply' : 'map',
      total: -1,
      chunks: ids.map((jobId) => ({ jobId, offset: -1, size: -1 })),
      stream: false,
      progress: false,
      reply: message.reply,
      secret: '',
    });
    this.#book.add(submission);
    for (const id of ids) this.#book.markAdded(id);
    const key = replyKey(this.#setup.prefix, this.#setup.queue, message.reply);
    if (!this.#readFrom.has(key)) this.#readFrom.set(key, '0');
    void this.#reconcile(ids);
  }

  /** The submitting thread has failed the result already; this drops the submission and stops its jobs. */
  cancel(id: number, reason: string): Promise<void> {
    const submission = this.#book.get(id);
    if (!submission) return Promise.resolve();
    return this.#removeJobs(this.#book.fail(submission, { name: 'CancelledError', message: reason }, this.#out), submission.secret);
  }

  /** Cancels every submission (waiting jobs leave the queue, running ones are stopped on their hosts), then closes. */
  async terminate(reason: string): Promise<void> {
    // Jobs not sent yet are dropped; those being sent now are removed once addBulk returns (their books are gone).
    const unsent = new Set(this.#outgoing.map((job) => job.submission));
    this.#outgoing = [];
    for (const submission of unsent) this.#book.fail(submission, { name: 'CancelledError', message: reason }, this.#out);
    await Promise.allSettled(this.#book.all().map((submission) => this.cancel(submission.id, reason)));
    await this.close();
  }

  /** Fails one submission that could not even be booked. */
  reject(message: SubmitMessage | ReattachMessage, error: ErrorRecord): void {
    const submission = this.#book.get(message.id);
    if (submission) this.#book.fail(submission, error, this.#out);
    else this.#out.settled(message, false, error);
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    clearInterval(this.#sweepTimer);
    this.#reader?.disconnect();
    await this.#reading;
    // Nothing is pending any more (close waits for that): what is left on this QueuePool's reply stream is repeats.
    if (this.#control?.status === 'ready') await this.#control.del(this.#ownReply).catch(() => {});
    await Promise.allSettled([this.#queue?.close()]);
    this.#queueConnection?.disconnect();
    this.#control?.disconnect();
    this.#out.closed();
  }

  /** An ErrorRecord of the right class for a failed Redis call: a full Redis, refused credentials, or no Redis. */
  #redisError(error: unknown, doing: string): ErrorRecord {
    const reason = error instanceof Error ? error.message : String(error);
    if (/^OOM\b/.test(reason)) {
      return {
        name: 'RedisFullError',
        message: `Redis at ${this.#where} is full while ${doing} (${reason}); raise its maxmemory, or keep fewer finished jobs (removeOnComplete / removeOnFail)`,
      };
    }
    if (/NOAUTH|WRONGPASS|NOPERM/.test(reason)) {
      return {
        name: 'RedisConnectionError',
        message: `Redis at ${this.#where} refused this client while ${doing} (${reason}); set \`connection.username\` / \`connection.password\` to an account that may use the queue`,
      };
    }
    if (isTimeout(error) && this.#reader !== undefined && this.#reader.status !== 'ready') {
      return {
        name: 'RedisConnectionError',
        message: `Redis at ${this.#where} could not be reached for ${this.#setup.timeouts.commandTimeout} ms while ${doing} (${reason}); pending results fail rather than wait (see \`commandTimeout\`)`,
      };
    }
    if (isTimeout(error)) {
      return {
        name: 'RedisConnectionError',
        message: `Redis at ${this.#where} did not answer within ${this.#setup.timeouts.commandTimeout} ms while ${doing} (${reason}); it may be frozen or overloaded (see \`commandTimeout\`)`,
      };
    }
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

  /** Redis is connected but silent: every pending result fails now, with the error, instead of waiting for ever. */
  #unresponsive(error: unknown, doing: string): void {
    if (this.#silent) return;
    this.#silent = true;
    const failure = this.#redisError(error, doing);
    this.#outgoing = [];
    for (const submission of this.#book.all()) this.#book.fail(submission, failure, this.#out);
  }

  async #flush(): Promise<void> {
    while (this.#outgoing.length > 0) {
      // A submission cancelled (or failed) before its jobs went out sends none: nobody would wait for them.
      const batch = this.#outgoing.slice(0, ADD_BATCH).filter(({ submission }) => this.#book.get(submission.id) === submission);
      this.#outgoing = this.#outgoing.slice(ADD_BATCH);
      if (batch.length === 0) continue;
      try {
        // Which of these ids exist already, asked on the queue's own connection just before addBulk, so Redis answers
        // it first: BullMQ keeps an existing job under a reused id and reports it as added. Such a job is not this
        // submitter's (its ids are random UUIDs nobody sees before they are added), so it is never adopted.
        const { prefix, queue } = this.#setup;
        const lookup = this.#queueConnection!.pipeline();
        for (const { opts } of batch) lookup.exists(jobKey(prefix, queue, opts.jobId));
        const existed = lookup.exec();
        await this.#queue!.addBulk(batch.map(({ name, data, opts }) => ({ name, data, opts })));
        const found = await existed;
        this.#silent = false;
        const foreign = new Set(batch.filter((_, i) => found?.[i]?.[1] === 1).map(({ opts }) => opts.jobId));
        for (const { opts } of batch) if (!foreign.has(opts.jobId)) this.#book.markAdded(opts.jobId);
        const refused = new Set(batch.filter(({ opts }) => foreign.has(opts.jobId)).map(({ submission }) => submission));
        for (const jobId of foreign) this.#refuseForeign(jobId);
        for (const { opts } of batch) this.#replayEarly(opts.jobId);
        // Cancelled while addBulk was on its way (terminate, a signal): its jobs are in Redis now, so they go again.
        const orphans = new Map<Submission, string[]>();
        for (const { submission, opts } of batch) {
          if (this.#book.get(submission.id) !== submission && !refused.has(submission))
            orphans.set(submission, [...(orphans.get(submission) ?? []), opts.jobId]);
        }
        for (const [submission, jobIds] of orphans) void this.#removeJobs(jobIds, submission.secret);
      } catch (error) {
        if (isTimeout(error)) this.#unresponsive(error, 'adding jobs');
        const failure = this.#redisError(error, 'adding jobs');
        for (const { opts } of batch) this.#early.delete(opts.jobId);
        for (const { submission } of batch) {
          if (this.#book.get(submission.id) === submission) void this.#removeJobs(this.#book.fail(submission, failure, this.#out), submission.secret);
        }
      }
    }
    this.#flushing = false;
  }

  /** Reads the reply streams until close(): every outcome, start and progress report of this QueuePool's jobs. */
  async #read(): Promise<void> {
    const block = Math.max(50, Math.min(1000, Math.floor(this.#setup.timeouts.commandTimeout / 2)));
    while (!this.#closing) {
      const keys = [...this.#readFrom.keys()];
      let reply: unknown;
      try {
        reply = await this.#reader!.xread('COUNT', READ_COUNT, 'BLOCK', block, 'STREAMS', ...keys, ...keys.map((key) => this.#readFrom.get(key)!));
        this.#silent = false;
      } catch (error) {
        if (this.#closing) return;
        if (isTimeout(error)) this.#unresponsive(error, 'waiting for results');
        else await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      }
      if (Array.isArray(reply)) this.#takeReplies(reply as Array<[string, Array<[string, unknown]>]>, true);
      this.#forgetForeignStreams();
    }
  }

  /**
   * Handles a batch of reply entries and deletes the ones handled (so a result is read once, whichever path read
   * it). `advance`: move the stream's read position past them (the reader does; a reconcile's look does not).
   */
  #takeReplies(streams: Array<[string, Array<[string, unknown]>]>, advance: boolean): void {
    const touched = new Set<Submission>();
    for (const [key, entries] of streams) {
      const own = key === this.#ownReply;
      const handled: string[] = [];
      for (const [entryId, flat] of entries) {
        if (advance && this.#readFrom.has(key)) this.#readFrom.set(key, entryId);
        const fields = fieldsOf(flat);
        // Another submitter's stream (a reattached job): only the entries of jobs followed here are taken from it.
        if (!own && !this.#book.has(fields.job)) continue;
        handled.push(entryId);
        const submission = this.#book.submissionOf(fields.job);
        if (submission) touched.add(submission);
        try {
          this.#onReply(fields);
        } catch {
          // A malformed entry (someone else wrote it) is skipped; it cannot stop the stream.
        }
      }
      if (handled.length > 0) void this.#control?.xdel(key, ...handled).catch(() => {});
    }
    // One load report per submission per batch, after the books are settled.
    for (const submission of touched) if (this.#book.get(submission.id) === submission) this.#out.load(submission, submission.startedJobs, submission.doneJobs);
  }

  #onReply(fields: Record<string, string>): void {
    const jobId = fields.job;
    if (typeof jobId !== 'string' || !this.#book.has(jobId)) return;
    // An outcome before Redis confirmed the job as this submitter's waits for that (a job under a reused id is
    // someone else's: its outcome must not settle this result).
    if ((fields.t === 'ok' || fields.t === 'failed') && !this.#book.isAdded(jobId)) {
      this.#early.set(jobId, fields);
      return;
    }
    switch (fields.t) {
      case 'started':
        this.#book.started(jobId);
        return;
      case 'progress':
        this.#book.progress(jobId, Number(fields.n), this.#out);
        return;
      case 'ok':
        // A chunk of numbers stays a Float64Array to the submitting thread (transferred, not cloned item by item).
        this.#onCompleted(jobId, () => {
          const tree: unknown = JSON.parse(fields.v);
          return packedNumbers(tree) ?? decode(tree);
        });
        return;
      case 'failed':
        if (typeof fields.r === 'string') this.#onFailed(jobId, fields.r);
        return;
    }
  }

  /** Handles the outcome that came for `jobId` before addBulk returned, now that the job is known to be this submitter's. */
  #replayEarly(jobId: string): void {
    const fields = this.#early.get(jobId);
    if (fields === undefined) return;
    this.#early.delete(jobId);
    if (this.#book.isAdded(jobId)) this.#onReply(fields);
  }

  /** A job under `jobId` existed before this submitter added its own: the result fails, the other job is left alone. */
  #refuseForeign(jobId: string): void {
    this.#early.delete(jobId);
    const submission = this.#book.submissionOf(jobId);
    if (!submission) return;
    const message =
      `Job ${jobId} (kernel \`${submission.kernel}\`) already existed in Redis at ${this.#where} when this QueuePool added it: ` +
      `it is somebody else's job, so it was not adopted and this result fails. Job ids are random UUIDs that no one sees before ` +
      `they are added; an id taken in advance means someone who can write to this Redis wrote a job under it. Submit again.`;
    const own = this.#book.fail(submission, { name: 'JobLostError', message, jobId }, this.#out).filter((id) => id !== jobId);
    void this.#removeJobs(own, submission.secret);
  }

  /** A reattached job's stream is read only while some pending job answers on it. */
  #forgetForeignStreams(): void {
    if (this.#readFrom.size === 1) return;
    const replies = new Set([...this.#book.replies()].map((reply) => replyKey(this.#setup.prefix, this.#setup.queue, reply)));
    for (const key of this.#readFrom.keys()) if (key !== this.#ownReply && !replies.has(key)) this.#readFrom.delete(key);
  }

  /** Settles a job's chunk with its decoded value; a value that cannot be decoded fails the result, naming the job. */
  #onCompleted(jobId: string, value: () => unknown): void {
    if (!this.#book.has(jobId)) return;
    let decoded: unknown;
    try {
      decoded = value();
    } catch (error) {
      const message = `Job ${jobId} (kernel \`${this.#book.kernelOf(jobId)}\`) finished, but its result cannot be decoded: ${(error as Error).message}`;
      const submission = this.#book.submissionOf(jobId)!;
      void this.#removeJobs(this.#book.failed(jobId, { name: 'TypeError', message, jobId }, this.#out), submission.secret);
      return;
    }
    this.#book.completed(jobId, decoded, this.#out);
  }

  #onFailed(jobId: string, failedReason: string): void {
    const submission = this.#book.submissionOf(jobId);
    if (!submission) return;
    void this.#removeJobs(this.#book.failed(jobId, recordOfReason(failedReason, jobId, submission.kernel), this.#out), submission.secret);
  }

  /** Removes jobs nobody waits for: waiting ones leave the queue; running ones are asked to stop on their host. */
  async #removeJobs(jobIds: readonly string[], secret: string): Promise<void> {
    const queue = this.#queue;
    if (!queue || !this.#control || jobIds.length === 0) return;
    await Promise.allSettled(jobIds.map((id) => queue.remove(id)));
    if (secret === '') return;
    const message: CancelMessage = { jobs: [...jobIds], secret };
    await this.#control.publish(cancelChannel(this.#setup.prefix, this.#setup.queue), JSON.stringify(message)).catch(() => {});
  }

  /** After every reconnect: a server with a new run_id restarted, and may have lost jobs. */
  async #onReconnect(): Promise<void> {
    if (!this.#control || this.#setup.connection.kind !== 'redis') return;
    const runId = runIdOf(await this.#control.info('server').catch(() => ''));
    const restarted = runId !== undefined && this.#serverRunId !== undefined && runId !== this.#serverRunId;
    this.#serverRunId = runId ?? this.#serverRunId;
    if (restarted) await this.#reconcile(this.#book.pendingJobs().filter((id) => this.#book.isAdded(id)));
  }

  async #sweep(): Promise<void> {
    if (this.#sweeping || this.#book.size === 0 || this.#control?.status !== 'ready') return;
    this.#sweeping = true;
    try {
      await this.#reconcile(this.#book.nextSlice(SWEEP_SLICE));
    } finally {
      this.#sweeping = false;
    }
  }

  /**
   * Asks Redis for the jobs' own records and settles what no reply entry reported: a job BullMQ failed itself (it
   * stalled too often) and a job Redis no longer has. A job that is gone may have completed and been removed: its
   * result was written to its reply stream before BullMQ removed it, so the stream, read after the records, holds
   * it unless it was already taken (then it is no longer pending here). What is neither was lost.
   */
  async #reconcile(jobIds: string[]): Promise<void> {
    const control = this.#control;
    if (!control || jobIds.length === 0) return;
    const { prefix, queue } = this.#setup;
    const pipeline = control.pipeline();
    for (const id of jobIds) pipeline.hmget(jobKey(prefix, queue, id), 'name', 'finishedOn', 'returnvalue', 'failedReason');
    const replies = await pipeline.exec().catch(() => null);
    if (!replies) return;
    const gone: string[] = [];
    replies.forEach(([error, fields], i) => {
      const jobId = jobIds[i];
      if (error || !this.#book.has(jobId)) return;
      const [name, finishedOn, returnvalue, failedReason] = fields as Array<string | null>;
      if (name === null || (finishedOn !== null && returnvalue !== null)) gone.push(jobId);
      else if (finishedOn !== null && failedReason !== null) this.#onFailed(jobId, failedReason);
    });
    if (gone.length === 0) return;
    const streams = new Set(gone.map((id) => this.#book.submissionOf(id)?.reply).filter((reply): reply is string => reply !== undefined));
    for (const reply of streams) {
      const key = replyKey(prefix, queue, reply);
      const entries = await control.xrange(key, '-', '+').catch(() => null);
      if (!entries) return;
      this.#takeReplies([[key, entries]], false);
    }
    for (const jobId of gone) {
      const submission = this.#book.submissionOf(jobId);
      if (!submission) continue;
      const kernel = submission.kernel ? ` (kernel \`${submission.kernel}\`)` : '';
      const message = `Job ${jobId}${kernel} is gone from Redis at ${this.#where} without a result: Redis restarted without persistence (run it with appendonly yes), the job was removed, or its result was already delivered. Submit it again.`;
      void this.#removeJobs(this.#book.failed(jobId, { name: 'JobLostError', jobId, message }, this.#out), submission.secret);
    }
  }
}
