/**
 * The client thread's books: which BullMQ job belongs to which submission, what each has delivered so far.
 * Delivery is at-least-once (a job whose host died after finishing runs again; an event and a reconcile can
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
}

/** What settling needs to know of a submission: its id and completion flag. */
export type Settling = Pick<Submission, 'id' | 'flag'>;

export interface ChunkPlan {
  jobId: string;
  offset: number;
  size: number;
}

export class Submission {
  readonly id: number;
  readonly flag: number;
  readonly kernel: string;
  readonly kind: 'apply' | 'map';
  readonly total: number;
  readonly chunks: readonly ChunkPlan[];
  readonly stream: boolean;
  readonly progress: boolean;
  /** map: the result array, filled chunk by chunk. */
  readonly #values: unknown[];
  /** Items finished per chunk (from progress reports, then the whole chunk on completion). */
  readonly #itemsDone: number[];
  readonly #chunkDone: boolean[];
  #chunksLeft: number;
  #reportedDone = 0;

  constructor(init: {
    id: number;
    flag: number;
    kernel: string;
    kind: 'apply' | 'map';
    total: number;
    chunks: ChunkPlan[];
    stream: boolean;
    progress: boolean;
  }) {
    this.id = init.id;
    this.flag = init.flag;
    this.kernel = init.kernel;
    this.kind = init.kind;
    this.total = init.total;
    this.chunks = init.chunks;
    this.stream = init.stream;
    this.progress = init.progress;
    this.#values = init.kind === 'map' ? new Array(init.total) : [];
    this.#itemsDone = new Array(init.chunks.length).fill(0);
    this.#chunkDone = new Array(init.chunks.length).fill(false);
    this.#chunksLeft = init.chunks.length;
  }

  /** Takes in chunk `index`'s value; returns whether the submission is now complete. A repeat is ignored. */
  complete(index: number, value: unknown, out: Outbox): boolean {
    if (this.#chunkDone[index]) return false;
    this.#chunkDone[index] = true;
    this.#chunksLeft--;
    if (this.kind === 'apply') {
      out.settled(this, true, value);
      return true;
    }
    const plan = this.chunks[index];
    const values = Array.isArray(value) ? value : [];
    if (values.length !== plan.size) {
      out.settled(this, false, {
        name: 'WorkerCrashError',
        kernel: this.kernel,
        jobId: plan.jobId,
        message: `Job ${plan.jobId} returned ${values.length} results for a chunk of ${plan.size} items; is the serving host running a different wasmpool?`,
      });
      return true;
    }
    for (let i = 0; i < values.length; i++) this.#values[plan.offset + i] = values[i];
    if (this.stream) out.chunk(this, plan.offset, values);
    this.#advance(index, plan.size, out);
    if (this.#chunksLeft > 0) return false;
    out.settled(this, true, this.#values);
    return true;
  }

  /** A serving host reported items finished within a running chunk. */
  partial(index: number, done: number, out: Outbox): void {
    if (this.kind !== 'map' || this.#chunkDone[index] || !Number.isInteger(done)) return;
    this.#advance(index, Math.min(done, this.chunks[index].size), out);
  }

  #advance(index: number, done: number, out: Outbox): void {
    if (done <= this.#itemsDone[index]) return;
    this.#reportedDone += done - this.#itemsDone[index];
    this.#itemsDone[index] = done;
    if (this.progress) out.progress(this, this.#reportedDone, this.total);
  }

  /** The jobs not yet reported finished: what a cancel removes, what a reconcile asks Redis about. */
  unfinishedJobs(): string[] {
    return this.chunks.filter((_, i) => !this.#chunkDone[i]).map((plan) => plan.jobId);
  }
}

/** jobId → (submission, chunk index), for every job whose submission has not settled. */
export class SubmissionBook {
  readonly #byJob = new Map<string, { submission: Submission; index: number; added: boolean }>();
  readonly #byId = new Map<number, Submission>();

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

  get(id: number): Submission | undefined {
    return this.#byId.get(id);
  }

  has(jobId: string): boolean {
    return this.#byJob.has(jobId);
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

  all(): Submission[] {
    return [...this.#byId.values()];
  }
}
