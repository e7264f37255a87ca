/**
 * Every message between a QueuePool (the submitting thread) and its client thread (which owns the Redis
 * connections), as one discriminated union per direction.
 */
import type { Encoded } from './codec.js';
import type { ConnectionSpec, Timeouts } from './connection.js';
import type { ErrorRecord } from './errors.js';

/** BullMQ's retention shapes: `true` (remove at once), `false` (keep), a count, or `{ age (s), count }`. */
export type KeepJobs = boolean | number | { age?: number; count?: number };

/** The BullMQ job options a QueuePool applies to every job. */
export interface PlainJobOptions {
  attempts: number;
  backoff: { type: 'fixed' | 'exponential'; delay: number };
  removeOnComplete: KeepJobs;
  removeOnFail: KeepJobs;
}

export interface ClientSetup {
  queue: string;
  prefix: string;
  connection: ConnectionSpec;
  timeouts: Timeouts;
  jobOptions: PlainJobOptions;
  /** This QueuePool's reply id (a random UUID): the stream its results come back on. */
  reply: string;
  /** Int32Array over a SharedArrayBuffer: [0] is bumped (and notified) after every message posted back. */
  signal: SharedArrayBuffer;
}

export type ToClient =
  | { type: 'flags'; segment: number; buffer: SharedArrayBuffer }
  | {
      type: 'submit';
      id: number;
      /** Index of the completion flag this submission sets. */
      flag: number;
      kernel: string;
      kind: 'apply' | 'map';
      /** The submission's id (a random UUID): its jobs are `<uuid>` (apply) or `<uuid>.<chunk>` (map). */
      uuid: string;
      /** The cancel secret of this submission. */
      secret: string;
      /** apply: the encoded argument list; map: every item, encoded one by one at the call, or packed if all are numbers. */
      args: Encoded;
      items: Encoded[] | Float64Array;
      star: boolean;
      chunksize: number;
      timeout?: number;
      /** BullMQ's priority (1 first), already mapped from ours. */
      priority: number;
      /** Post every chunk as it arrives (imap), not only the whole result. */
      stream: boolean;
      progress: boolean;
    }
  | {
      type: 'reattach';
      id: number;
      flag: number;
      reply: string;
      uuid: string;
      /** Chunks of a map; 0 for an apply. */
      chunks: number;
    }
  | { type: 'cancel'; id: number; reason: string }
  | { type: 'terminate'; reason: string }
  | { type: 'close' };

export type FromClient =
  | { type: 'connected' }
  | { type: 'fatal'; error: ErrorRecord }
  /** `packed`: a map's numbers as one Float64Array, to be made the array a map gives. */
  | { type: 'settled'; id: number; ok: true; value: unknown; packed?: true }
  | { type: 'settled'; id: number; ok: false; error: ErrorRecord }
  | { type: 'progress'; id: number; done: number; total: number }
  | { type: 'chunk'; id: number; offset: number; values: unknown[] }
  /** Of the submission's jobs, `started` were taken by hosts so far, `done` of them finished. */
  | { type: 'load'; id: number; started: number; done: number }
  | { type: 'closed' };
