/**
 * The client thread's books: which BullMQ job belongs to which submission, what each has delivered so far.
 * Delivery is at-least-once (a job whose host died after finishing runs again; a reply entry and a reconcile can
 * both report one completion), so every report is checked against these books and a second one for the same
 * job is dropped: each submission settles once, with one value. Owned by the client thread; no Redis here.
 */
import type { ErrorRecord } from './errors.js';

/** Where a settled submission's outcome goes: the client thread posts it to the submitting thread. */
export interface Outbox {
  settled(submission: Settling, ok: true, value: unknown): void;
  settled(submission: Settling, ok: false, error: ErrorRecord): void;
  progress(submission: Submission, done: number, total: number): void;
  chunk(submission: Submission, offset: number, values: unknown[]): void;
  /** How many of the submission's jobs hosts have taken so far, and how many of those have finished. */
  load(submission: Submission, started: number, done: number): void;
}

/** What settling needs to know of a submission: its id and completion flag, and whether it is a map. */
export type Settling = Pick<Submission, 'id' | 'flag'> & { kind?: 'apply' | 'map' };

export interface ChunkPlan {
  jobId: string;
  offset: number;
  /** Items in the chunk; -1 for a reattached map, whose chunks are known only by their job ids. */
  size: number;
}

type ChunkState = 'queued' | 'running' | 'done';

export class Submission {
  readonly id: number;
  readonly flag: number;
  readonly kernel: string;
  readonly kind: 'apply' | 'map';
  /** Items of a map (-1 if unknown: reattached). */
  readonly total: number;
  readonly chunks: readonly ChunkPlan[];
  readonly stream: boolean;
  readonly progress: boolean;
  /** The reply id its hosts answer to. */
  readonly reply: string;
  /** The secret a cancel of its jobs must carry (only its SHA-256 is in Redis). Empty if reattached. */
  readonly secret: string;
  /** map: each chunk's values (a Float64Array for a chunk of numbers), joined in order when the last arrives. */
  readonly #values: Array<unknown[] | Float64Array>;
  /** Items finished per chunk (from progress reports, then the whole chunk on completion). */
  readonly #itemsDone: number[];
  readonly #state: ChunkState[];
  #chunksLeft: number;
  #reportedDone = 0;
  #started = 0;

  constructor(init: {
    id: number;
    flag: number;
    kernel: string;
    kind: 'apply' | 'map';
    total: number;
    chunks: ChunkPlan[];
    stream: boolean;
    progress: boolean;
    reply: string;
    secret: string;
  }) {
    this.id = init.id;
    this.flag = init.flag;
    this.kernel = init.kernel;
    this.kind = init.kind;
    this.total = init.total;
    this.chunks = init.chunks;
    this.stream = init.stream;
    this.progress = init.progress;
    this.reply = init.reply;
    this.secret = init.secret;
    this.#values = new Array(init.chunks.length);
    this.#itemsDone = new Array(init.chunks.length).fill(0);
    this.#state = new Array(init.chunks.length).fill('queued');
    this.#chunksLeft = init.chunks.length;
  }

  /** A host took chunk `index`. */
  start(index: number): void {
    if (this.#state[index] !== 'queued') return;
    this.#state[index] = 'running';
    this.#started++;
  }

  /** Jobs hosts have taken (finished ones included). */
  get startedJobs(): number {
    return this.#started;
  }

  /** Jobs finished. */
  get doneJobs(): number {
    return this.chunks.length - this.#chunksLeft;
  }

  /** Takes in chunk `index`'s value; returns whether the submission is now complete. A repeat is ignored. */
  complete(index: number, value: unknown, out: Outbox): boolean {
    if (this.#state[index] === 'done') return false;
    if (this.#state[index] === 'queued') this.#started++;
    this.#state[index] = 'done';
    this.#chunksLeft--;
    if (this.kind === 'apply') {
      out.settled(this, true, value);
      return true;
    }
    const plan = this.chunks[index];
    const list = Array.isArray(value) || value instanceof Float64Array;
    const values = list ? (value as unknown[] | Float64Array) : [];
    if (!list || (plan.size >= 0 && values.length !== plan.size)) {
      out.settled(this, false, {
        name: 'WorkerCrashError',
        kernel: this.kernel,
        jobId: plan.jobId,
        message: `Job ${plan.jobId} returned ${values.length} results for a chunk of ${plan.size} items; is the serving host running a different wasmpool?`,
      });
      return true;
    }
    this.#values[index] = values;
    if (this.stream) out.chunk(this, plan.offset, values instanceof Float64Array ? Array.from(values) : values);
    this.#advance(index, values.length, out);
    if (this.#chunksLeft > 0) return false;
    out.settled(this, true, joinChunks(this.#values));
    return true;
  }

  /** A serving host reported items finished within a running chunk. */
  partial(index: number, done: number, out: Outbox): void {
    const size = this.chunks[index].size;
    if (this.kind !== 'map' || this.#state[index] === 'done' || !Number.isInteger(done) || size < 0) return;
    this.#advance(index, Math.min(done, size), out);
  }

  #advance(index: number, done: number, out: Outbox): void {
    if (done <= this.#itemsDone[index]) return;
    this.#reportedDone += done - this.#itemsDone[index];
    this.#itemsDone[index] = done;
    if (this.progress) out.progress(this, this.#reportedDone, this.total);
  }

  /** The jobs not yet reported finished: what a cancel removes, what a reconcile asks Redis about. */
  unfinishedJobs(): string[] {
    return this.chunks.filter((_, i) => this.#state[i] !== 'done').map((plan) => plan.jobId);
  }
}

/**
 * A map's result from its chunks in order: one Float64Array when every chunk was numbers (the submitting thread
 * turns it into an array; transferring it costs nothing, where cloning a million-item array costs a hundred ms).
 */
function joinChunks(chunks: ReadonlyArray<unknown[] | Float64Array>): unknown[] | Float64Array {
  if (chunks.every((chunk) => chunk instanceof Float64Array)) {
    const joined = new Float64Array(chunks.reduce((n, chunk) => n + chunk.length, 0));
    let at = 0;
    for (const chunk of chunks as Float64Array[]) {
      joined.set(chunk, at);
      at += chunk.length;
    }
    return joined;
  }
  return chunks.flatMap((chunk) => (chunk instanceof Float64Array ? Array.from(chunk) : chunk));
}

interface JobEntry {
  submission: Submission;
  index: number;
  added: boolean;
}

/** jobId → (submission, chunk index), for every job whose submission has not settled. */
export class SubmissionBook {
  readonly #byJob = new Map<string, JobEntry>();
  readonly #byId = new Map<number, Submission>();
  /** Where the reconcile sweep goes on: it looks at a bounded slice of the jobs per round, not all of them. */
  #cursor: Iterator<[string, JobEntry]> | undefined;

  get size(): number {
    return this.#byId.size;
  }

  add(submission: Submission): void {
    this.#byId.set(submission.id, submission);
    submission.chunks.forEach((plan, index) => this.#byJob.set(plan.jobId, { submission, index, added: false }));
  }

  /** Redis has acknowledged the job: from now on, Redis not having it means it was lost. */
  markAdded(jobId: string): void {
    const entry = this.#byJob.get(jobId);
    if (entry) entry.added = true;
  }

  isAdded(jobId: string): boolean {
    return this.#byJob.get(jobId)?.added ?? false;
  }

  kernelOf(jobId: string): string {
    return this.#byJob.get(jobId)?.submission.kernel ?? '';
  }

  submissionOf(jobId: string): Submission | undefined {
    return this.#byJob.get(jobId)?.submission;
  }

  get(id: number): Submission | undefined {
    return this.#byId.get(id);
  }

  has(jobId: string): boolean {
    return this.#byJob.has(jobId);
  }

  /** A host took the job. */
  started(jobId: string): void {
    const entry = this.#byJob.get(jobId);
    entry?.submission.start(entry.index);
  }

  completed(jobId: string, value: unknown, out: Outbox): void {
    const entry = this.#byJob.get(jobId);
    if (!entry) return;
    if (entry.submission.complete(entry.index, value, out)) this.remove(entry.submission);
    else this.#byJob.delete(jobId);
  }

  /** A job failed for good: its submission fails (a map with its first error, as Python's does). Returns the jobs left unfinished. */
  failed(jobId: string, error: ErrorRecord, out: Outbox): string[] {
    const entry = this.#byJob.get(jobId);
    if (!entry) return [];
    return this.fail(entry.submission, error, out).filter((id) => id !== jobId);
  }

  progress(jobId: string, done: number, out: Outbox): void {
    const entry = this.#byJob.get(jobId);
    if (entry) entry.submission.partial(entry.index, done, out);
  }

  /** Fails `submission` and forgets it; returns its unfinished jobs (to remove from the queue). */
  fail(submission: Submission, error: ErrorRecord, out: Outbox): string[] {
    const unfinished = submission.unfinishedJobs();
    this.remove(submission);
    out.settled(submission, false, error);
    return unfinished;
  }

  remove(submission: Submission): void {
    this.#byId.delete(submission.id);
    for (const plan of submission.chunks) this.#byJob.delete(plan.jobId);
  }

  /** Every job still waiting for a report. */
  pendingJobs(): string[] {
    return [...this.#byJob.keys()];
  }

  /** Up to `limit` jobs Redis has acknowledged, continuing where the last call stopped: one sweep round's slice. */
  nextSlice(limit: number): string[] {
    const slice: string[] = [];
    let wrapped = false;
    while (slice.length < limit && this.#byJob.size > 0) {
      this.#cursor ??= this.#byJob.entries();
      const next = this.#cursor.next();
      if (next.done) {
        this.#cursor = undefined;
        if (wrapped) break;
        wrapped = true;
        continue;
      }
      const [jobId, entry] = next.value;
      if (entry.added && this.#byJob.get(jobId) === entry) slice.push(jobId);
    }
    return [...new Set(slice)];
  }

  /** The reply ids of every pending job (a reattached one may answer on another submitter's stream). */
  replies(): Set<string> {
    return new Set([...this.#byId.values()].map((s) => s.reply));
  }

  all(): Submission[] {
    return [...this.#byId.values()];
  }
}
