/**
 * What one BullMQ job carries between a submitting QueuePool and a serving host, and what comes back: the wire
 * format of wasmpool/bullmq, shared by both sides. An apply is one job; a map is one job per chunk, so chunks
 * spread over hosts.
 *
 * Results do not travel in BullMQ's `returnvalue` (which BullMQ also copies into the queue's events stream, read
 * by every QueueEvents of every submitter): the host appends each job's outcome to its submitter's own reply
 * stream, and the job itself completes with `null`. So a result is stored once, read only by its submitter, and
 * deleted as soon as the submitter has it.
 */
import type { Encoded } from './codec.js';

/** Bumped when the shape changes; a host that speaks another format hands the job back for another host. */
export const JOB_FORMAT = 2;

interface JobCommon {
  format: typeof JOB_FORMAT;
  kernel: string;
  /** The submitter's reply id: where the host sends started/progress/result entries (replyKey). */
  reply: string;
  /** SHA-256 (hex) of the submission's cancel secret: a cancel message must carry the secret itself. */
  cancel: string;
  /** TaskOptions.timeout / MapOptions.timeout, applied by the serving pool. */
  timeout?: number;
}

export interface ApplyJobData extends JobCommon {
  kind: 'apply';
  /** The encoded argument list. */
  args: Encoded;
}

export interface ChunkJobData extends JobCommon {
  kind: 'chunk';
  /** The encoded items of this chunk. */
  items: Encoded;
  /** starmap: each item is an argument list. */
  star: boolean;
}

export type JobData = ApplyJobData | ChunkJobData;

/** One entry of a reply stream (field `t`): a host took the job, reports items done, or the job's outcome. */
export type ReplyEntry =
  | { t: 'started'; job: string }
  | { t: 'progress'; job: string; done: number }
  | { t: 'ok'; job: string; value: string }
  | { t: 'failed'; job: string; reason: string };

/** Pub/sub channel on which submitters ask serving hosts to stop a running job (BullMQ cancels only locally). */
export function cancelChannel(prefix: string, queue: string): string {
  return `${prefix}:${queue}:wasmpool:cancel`;
}

/** The Redis stream a submitter reads its own jobs' outcomes from. */
export function replyKey(prefix: string, queue: string, reply: string): string {
  return `${prefix}:${queue}:wasmpool:reply:${reply}`;
}

/** The Redis key of a job's hash (BullMQ's layout), for reconciling after a restart or a job BullMQ failed itself. */
export function jobKey(prefix: string, queue: string, jobId: string): string {
  return `${prefix}:${queue}:${jobId}`;
}

/** How long a reply stream outlives its last write: the results of a submitter that vanished expire. */
export const REPLY_TTL_MS = 24 * 3600 * 1000;

/** A cancel message: the jobs to stop, and the secret whose SHA-256 each job carries. */
export interface CancelMessage {
  jobs: string[];
  secret: string;
}

export const DEFAULT_PREFIX = 'bull';
