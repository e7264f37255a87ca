import type { MainToWorker, WorkerToMain } from '../abi/protocol.js';

/** How a worker's end is reported to the pool. */
export interface WorkerExit {
  code: number | undefined;
  /** The uncaught error that killed the worker, if the runtime reported one. */
  error: unknown;
}

export interface WorkerEvents {
  message(message: WorkerToMain): void;
  exit(exit: WorkerExit): void;
}

/** One worker as the pool sees it; the pool never asks which runtime it is. */
export interface WorkerHandle {
  post(message: MainToWorker, transfer?: Transferable[]): void;
  /**
   * Delivers every message already queued from this worker, synchronously.
   * Returns false where the runtime cannot (a browser's MessagePort).
   */
  drainSync(): boolean;
  /** Keeps the process alive while the worker has work; lets it exit when idle. */
  setBusy(busy: boolean): void;
  terminate(): Promise<void>;
}

/** The part of a browser's `Worker` the pool uses (structural, so Node typings need no DOM lib). */
export interface WebWorkerLike {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: string, listener: (event: Event) => void): void;
  terminate(): void;
}

/** Per-worker settings a transport may honour (where the runtime has them). */
export interface SpawnOptions {
  /** Browsers: the worker entry's URL instead of the bundled one (`PoolOptions.workerUrl`). */
  workerUrl?: string | URL;
  /** Browsers: makes each worker (`PoolOptions.createWorker`). */
  createWorker?: () => WebWorkerLike;
  resourceLimits?: { maxOldGenerationSizeMb?: number; maxYoungGenerationSizeMb?: number; codeRangeSizeMb?: number; stackSizeMb?: number };
}

export interface Transport {
  /** Whether Atomics.wait may block the calling thread (false on a browser's main thread). */
  readonly canBlock: boolean;
  /** Whether drainSync() can take a worker's messages without an event-loop turn (Node: yes; browsers: no). */
  readonly readsMessagesSync: boolean;
  defaultWorkers(): number;
  /** Whether `workerUrl`/`createWorker` mean anything here (browsers only). */
  readonly customWorkers?: boolean;
  spawn(events: WorkerEvents, options?: SpawnOptions): WorkerHandle;
}
