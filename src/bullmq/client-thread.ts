/**
 * The client thread of a QueuePool: it owns every Redis connection of the submitting side (adding jobs,
 * reading the queue's events, removing cancelled jobs, reconciling after a reconnect) and the submission
 * books. It runs beside the submitting thread so that thread can block in getSync()/waitSync(): results
 * arrive here whatever the submitting thread does, are posted to its port (read with receiveMessageOnPort)
 * and announced through shared memory (a completion flag per result, one counter to wait on).
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { decode, encode } from './codec.js';
import { recordOf, recordOfReason, type ErrorRecord } from './errors.js';
import { cancelChannel, JOB_FORMAT, jobKey, type JobData } from './job-data.js';
import { describeConnection } from './connection.js';
import { SEGMENT_MASK, SEGMENT_SHIFT } from './flags.js';
import type { ClientSetup, FromClient, ToClient } from './protocol.js';
import { Submission, SubmissionBook, type ChunkPlan, type Outbox, type Settling } from './submissions.js';

/** Jobs per addBulk call: one Redis MULTI each, small enough not to stall other clients of the server. */
const ADD_BATCH = 500;
/** How often unfinished jobs are looked up in Redis in case their event was missed (stream trimmed, reconnect). */
const SWEEP_MS = 5_000;
/** Events the queue's stream keeps: enough that a burst of 10,000 jobs cannot trim a completion before it is read. */
const EVENTS_MAX_LEN = 200_000;

const { setup, port } = workerData as { setup: ClientSetup; port: MessagePort };
const where = describeConnection(setup.connection);
const signal = new Int32Array(setup.signal);
const flagSegments: Int32Array[] = [];
const book = new SubmissionBook();
const clientId = `wp${process.pid.toString(36)}${Math.random().toString(36).slice(2, 10)}`;

function post(message: FromClient): void {
  port.postMessage(message);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
}

const outbox: Outbox = {
  settled(submission: Settling, ok: boolean, valueOrError: unknown): void {
    // Post before raising the flag: a thread that sees the flag must find the value already in its port.
    post(
      ok
        ? { type: 'settled', id: submission.id, ok: true, value: valueOrError }
        : { type: 'settled', id: submission.id, ok: false, error: valueOrError as ErrorRecord },
    );
    const flags = flagSegments[submission.flag >> SEGMENT_SHIFT];
    Atomics.store(flags, submission.flag & SEGMENT_MASK, 1);
    Atomics.add(signal, 0, 1);
    Atomics.notify(signal, 0);
  },
  progress(submission, done, total) {
    post({ type: 'progress', id: submission.id, done, total });
  },
  chunk(submission, offset, values) {
    post({ type: 'chunk', id: submission.id, offset, values });
  },
};

let queue: Queue | undefined;
let events: QueueEvents | undefined;
let control: Redis | undefined;
let serverRunId: string | undefined;
let fatal: ErrorRecord | undefined;
let closing = false;
const backlog: Array<Extract<ToClient, { type: 'submit' }>> = [];

function connectionError(error: unknown, doing: string): ErrorRecord {
  const reason = error instanceof Error ? error.message : String(error);
  return {
    name: 'RedisConnectionError',
    message: `Cannot reach Redis at ${where} while ${doing} (${reason}); check that redis-server runs there and that \`connection\` names it`,
  };
}

async function start(): Promise<void> {
  // One attempt, no retries: an address nobody answers on fails now, naming itself, instead of retrying silently.
  const probe = new Redis({ ...setup.connection, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
  // connect() rejects with a bare "Connection is closed"; the cause (ECONNREFUSED, ENOTFOUND) comes as an event.
  let cause: unknown;
  probe.on('error', (error) => (cause ??= error));
  try {
    await probe.connect();
    serverRunId = runIdOf(await probe.info('server'));
  } catch (error) {
    probe.disconnect();
    return die(connectionError(cause ?? error, 'connecting'));
  }
  const [seconds, micros] = await probe.time();
  probe.disconnect();
  // Read events from just before now by the server's clock: nothing this client adds can be missed, however
  // long QueueEvents takes to issue its first XREAD.
  const lastEventId = `${Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) - 1}-0`;
  const connection = { ...setup.connection };
  control = new Redis({ ...connection, maxRetriesPerRequest: null });
  control.on('error', () => {});
  control.on('ready', () => void onReconnect());
  queue = new Queue(setup.queue, { connection, prefix: setup.prefix, streams: { events: { maxLen: EVENTS_MAX_LEN } } });
  queue.on('error', () => {});
  events = new QueueEvents(setup.queue, { connection, prefix: setup.prefix, lastEventId });
  events.on('error', () => {});
  // QueueEvents has parsed the JSON already; the job's own record (reconcile) holds it as a string.
  events.on('completed', ({ jobId, returnvalue }) => onCompleted(jobId, () => decode(returnvalue)));
  events.on('failed', ({ jobId, failedReason }) => onFailed(jobId, failedReason));
  events.on('progress', ({ jobId, data }) => {
    if (typeof data === 'number') book.progress(jobId, data, outbox);
  });
  await queue.waitUntilReady();
  post({ type: 'connected' });
  setInterval(() => void sweep(), SWEEP_MS).unref();
  for (const message of backlog.splice(0)) submit(message);
}

function runIdOf(info: string): string | undefined {
  return /run_id:(\w+)/.exec(info)?.[1];
}

/** Settles a job's chunk with its decoded value; a value that cannot be decoded fails the result, naming the job. */
function onCompleted(jobId: string, value: () => unknown): void {
  if (!book.has(jobId)) return;
  let decoded: unknown;
  try {
    decoded = value();
  } catch (error) {
    const message = `Job ${jobId} (kernel \`${book.kernelOf(jobId)}\`) finished, but its result cannot be decoded: ${(error as Error).message}`;
    void removeJobs(book.failed(jobId, { name: 'TypeError', message, jobId }, outbox));
    return;
  }
  book.completed(jobId, decoded, outbox);
}

function onFailed(jobId: string, failedReason: string): void {
  if (!book.has(jobId)) return;
  const leftover = book.failed(jobId, recordOfReason(failedReason, jobId, book.kernelOf(jobId)), outbox);
  void removeJobs(leftover);
}

function die(error: ErrorRecord): void {
  fatal = error;
  post({ type: 'fatal', error });
  for (const submission of book.all()) book.fail(submission, error, outbox);
  void shutdown();
}

type JobToAdd = { name: string; data: JobData; opts: Record<string, unknown> & { jobId: string }; submission: Submission };

/** Jobs booked but not yet sent; flushed together so a burst of applies costs a few addBulk calls, not one each. */
let outgoing: JobToAdd[] = [];
let flushing = false;

function submit(message: Extract<ToClient, { type: 'submit' }>): void {
  if (fatal) return;
  if (!queue) {
    backlog.push(message);
    return;
  }
  const chunks: ChunkPlan[] = [];
  const datas: JobData[] = [];
  if (message.kind === 'apply') {
    chunks.push({ jobId: `${clientId}-${message.id}`, offset: 0, size: 1 });
    const data: JobData = { format: JOB_FORMAT, kind: 'apply', kernel: message.kernel, args: encode(message.args, 'args') };
    if (message.timeout !== undefined) data.timeout = message.timeout;
    datas.push(data);
  } else {
    for (let offset = 0, index = 0; offset < message.args.length; offset += message.chunksize, index++) {
      const items = message.args.slice(offset, offset + message.chunksize);
      chunks.push({ jobId: `${clientId}-${message.id}-${index}`, offset, size: items.length });
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
  book.add(submission);
  datas.forEach((data, i) => outgoing.push({ name: message.kernel, data, opts: { ...setup.jobOptions, jobId: chunks[i].jobId }, submission }));
  if (!flushing) {
    flushing = true;
    setImmediate(() => void flush());
  }
}

async function flush(): Promise<void> {
  while (outgoing.length > 0) {
    // A submission cancelled (or failed) before its jobs went out sends none: nobody would wait for them.
    const batch = outgoing.slice(0, ADD_BATCH).filter(({ submission }) => book.get(submission.id) === submission);
    outgoing = outgoing.slice(ADD_BATCH);
    if (batch.length === 0) continue;
    try {
      await queue!.addBulk(batch.map(({ name, data, opts }) => ({ name, data, opts })));
      for (const job of batch) book.markAdded(job.opts.jobId);
    } catch (error) {
      const failure = connectionError(error, 'adding jobs');
      for (const { submission } of batch) if (book.get(submission.id) === submission) void removeJobs(book.fail(submission, failure, outbox));
    }
  }
  flushing = false;
}

/** Removes jobs nobody waits for: waiting ones leave the queue; running ones are asked to stop on their host. */
async function removeJobs(jobIds: readonly string[]): Promise<void> {
  if (!queue || !control || jobIds.length === 0) return;
  await Promise.allSettled(jobIds.map((id) => queue!.remove(id)));
  await control.publish(cancelChannel(setup.prefix, setup.queue), JSON.stringify(jobIds)).catch(() => {});
}

function cancel(id: number, reason: string): void {
  const submission = book.get(id);
  if (!submission) return;
  void removeJobs(book.fail(submission, { name: 'CancelledError', message: reason }, outbox));
}

async function onReconnect(): Promise<void> {
  if (!control) return;
  const runId = runIdOf(await control.info('server').catch(() => ''));
  const restarted = runId !== undefined && serverRunId !== undefined && runId !== serverRunId;
  serverRunId = runId ?? serverRunId;
  if (restarted) await reconcile(book.pendingJobs());
}

let sweeping = false;
async function sweep(): Promise<void> {
  if (sweeping || book.size === 0 || !control || control.status !== 'ready') return;
  sweeping = true;
  try {
    await reconcile(book.pendingJobs().filter((id) => book.isAdded(id)));
  } finally {
    sweeping = false;
  }
}

/**
 * Asks Redis for the jobs' own records and settles whatever finished without its event reaching us. A job
 * Redis no longer has (it restarted without persistence) fails its result now instead of leaving it to hang.
 */
async function reconcile(jobIds: string[]): Promise<void> {
  if (!control || jobIds.length === 0) return;
  const pipeline = control.pipeline();
  for (const id of jobIds) pipeline.hmget(jobKey(setup.prefix, setup.queue, id), 'name', 'finishedOn', 'returnvalue', 'failedReason');
  const replies = await pipeline.exec().catch(() => null);
  if (!replies) return;
  replies.forEach(([error, fields], i) => {
    const jobId = jobIds[i];
    if (error || !book.has(jobId)) return;
    const [name, finishedOn, returnvalue, failedReason] = fields as Array<string | null>;
    if (name === null) {
      if (!book.isAdded(jobId)) return;
      const leftover = book.failed(
        jobId,
        {
          name: 'JobLostError',
          jobId,
          message: `Job ${jobId} (kernel \`${book.kernelOf(jobId)}\`) is gone from Redis at ${where} before it reported a result: Redis restarted without persistence (run it with appendonly yes) or the job was removed. Submit it again.`,
        },
        outbox,
      );
      void removeJobs(leftover);
    } else if (finishedOn !== null) {
      // A job that failed an attempt and then succeeded keeps that attempt's failedReason: returnvalue, written
      // only by the final move to completed, decides.
      if (returnvalue !== null) onCompleted(jobId, () => decode(JSON.parse(returnvalue)));
      else if (failedReason !== null) onFailed(jobId, failedReason);
    }
  });
}

async function shutdown(): Promise<void> {
  closing = true;
  await Promise.allSettled([events?.close(), queue?.close()]);
  control?.disconnect();
  post({ type: 'closed' });
  parentPort!.close();
  // Every connection is closed, but ioredis can keep a timer for seconds after a failed connect: the thread's
  // work is done, so it ends now (what it posted is already in the other side's port).
  setImmediate(() => process.exit(0));
}

parentPort!.on('message', (message: ToClient) => {
  switch (message.type) {
    case 'flags':
      flagSegments[message.segment] = new Int32Array(message.buffer);
      break;
    case 'submit':
      if (closing) return;
      try {
        submit(message);
      } catch (error) {
        const submission = book.get(message.id);
        if (submission) book.fail(submission, recordOf(error), outbox);
        else outbox.settled(message, false, recordOf(error));
      }
      break;
    case 'cancel':
      cancel(message.id, message.reason);
      break;
    case 'close':
      if (!closing) void shutdown();
      break;
  }
});

void start().catch((error) => die(connectionError(error, 'starting')));
