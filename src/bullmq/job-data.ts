/**
 * What one BullMQ job carries between a submitting QueuePool and a serving host: the wire format of
 * wasmpool/bullmq, shared by both sides. An apply is one job; a map is one job per chunk, so chunks spread
 * over hosts.
 */
import type { Encoded } from './codec.js';

/** Bumped when the shape changes, so a host can refuse a job it would misread. */
export const JOB_FORMAT = 1;

export interface ApplyJobData {
  format: typeof JOB_FORMAT;
  kind: 'apply';
  kernel: string;
  /** The encoded argument list. */
  args: Encoded;
  /** TaskOptions.timeout, applied by the serving pool. */
  timeout?: number;
}

export interface ChunkJobData {
  format: typeof JOB_FORMAT;
  kind: 'chunk';
  kernel: string;
  /** The encoded items of this chunk. */
  items: Encoded;
  /** starmap: each item is an argument list. */
  star: boolean;
}

export type JobData = ApplyJobData | ChunkJobData;

/** Pub/sub channel on which submitters ask serving hosts to stop a running job (BullMQ cancels only locally). */
export function cancelChannel(prefix: string, queue: string): string {
  return `${prefix}:${queue}:wasmpool:cancel`;
}

/** The Redis key of a job's hash (BullMQ's layout), for reconciling after missed events or a restart. */
export function jobKey(prefix: string, queue: string, jobId: string): string {
  return `${prefix}:${queue}:${jobId}`;
}

export const DEFAULT_PREFIX = 'bull';
