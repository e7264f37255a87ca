/**
 * The submitting thread's side of QueuePool results: the ResultSource its AsyncResults read through. It owns
 * the port the client thread posts outcomes to, the completion flags, and which result each id belongs to;
 * it settles a ResultState only from a message of the client thread (or at once, for a cancel or a lost
 * connection), and ResultState's first-settle-wins keeps that to one value per result.
 */
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { ResultSource, ResultState } from '../async-result.js';
import { errorOf } from './errors.js';
import type { FlagTable } from './flags.js';
import type { FromClient } from './protocol.js';

/** Where a map's chunks go as their jobs finish (an imap batch): each chunk's values by offset, then the outcome. */
export interface ChunkSink {
  chunk(offset: number, values: unknown[]): void;
  end(error: Error | undefined): void;
}

export interface ResultHooks {
  onProgress?: (done: number, total: number) => void;
  stream?: ChunkSink;
}

interface Entry {
  id: number;
  flag: number;
  state: ResultState;
  hooks: ResultHooks;
  /** Jobs of the submission, and how many of them hosts have taken / finished (from the client's load reports). */
  units: number;
  started: number;
  done: number;
}

interface LoadWaiter {
  holds: () => boolean;
  resolve: () => void;
}

export class QueueResults implements ResultSource {
  readonly #port: MessagePort;
  readonly #signal: Int32Array;
  readonly #flags: FlagTable;
  readonly #byId = new Map<number, Entry>();
  readonly #byState = new Map<ResultState, Entry>();
  #fatal: Error | undefined;
  #idle: Array<() => void> = [];
  /** Jobs of unsettled results: in all, taken by hosts, finished (a map settles only with its last job). */
  #units = 0;
  #started = 0;
  #done = 0;
  #loadWaiters: LoadWaiter[] = [];
  #connected = false;
  #onConnected: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];

  constructor(port: MessagePort, signal: Int32Array, flags: FlagTable) {
    this.#port = port;
    this.#signal = signal;
    this.#flags = flags;
    port.on('message', (message: FromClient) => this.#handle(message));
    port.unref();
  }

  /** The error every result fails with once the connection is gone for good (unreachable at start). */
  get fatal(): Error | undefined {
    return this.#fatal;
  }

  /** Results not settled yet. */
  get unsettled(): number {
    return this.#byId.size;
  }

  /** Jobs of unsettled results that no host has taken yet. */
  get queuedJobs(): number {
    return this.#units - this.#started;
  }

  /** Jobs a host is running (taken, not finished). */
  get runningJobs(): number {
    return this.#started - this.#done;
  }

  /** Resolves once `holds()` (read after every change of the load) is true. */
  whenLoad(holds: () => boolean): Promise<void> {
    if (holds()) return Promise.resolve();
    return new Promise((resolve) => this.#loadWaiters.push({ holds, resolve }));
  }

  track(id: number, flag: number, state: ResultState, hooks: ResultHooks, units: number): void {
    if (this.#fatal) {
      this.#flags.release(flag);
      this.#end(state, hooks, false, this.#fatal);
      return;
    }
    const entry = { id, flag, state, hooks, units, started: 0, done: 0 };
    this.#units += units;
    this.#byId.set(id, entry);
    this.#byState.set(state, entry);
    if (this.#byId.size === 1) this.#port.ref();
  }

  /** Resolves once the client thread has reached Redis; rejects with the error that stopped it. */
  whenConnected(): Promise<void> {
    if (this.#fatal) return Promise.reject(this.#fatal);
    if (this.#connected) return Promise.resolve();
    // Someone waits: the port must keep the process alive until the answer comes.
    this.#port.ref();
    return new Promise((resolve, reject) => this.#onConnected.push({ resolve, reject }));
  }

  /** Resolves once no result is waiting for the client thread. */
  whenIdle(): Promise<void> {
    if (this.#byId.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  finished(state: ResultState): boolean {
    const entry = this.#byState.get(state);
    return entry === undefined ? !state.pending : this.#flags.isSet(entry.flag);
  }

  collect(): void {
    for (let received = receiveMessageOnPort(this.#port); received; received = receiveMessageOnPort(this.#port)) this.#handle(received.message as FromClient);
  }

  block(state: ResultState, timeout: number | undefined, needValue: boolean): boolean {
    const deadline = timeout === undefined ? Infinity : performance.now() + timeout;
    for (;;) {
      // Read the counter before looking: a message posted after the look bumps it, so the wait returns at once.
      const seen = Atomics.load(this.#signal, 0);
      this.collect();
      if (!state.pending || (!needValue && this.finished(state))) return true;
      const left = deadline - performance.now();
      if (left <= 0) return false;
      Atomics.wait(this.#signal, 0, seen, left === Infinity ? undefined : left);
    }
  }

  /** Fails `state` now (a cancel); its entry stays until the client thread confirms, so its flag is not reused early. */
  failNow(state: ResultState, error: Error): void {
    const entry = this.#byState.get(state);
    this.#end(state, entry?.hooks ?? {}, false, error);
  }

  #handle(message: FromClient): void {
    switch (message.type) {
      case 'settled': {
        const entry = this.#byId.get(message.id);
        if (!entry) return;
        this.#forget(entry);
        this.#flags.retire(entry.flag);
        // A map of numbers comes as one Float64Array (moved, not cloned): the caller gets the array a map gives.
        if (message.ok) this.#end(entry.state, entry.hooks, true, message.packed ? Array.from(message.value as Float64Array) : message.value);
        else this.#end(entry.state, entry.hooks, false, errorOf(message.error));
        this.#checkIdle();
        return;
      }
      case 'load': {
        const entry = this.#byId.get(message.id);
        if (!entry) return;
        this.#started += Math.min(message.started, entry.units) - entry.started;
        this.#done += Math.min(message.done, entry.units) - entry.done;
        entry.started = Math.min(message.started, entry.units);
        entry.done = Math.min(message.done, entry.units);
        this.#checkLoad();
        return;
      }
      case 'progress':
        this.#byId.get(message.id)?.hooks.onProgress?.(message.done, message.total);
        return;
      case 'chunk':
        this.#byId.get(message.id)?.hooks.stream?.chunk(message.offset, message.values);
        return;
      case 'fatal':
        this.failAll(errorOf(message.error));
        return;
      case 'connected':
        this.#connected = true;
        for (const waiter of this.#onConnected.splice(0)) waiter.resolve();
        if (this.#byId.size === 0) this.#port.unref();
        return;
      case 'closed':
        return;
    }
  }

  /** The client thread is gone (unreachable Redis, a crash): nothing will arrive, so every result fails with `error`. */
  failAll(error: Error): void {
    this.#fatal ??= error;
    const entries = [...this.#byId.values()];
    for (const entry of entries) this.#forget(entry);
    for (const entry of entries) this.#end(entry.state, entry.hooks, false, error);
    this.#checkIdle();
    for (const waiter of this.#onConnected.splice(0)) waiter.reject(error);
  }

  #end(state: ResultState, hooks: ResultHooks, ok: boolean, valueOrError: unknown): void {
    if (!state.settle(ok, valueOrError)) return;
    hooks.stream?.end(ok ? undefined : (valueOrError as Error));
  }

  /** Drops `entry` from the books and from the load counts. */
  #forget(entry: Entry): void {
    this.#byId.delete(entry.id);
    this.#byState.delete(entry.state);
    this.#units -= entry.units;
    this.#started -= entry.started;
    this.#done -= entry.done;
  }

  #checkLoad(): void {
    if (this.#loadWaiters.length === 0) return;
    const still: LoadWaiter[] = [];
    const ready: LoadWaiter[] = [];
    for (const waiter of this.#loadWaiters) (waiter.holds() ? ready : still).push(waiter);
    this.#loadWaiters = still;
    for (const waiter of ready) waiter.resolve();
  }

  #checkIdle(): void {
    this.#checkLoad();
    if (this.#byId.size > 0) return;
    this.#port.unref();
    for (const resolve of this.#idle.splice(0)) resolve();
  }
}
