import type { MainToWorker, WorkerToMain } from '../abi/protocol.js';
import { WorkerCrashError } from '../errors.js';
import type { SpawnOptions, Transport, WorkerExit } from '../transport/types.js';
import type { PoolMetrics } from './metrics.js';
import { WorkerNode } from './worker-node.js';

/** Workers that die before finishing anything, in a row, before the pool gives up respawning. */
export const MAX_STARTUP_CRASHES = 3;

export type InitMessage = Extract<MainToWorker, { type: 'init' }>;

export interface WorkerSetConfig {
  transport: Transport;
  spawnOptions: SpawnOptions | undefined;
  /** Whether workers share memory with this thread (each then gets a completion ring). */
  shared: boolean;
  /** The most workers (PoolOptions.workers). */
  workers: number;
  /** Workers kept even when idle. */
  minWorkers: number;
  metrics: PoolMetrics;
}

/** What the scheduler does for each worker: the `init` it is sent, and the handling of its messages and exit. */
export interface WorkerSetEvents {
  init(worker: WorkerNode): InitMessage;
  message(worker: WorkerNode, message: WorkerToMain): void;
  exit(worker: WorkerNode, exit: WorkerExit): void;
}

/**
 * The pool's live workers: spawning them, letting them go, the crash breaker, and Pool.create's wait for the
 * first ones to be ready. What each worker holds is its WorkerNode's; what the units on it become is the
 * scheduler's.
 */
export class WorkerSet {
  readonly #live: WorkerNode[] = [];
  /** Every worker's exit, replacements included: join() waits for them all. */
  readonly #exits: Promise<void>[] = [];
  #nextSerial = 1;
  /** Deaths in a row of workers that never finished a unit; retirements are never counted. */
  #startupCrashes = 0;
  /** Pool.create waiting for the first workers to load the module. */
  readonly #readyWaiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  #busy = false;

  constructor(
    private readonly config: WorkerSetConfig,
    private readonly events: WorkerSetEvents,
  ) {}

  /** Workers the pool uses, in the order they started. */
  get live(): readonly WorkerNode[] {
    return this.#live;
  }

  get count(): number {
    return this.#live.length;
  }

  /** As many workers as `workers` allows are up. */
  get full(): boolean {
    return this.#live.length >= this.config.workers;
  }

  /** Live workers that take work or still hold some: a retiring worker with nothing left is not counted. */
  get active(): number {
    let active = 0;
    for (const worker of this.#live) if (!worker.retiring || worker.posted.size > 0) active++;
    return active;
  }

  /** Units posted by message to live workers and not yet back. */
  get postedUnits(): number {
    let posted = 0;
    for (const worker of this.#live) posted += worker.posted.size;
    return posted;
  }

  /** Units posted to live workers less completions they wrote and this thread has not read. */
  get postedUnfinished(): number {
    let running = 0;
    for (const worker of this.#live) running += worker.posted.size - (worker.completions?.unreadCount ?? 0);
    return running;
  }

  bySerial(serial: number): WorkerNode | undefined {
    return this.#live.find((w) => w.serial === serial);
  }

  /** The worker whose RUNNING cell holds `unitId` (shared memory only). */
  runningUnit(unitId: number): WorkerNode | undefined {
    return this.#live.find((w) => w.running === unitId);
  }

  hasUnreadCompletions(): boolean {
    for (const worker of this.#live) if (worker.completions && worker.completions.unread) return true;
    return false;
  }

  /** Delivers every message already queued from every worker (a copy of the list: handling one may remove a worker). */
  drainMessages(): void {
    for (const worker of [...this.#live]) worker.handle.drainSync();
  }

  post(message: MainToWorker): void {
    for (const worker of this.#live) worker.handle.post(message);
  }

  /**
   * Starts workers up to what `work` units need: at least minWorkers while `open`, up to `workers` under load,
   * and after close() as many as the remaining work needs.
   */
  grow(work: number, open: boolean): void {
    const wanted = Math.min(this.config.workers, open ? Math.max(this.config.minWorkers, work) : work);
    for (let active = this.active; active < wanted; active++) this.spawn();
  }

  spawn(): void {
    const worker = new WorkerNode(this.#nextSerial++, this.config.shared);
    this.#exits.push(worker.exited);
    const events = this.events;
    worker.attach(
      this.config.transport.spawn(
        { message: (message) => events.message(worker, message), exit: (exit) => events.exit(worker, exit) },
        this.config.spawnOptions,
      ),
    );
    worker.handle.post(events.init(worker));
    this.config.metrics.workerStarted(worker.serial);
    if (this.#busy) worker.handle.setBusy(true);
    this.#live.push(worker);
  }

  /** The pool stops using `worker` (dead, stopped or retired); false if it already had. */
  remove(worker: WorkerNode): boolean {
    if (!worker.markGone()) return false;
    this.#live.splice(this.#live.indexOf(worker), 1);
    this.config.metrics.workerExited(worker.serial);
    return true;
  }

  /**
   * An idle worker above minWorkers goes. Stopping it (RUNNING 0 → STOPPED) means it takes nothing more; it may
   * still be publishing the unit it just finished, so it is let go only once it answers `retired`. True if it
   * was stopped.
   */
  retireIfSpare(worker: WorkerNode): boolean {
    if (worker.retiring || worker.posted.size > 0 || this.active <= this.config.minWorkers || !worker.stopIfRunning(0)) return false;
    worker.markRetiring();
    return true;
  }

  /** Stops every worker (close is done, or terminate); returns them, to await their exits. */
  stopAll(): WorkerNode[] {
    const workers = this.#live.splice(0);
    for (const worker of workers) {
      worker.markGone();
      void worker.handle.terminate();
    }
    return workers;
  }

  /** Keeps the process alive while there is work, or while Pool.create awaits the workers. */
  setBusy(busy: boolean): void {
    busy ||= this.#readyWaiters.length > 0;
    if (busy === this.#busy) return;
    this.#busy = busy;
    for (const worker of this.#live) worker.handle.setBusy(busy);
  }

  // ---- the crash breaker ---------------------------------------------------------------------------------

  /** `worker` finished a unit: it started fine, and the run of start-up crashes is over. */
  proved(worker: WorkerNode): void {
    worker.markProvedAlive();
    this.#startupCrashes = 0;
  }

  /**
   * `worker` is gone; `counted`: its death is not explained by its work (no unit stopped or blamed) nor a
   * retirement. Returns the error to break the pool with once MAX_STARTUP_CRASHES such workers died in a row.
   */
  died(worker: WorkerNode, exit: WorkerExit, counted: boolean): WorkerCrashError | undefined {
    if (counted && !worker.provedAlive) this.#startupCrashes++;
    if (this.#startupCrashes < MAX_STARTUP_CRASHES) return undefined;
    return new WorkerCrashError(
      `Workers keep dying before finishing any task (${MAX_STARTUP_CRASHES} in a row; last exit code ${exit.code}); the pool stopped replacing them`,
      { kernel: '(startup)', exitCode: exit.code, cause: exit.error },
    );
  }

  // ---- Pool.create waiting for the workers ---------------------------------------------------------------

  /** Resolves once minWorkers workers have loaded the module (see tellReady); keeps the process alive meanwhile. */
  whenReady(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#readyWaiters.push({ resolve, reject });
      this.setBusy(true);
    });
  }

  /** Settles the ready waiters if enough workers are ready, or `failed()` says why none will be; true if it did. */
  tellReady(failed: () => Error | undefined): boolean {
    if (this.#readyWaiters.length === 0) return false;
    let ready = 0;
    for (const worker of this.#live) if (worker.ready) ready++;
    const error = failed();
    if (!error && ready < Math.min(this.config.minWorkers, this.config.workers)) return false;
    for (const waiter of this.#readyWaiters.splice(0)) {
      if (error) waiter.reject(error);
      else waiter.resolve();
    }
    return true;
  }

  /** Resolves once every worker this pool started has exited, replacements started meanwhile included. */
  async allExited(): Promise<void> {
    for (let seen = 0; seen < this.#exits.length;) {
      const batch = this.#exits.slice(seen);
      seen += batch.length;
      await Promise.all(batch);
    }
  }
}
