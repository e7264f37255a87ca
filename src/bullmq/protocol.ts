/**
 * Every message between a QueuePool (the submitting thread) and its client thread (which owns the Redis
 * connections), as one discriminated union per direction.
 */
import type { ErrorRecord } from './errors.js';

/** Plain, cloneable connection settings: what the client thread connects with. */
export interface PlainConnection {
  host?: string;
  port?: number;
  path?: string;
  username?: string;
  password?: string;
  db?: number;
  family?: number;
  tls?: Record<string, unknown>;
}

/** The BullMQ job options a QueuePool applies to every job (see QueuePoolOptions.jobOptions). */
export interface PlainJobOptions {
  attempts: number;
  backoff: { type: 'fixed' | 'exponential'; delay: number };
  removeOnComplete: { age: number };
  removeOnFail: { age: number };
}

export interface ClientSetup {
  queue: string;
  prefix: string;
  connection: PlainConnection;
  jobOptions: PlainJobOptions;
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
      /** apply: the argument list; map: every item. */
      args: readonly unknown[];
      star: boolean;
      chunksize: number;
      timeout?: number;
      /** Post every chunk as it arrives (imap), not only the whole result. */
      stream: boolean;
      progress: boolean;
    }
  | { type: 'cancel'; id: number; reason: string }
  | { type: 'close' };

export type FromClient =
  | { type: 'connected' }
  | { type: 'fatal'; error: ErrorRecord }
  | { type: 'settled'; id: number; ok: true; value: unknown }
  | { type: 'settled'; id: number; ok: false; error: ErrorRecord }
  | { type: 'progress'; id: number; done: number; total: number }
  | { type: 'chunk'; id: number; offset: number; values: unknown[] }
  | { type: 'closed' };
