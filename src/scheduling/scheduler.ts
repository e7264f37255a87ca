import { readPoolSignal, releasePoolWait, waitPoolSignal, waitPoolSignalAsync } from '../abi/pool-signal.js';
import { CONTROL_BYTES, Outcome, SlotState } from '../abi/layout.js';
import { PayloadArena } from '../abi/payload-arena.js';
import type { Catalog, MainToWorker, ModuleSpec, WorkerToMain } from '../abi/protocol.js';
import { allocateFlagBuffer } from '../abi/shared-buffer.js';
import { SlotTable } from '../abi/slot-table.js';
import { CancelledError, PoolStateError, QueueFullError, TimeoutError, WorkerCrashError } from '../errors.js';
import type { ResultSource } from '../result-state.js';
import type { SpawnOptions, Transport, WorkerExit } from '../transport/types.js';
import { Deadlines } from './deadlines.js';
import { ApplyJob, Job, MapJob, Place, Unit, clockUsOfEpoch, type JobResources, type MapJobOptions } from './jobs.js';
import { KernelCatalog } from './kernel-catalog.js';
import { toTaskError } from './task-error.js';
import { PoolMetrics, type MetricsStats } from './metrics.js';
import { QueueWatchers } from './queue-watchers.js';
import { Outbox } from './outbox.js';
import type { WorkerNode } from './worker-node.js';
import type { Dispatch } from './dispatch.js';
import { PostedDispatch } from './dispatch-posted.js';
import { RingDispatch } from './dispatch-ring.js';
import { UnitBook } from './unit-book.js';
import { WorkerSet, type InitMessage } from './worker-set.js';

export interface SchedulerConfig {
  transport: Transport;
  module: ModuleSpec;
  /** The most workers (PoolOptions.workers). */
  workers: number;
  /** Workers kept even when idle; more are started under load and exit after `idleTimeout` ms idle. */
  minWorkers: number;
  idleTimeout: number;
  /** Most units waiting (queued here or in the shared queue, not yet taken). */
  maxQueued: number;
  /** MB of its own memory after which a worker is replaced before its next unit. */
  maxWorkerMemory: number;
  maxTasksPerWorker: number | undefined;
  initializer: string | undefined;
  initargs: unknown[] | undefined;
  /** The module's kernel names when this thread knows them (plain WASM); else the first worker to load it reports them. */
  exports?: Iterable<string>;
  spawnOptions?: SpawnOptions;
  /**
   * Whether workers share memory with this thread. Chosen once: with it, units go through the shared work queue
   * and completions through shared rings; without it (a page that is not cross-origin isolated) by message.
   */
  shared: boolean;
  /**
   * Serializes payloads that are not inline numbers into bytes a worker can decode (node:v8). Without it such
   * units are posted by message to one worker.
   */
  serialize?: (value: unknown) => Uint8Array;
  /** Called once a worker's thread has surely exited (it frees that worker's kernel heap, src/wasm/kernel-heaps.ts). */
  onWorkerExit?: (serial: number) => void;
}

/** The options of one task, as the Pool validated them (TaskOptions). */
export interface ApplyOptions {
  priority?: number;
  timeout?: number;
  signal?: AbortSignal;
  callback?: (value: unknown) => void;
  errorCallback?: (error: Error) => void;
}

export interface MapRequest extends MapJobOptions {
  kernel: string;
  chunks: Array<unknown[] | Float64Array>;
  total: number;
  chunksize: number;
  star: boolean;
  priority?: number;
  /** Per unit's run, in ms, as ApplyOptions.timeout: a chunk past it fails with TimeoutError, its worker replaced. */
  timeout?: number;
  /** Cancels every unit of the map not yet settled: queued ones are dropped, running ones stopped. */
  signal?: AbortSignal;
  resources?: JobResources;
}

export type PoolState = 'open' | 'closing' | 'terminated';

/** The name encodeIfNeeded gives an apply's arguments in its errors (one function, not a closure per task). */
const NAME_ARGS = (): string => 'args';
/** The one-element list apply() hands to enqueue(), reused. */
const ONE_UNIT: Array<Unit | undefined> = [undefined];

/** How long getSync()/waitSync() poll before parking in Atomics.wait. */
const SPIN_BEFORE_PARK_MS = 0.05;
/** A blocked thread wakes at least this often (a worker killed from outside sets no flag). */
const MAX_PARK_MS = 50;

/**
 * The pool's core: `Pool` validates and calls its verbs (apply, map, cancel via signals, close, terminate,
 * join); AsyncResults read through it as their ResultSource. Runtime-agnostic: it only sees a Transport. It
 * admits units (backpressure, ids), reads completions and messages, enforces deadlines and signals, runs the
 * lifecycle and tells the queue watchers; the rest of the state has one owner each, which it calls:
 * - the Dispatch strategy, chosen once (dispatch-ring.ts with shared memory, dispatch-posted.ts without):
 *   where units wait for a worker and how they reach one;
 * - the UnitBook (unit-book.ts): where each dispatched unit is, the one settle path, and when a job is released;
 * - the WorkerSet (worker-set.ts): the live workers, the crash breaker and Pool.create's wait; each WorkerNode
 *   its own cells and posted units.
 *
 * Data flow with shared memory: apply/map encode each unit into the shared work queue at once, where idle
 * workers take it themselves; workers publish completions into their own completion rings and bump the pool
 * signal; this thread reads them when Atomics.waitAsync wakes it (or at once, inside getSync()). Values that
 * are not numbers come by message. Without shared memory, units are posted to workers in batches.
 */
export class Scheduler implements ResultSource {
  state: PoolState = 'open';
  /** Set when workers cannot start (initializer threw, module failed to load): every task fails with it. */
  broken: Error | undefined;
  readonly slots: SlotTable;
  readonly signal = new Int32Array(allocateFlagBuffer(CONTROL_BYTES));
  /** How units reach workers: the shared work queue or posted messages, chosen once (see Dispatch). */
  private readonly dispatch: Dispatch;
  private readonly arena: PayloadArena | undefined;
  /** Kernel names by descriptor number; only the module's exports once they are known. */
  private readonly kernels: KernelCatalog;
  readonly metrics = new PoolMetrics();
  /** onSizeLessThan / onEmpty / onIdle. */
  readonly watchers = new QueueWatchers();
  /** User callbacks, run once each step's books are consistent (see Outbox). */
  readonly outbox = new Outbox();
  /** Where every dispatched unit is, and its one settle path. */
  private readonly book: UnitBook;
  private readonly workers: WorkerSet;
  private readonly deadlines = new Deadlines((unit) =>
    this.step(() =>
      this.stopWorkerFor(
        unit,
        new TimeoutError(`Kernel \`${unit.job.kernel}\` ran past its timeout of ${unit.timeout} ms; it was stopped and its worker replaced${itemsOf(unit)}`),
      ),
    ),
  );
  private readonly signalWatches = new WeakMap<AbortSignal, { units: Set<Unit>; onAbort: () => void }>();
  /** holdOpen() calls not yet released. */
  private holds = 0;
  private nextId = 1;
  private waitArmed = false;
  /** Workers are asked to report takes (see reportQueue). */
  private watchingTakes = false;
  private closeFinished = false;

  constructor(private readonly config: SchedulerConfig) {
    this.kernels = new KernelCatalog(config.exports);
    this.slots = new SlotTable((buffer, index) => this.broadcast({ slotPages: [buffer], slotPagesFrom: index }));
    if (config.shared) {
      this.arena = new PayloadArena({
        pageAdded: (id, buffer) => this.broadcast({ arenaPages: [[id, buffer]] }),
        pageForgotten: (id) => this.broadcast({ forgetPages: [id] }),
      });
    }
    this.workers = new WorkerSet(
      {
        transport: config.transport,
        spawnOptions: config.spawnOptions,
        shared: config.shared,
        workers: config.workers,
        minWorkers: config.minWorkers,
        metrics: this.metrics,
      },
      {
        init: (worker) => this.initMessage(worker),
        message: (worker, message) => this.step(() => this.onMessage(worker, message)),
        exit: (worker, exit) => this.step(() => this.onExit(worker, exit)),
      },
    );
    this.book = new UnitBook({ slots: this.slots, arena: this.arena, deadlines: this.deadlines, outbox: this.outbox, workers: this.workers });
    const parts = {
      book: this.book,
      workers: this.workers,
      slots: this.slots,
      kernels: this.kernels,
      maxTasksPerWorker: config.maxTasksPerWorker,
      step: (body: () => void) => this.step(body),
    };
    this.dispatch = config.shared
      ? new RingDispatch(parts, {
          signal: this.signal.buffer as SharedArrayBuffer,
          arena: this.arena!,
          serialize: config.serialize,
          kernelNumber: (name) => this.kernelNumber(name),
          pushed: () => this.armCompletionWait(),
        })
      : new PostedDispatch(parts);
    for (let i = 0; i < config.minWorkers; i++) this.workers.spawn();
  }

  // ---- submitting ----------------------------------------------------------------------------------------

  /** Queues one task. Throws TypeError (before anything is queued) for arguments no worker could receive. */
  apply(kernel: string, args: unknown[], options: ApplyOptions, resources?: JobResources): ApplyJob {
    this.checkRoom(1);
    const encoded = this.dispatch.encode(args, NAME_ARGS);
    const job = new ApplyJob(this.broken ? -1 : this.slots.allocate(1), kernel, resources, options.callback, options.errorCallback);
    const unit = new Unit(this.takeId(), job, args, -1, false, options.timeout, encoded, options.priority ?? 0);
    this.outbox.enter();
    try {
      if (options.signal) this.watchSignal(options.signal, job, [unit]);
      ONE_UNIT[0] = unit; // no array per task: enqueue() keeps no reference to its argument
      this.enqueue(ONE_UNIT);
      ONE_UNIT[0] = undefined;
    } finally {
      this.outbox.leave();
    }
    return job;
  }

  /** A task refused before it was queued (its AbortSignal had already fired): settled now, its callback deferred. */
  rejected(kernel: string, options: ApplyOptions, error: Error): ApplyJob {
    const job = new ApplyJob(-1, kernel, undefined, options.callback, options.errorCallback);
    job.abort(error, this.outbox);
    return job;
  }

  /** Queues a map's chunks; one job for all of them. */
  map(request: MapRequest): MapJob {
    this.checkRoom(request.chunks.length);
    const encoded = request.chunks.map((chunk, index) =>
      chunk instanceof Float64Array
        ? undefined
        : this.dispatch.encode(chunk, (item) => `items[${(request.firstItem ?? 0) + index * request.chunksize + item}]`, true),
    );
    const job = new MapJob(
      request.total === 0 || this.broken ? -1 : this.slots.allocate(request.chunks.length),
      request.kernel,
      request.resources,
      request.total,
      request.chunksize,
      request,
    );
    if (request.total === 0) {
      job.finishEmpty(this.outbox);
      return job;
    }
    const priority = request.priority ?? 0;
    const units = request.chunks.map((chunk, index) => new Unit(this.takeId(), job, chunk, index, request.star, request.timeout, encoded[index], priority));
    this.book.trackMap(job, units);
    this.outbox.enter();
    try {
      if (request.signal) this.watchSignal(request.signal, job, units);
      this.enqueue(units);
    } finally {
      this.outbox.leave();
    }
    return job;
  }

  /** Backpressure: refuses, before anything is queued, a submission that would take the queue past maxQueued. */
  private checkRoom(units: number): void {
    const max = this.config.maxQueued;
    if (max === Infinity) return;
    const queued = this.queuedUnits;
    if (queued + units > max) throw new QueueFullError({ maxQueued: max, queued, units });
  }

  private takeId(): number {
    const id = this.nextId;
    this.nextId = this.nextId >= 0x7ffffffe ? 1 : this.nextId + 1;
    return id;
  }

  private enqueue(units: ReadonlyArray<Unit | undefined>): void {
    this.book.admit(units as Unit[]);
    if (this.broken) {
      for (const unit of units as Unit[]) this.book.failQueued(unit, this.broken);
      return;
    }
    // A kernel the module does not export fails here, and its name is not kept (units of one call share a job).
    const refused = this.kernels.refusal(units[0]!.job.kernel);
    if (refused) {
      for (const unit of units as Unit[]) this.book.failQueued(unit, refused);
      return;
    }
    this.dispatch.enqueue(units as Unit[]);
    this.setBusy(true);
    this.replaceIfNeeded();
    this.dispatch.flush();
    this.reportQueue();
  }

  private kernelNumber(name: string): number {
    return this.kernels.numberOf(name, (added, index) => this.broadcast({ kernels: [added], kernelsFrom: index }));
  }

  /** A worker loaded the module: from now on only its exports are kept, and names that are not are forgotten. */
  private learnExports(exports: string[]): void {
    const forgotten = this.kernels.learnExports(exports);
    if (forgotten.length > 0) this.broadcast({ forgetKernels: forgotten });
  }

  private broadcast(catalog: Catalog): void {
    const message: MainToWorker = { type: 'catalog', ...catalog };
    this.workers.post(message);
    this.dispatch.wake();
  }

  // ---- cancelling ----------------------------------------------------------------------------------------

  /**
   * Cancels `units` wherever they are, each failed with `error(started)`. Queued ones are dropped; untaken entries
   * of the shared queue leave it at once (so `size` and `maxQueued` stop counting them, and a map chunk, whose
   * slot is shared by the whole map, is never run); an apply a worker took but has not started loses its slot
   * to the cancel; a unit a worker is running is stopped with its worker when `stopRunning`, else it finishes
   * and its value is dropped.
   */
  cancel(units: readonly Unit[], error: (started: boolean) => Error, stopRunning = true): void {
    const untaken = new Set<Unit>();
    for (const unit of units) if (!unit.settled && unit.place === Place.SHARED) untaken.add(unit);
    const withdrawn = this.dispatch.withdraw(untaken);
    for (const unit of units) {
      if (unit.settled) continue;
      if (withdrawn.has(unit)) {
        this.book.failQueued(unit, error(false)); // in no queue now
        continue;
      }
      if (unit.place === Place.QUEUED) {
        this.dispatch.remove(unit);
        this.book.failQueued(unit, error(false));
        continue;
      }
      // Win the slot before a worker claims it (the worker then skips it), or stop the worker that already has.
      if (this.dispatch.tryCancelTaken(unit)) {
        this.book.failHere(unit, error(false));
        continue;
      }
      if (stopRunning) this.stopWorkerFor(unit, error(true));
    }
    this.dispatch.flush();
    this.afterActivity(); // counts changed: watchers, and close() may be done now
  }

  /**
   * Cancels every unit of a map not yet settled and settles the map with `error` at once (an imap iterator was
   * left early, or its signal fired). Units a worker is running are stopped when `stopRunning`; else they
   * finish and their values are dropped.
   */
  cancelJob(job: Job, error: Error, stopRunning = false): void {
    this.step(() => {
      const units = this.book.unitsOf(job);
      if (units) this.cancel(units, () => error, stopRunning);
      job.abort(error, this.outbox);
      this.book.release(job);
    });
  }

  /**
   * Keeps close() from finishing until the returned function is called (an imap that still has input to read
   * submits more as its loop goes on). Calling it again does nothing.
   */
  holdOpen(): () => void {
    this.holds++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.holds--;
      this.finishCloseIfDone();
    };
  }

  /**
   * One `abort` listener per AbortSignal, however many tasks share it (a server may pass one signal to thousands):
   * each job's units leave the signal's set as it settles, and the listener goes with the last one.
   */
  private watchSignal(signal: AbortSignal, job: Job, jobUnits: readonly Unit[]): void {
    let watch = this.signalWatches.get(signal);
    if (!watch) {
      const units = new Set<Unit>();
      const onAbort = (): void =>
        this.step(() => {
          this.signalWatches.delete(signal);
          const cause = signal.reason === undefined ? undefined : { cause: signal.reason };
          this.cancel([...units], (started) =>
            started
              ? new CancelledError('The task was cancelled by its AbortSignal while running; its worker was stopped', cause)
              : new CancelledError('The task was cancelled by its AbortSignal before it started', cause),
          );
        });
      watch = { units, onAbort };
      this.signalWatches.set(signal, watch);
      signal.addEventListener('abort', onAbort, { once: true });
    }
    const { units, onAbort } = watch;
    for (const unit of jobUnits) units.add(unit);
    job.whenSettled(() => {
      for (const unit of jobUnits) units.delete(unit);
      if (units.size === 0 && this.signalWatches.get(signal) === watch) {
        this.signalWatches.delete(signal);
        signal.removeEventListener('abort', onAbort);
      }
    });
  }

  // ---- completions ---------------------------------------------------------------------------------------

  /** Takes in every completion already published, and refills the shared queue with the room they freed. */
  private drain(): void {
    let needMessages = false;
    for (const worker of this.workers.live) {
      if (!worker.completions?.unread) continue;
      const read = this.readCompletions(worker);
      if (read < 0) needMessages = true;
    }
    if (needMessages) this.workers.drainMessages();
    this.dispatch.refill();
    this.afterActivity();
  }

  /** Reads a worker's completions; negative when one of them said its value comes by message. */
  private readCompletions(worker: WorkerNode): number {
    const now = performance.now(); // the metrics' clock; start times are epoch ms, comparable across threads
    let byMessage = false;
    const read = worker.completions!.read((id, outcome, startedAt, runMs) => {
      if (outcome === Outcome.MESSAGE) byMessage = true;
      this.completed(id, outcome, startedAt, runMs, worker, now);
    });
    this.dispatch.completed(read);
    if (read > 0) this.workers.proved(worker); // it started: its death later is not a start-up crash
    return byMessage ? -1 : read;
  }

  private completed(id: number, outcome: number, startedAt: number, runMs: number, worker: WorkerNode, now: number): void {
    const unit = this.book.get(id);
    if (!unit) return;
    if (outcome !== Outcome.SKIPPED) {
      worker.markProvedAlive();
      this.recordTimes(unit, worker, startedAt, runMs, now);
    }
    if (unit.awaitingCompletion) {
      this.book.completionDone(unit, false);
      return;
    }
    if (unit.place !== Place.SHARED) return;
    if (outcome === Outcome.NUMBER) this.book.settle(unit, true, this.slots.numberValue(unit.job.slot));
    else if (outcome === Outcome.IN_PLACE) this.book.settle(unit, true, this.arenaNumbers(unit));
    this.book.giveBack(unit);
  }

  /** A unit's run and wait time and its worker's busy time, from its completion entry or its posted outcome. */
  private recordTimes(unit: Unit, worker: WorkerNode, startedAt: number, runMs: number, now: number): void {
    this.metrics.recordRun(runMs, now);
    this.metrics.recordWait(Math.max(0, ((clockUsOfEpoch(startedAt) - unit.submittedUs) | 0) / 1000), now);
    this.metrics.reportBusy(worker.serial, runMs, now);
  }

  private arenaNumbers(unit: Unit): Float64Array {
    const bytes = this.arena!.view(unit.block!);
    return new Float64Array(bytes.buffer, bytes.byteOffset, unit.work.length).slice();
  }

  /** Wakes this thread (Atomics.waitAsync) when a worker publishes a completion while units are in shared memory. */
  private armCompletionWait(): void {
    if (this.waitArmed || this.dispatch.inFlight === 0) return;
    this.waitArmed = true;
    const seen = readPoolSignal(this.signal);
    const wake = (): void => {
      this.waitArmed = false;
      this.step(() => this.drain());
      this.armCompletionWait();
    };
    if (this.workers.hasUnreadCompletions()) {
      queueMicrotask(wake);
      return;
    }
    const result = waitPoolSignalAsync(this.signal, seen);
    if (result) void result.then(wake);
    else setTimeout(wake, 1);
  }

  private onMessage(worker: WorkerNode, message: WorkerToMain): void {
    switch (message.type) {
      case 'result':
      case 'error': {
        this.workers.proved(worker);
        const unit = this.book.get(message.id);
        if (!unit) break;
        if (message.runMs !== undefined) this.recordTimes(unit, worker, message.startedAt!, message.runMs, performance.now());
        this.dispatch.countDownPosted(unit);
        if (message.type === 'result') this.book.settle(unit, true, message.value);
        else this.book.settle(unit, false, toTaskError(unit.job.kernel, message.error));
        // The worker posts a value only once the kernel is done with the unit's memory, so its blocks can go
        // now; a shared unit's room in the queue is still counted by its completion entry, which follows.
        this.book.giveBack(unit, unit.place === Place.SHARED);
        break;
      }
      case 'done': {
        this.workers.proved(worker);
        const now = performance.now();
        for (let i = 0; i < message.ids.length; i++) {
          const unit = this.book.get(message.ids[i]);
          if (!unit || unit.place !== Place.POSTED) continue;
          if (message.runMs[i] >= 0) this.recordTimes(unit, worker, message.startedAt[i], message.runMs[i], now);
          if (!unit.settled && this.slots.state(unit.job.slot) === SlotState.NUMBER) this.book.settle(unit, true, this.slots.numberValue(unit.job.slot));
          this.book.giveBack(unit);
        }
        break;
      }
      case 'started': {
        const unit = this.book.get(message.id);
        if (unit && !unit.settled && unit.timeout !== undefined) this.deadlines.start(unit, unit.timeout);
        return;
      }
      case 'retired':
        if (worker.gone) return; // stopped for a timeout or a cancel: already let go
        worker.markRetiring();
        this.drain();
        this.retire(worker);
        return;
      case 'idle':
        if (this.workers.retireIfSpare(worker)) this.dispatch.wake(); // a parked worker sees it is stopped
        return;
      case 'closing':
        return; // the transport reports it as the worker's exit
      case 'ready':
        worker.markReady();
        this.tellReadyWaiters();
        break; // afterActivity: a unit waiting for a free worker may go to it now
      case 'init-failed':
        this.breakPool(toTaskError(this.config.initializer ?? '(module)', message.error));
        return;
      case 'exports':
        this.learnExports(message.kernels);
        return;
    }
    this.afterActivity();
  }

  private afterActivity(): void {
    this.dispatch.postWaiting();
    if (this.book.size === 0 && this.dispatch.waiting === 0) {
      this.setBusy(false);
      this.finishCloseIfDone();
    }
    this.reportQueue();
  }

  /**
   * Tells onSizeLessThan/onEmpty/onIdle waiters the counts (nothing to do, in O(1), when nobody waits). While a
   * size waiter waits on entries only a worker's take can move, workers are asked to say when they take one.
   */
  private reportQueue(): void {
    const watchers = this.watchers;
    if (!watchers.watching) {
      if (this.watchingTakes) this.watchTakes(false);
      return;
    }
    watchers.changed(this.queuedUnits, this.unsettledInWorkers);
    const wantTakes = watchers.watchingSize && this.dispatch.untaken > 0;
    if (wantTakes !== this.watchingTakes) this.watchTakes(wantTakes);
  }

  private watchTakes(on: boolean): void {
    this.watchingTakes = on;
    this.dispatch.watchTakes(on);
    if (on) this.armCompletionWait();
  }

  /** Pool.onSizeLessThan / onEmpty / onIdle: the watchers, told the counts as they are now. */
  onSizeLessThan(limit: number): Promise<void> {
    this.watchers.changed(this.queuedUnits, this.unsettledInWorkers);
    const promise = this.watchers.onSizeLessThan(limit);
    this.reportQueue();
    return promise;
  }

  onIdle(): Promise<void> {
    this.watchers.changed(this.queuedUnits, this.unsettledInWorkers);
    return this.watchers.onIdle();
  }

  // ---- synchronous reading (ResultSource) ----------------------------------------------------------------

  finished(job: Job): boolean {
    return job.slot >= 0 && this.slots.isReady(job.slot);
  }

  collect(): void {
    this.pump();
  }

  /** Everything a caller that never yields needs: completions, messages, dead workers, deadlines. */
  pump(): void {
    this.outbox.enter();
    try {
      this.workers.drainMessages(); // `started` notices, values by message
      this.drain();
      for (const worker of [...this.workers.live]) {
        if (worker.exiting && !worker.gone) this.workerGone(worker, { code: worker.exitCode, error: undefined });
      }
      if (this.deadlines.size > 0) this.deadlines.enforce();
      this.dispatch.postIfScheduled();
    } finally {
      this.outbox.leave();
    }
  }

  /** One step of bookkeeping from outside (a message, a timer, a signal): user code it settles runs after it. */
  private step(body: () => void): void {
    this.outbox.enter();
    try {
      body();
    } finally {
      this.outbox.leave();
    }
  }

  block(job: Job, timeout: number | undefined, needValue: boolean): boolean {
    this.pump();
    if (!job.pending) return true;
    const transport = this.config.transport;
    if (!transport.canBlock) {
      throw new TypeError(
        "getSync()/waitSync() cannot block this thread (a browser page's main thread does not allow Atomics.wait, and without cross-origin isolation nothing can be shared to wait on); use `await result.get()` or `await result.wait()` instead",
      );
    }
    const deadline = timeout === undefined ? Infinity : performance.now() + timeout;
    let spinUntil = 0;
    for (;;) {
      const seen = readPoolSignal(this.signal);
      this.pump();
      if (!job.pending) return true;
      // Finished but unsettled: the value comes by message (this thread cannot read one while it blocks), unless a
      // unit's completion entry is still to come (its worker counted down and is writing it): then wait for it.
      if (!transport.readsMessagesSync && this.finished(job) && job.inShared === 0) {
        if (!needValue) return true;
        throw new TypeError(
          'getSync() can only return a number here: this result travels by message, which a browser thread cannot read while it blocks. Use `await result.get()` (waitSync() works for any result)',
        );
      }
      const left = deadline - performance.now();
      if (left <= 0) return false;
      // Spin briefly first: a short task ends within microseconds, and waking a parked thread costs tens of
      // microseconds on a busy VM. Then sleep until any worker finishes a unit, bounded so deadlines of
      // running tasks are enforced.
      if (spinUntil === 0) spinUntil = performance.now() + SPIN_BEFORE_PARK_MS;
      if (performance.now() < spinUntil) continue;
      waitPoolSignal(this.signal, seen, Math.max(0, Math.min(left, this.deadlines.untilNext(), MAX_PARK_MS)));
    }
  }

  // ---- workers: start, stop, crash -----------------------------------------------------------------------

  /** What a new worker is told: where the shared memory is, the catalog so far, and its limits. */
  private initMessage(worker: WorkerNode): InitMessage {
    return {
      type: 'init',
      module: this.config.module,
      control: worker.control,
      signal: this.signal.buffer as SharedArrayBuffer,
      ring: this.dispatch.ringOf(worker),
      serial: worker.serial,
      reportExports: !this.kernels.exportsKnown || undefined,
      catalog: { kernels: this.kernels.names(), slotPages: [...this.slots.pages], arenaPages: this.arena?.pages() },
      initializer: this.config.initializer,
      initargs: this.config.initargs,
      maxUnits: this.config.maxTasksPerWorker,
      maxMemoryMb: this.config.maxWorkerMemory === Infinity ? undefined : this.config.maxWorkerMemory,
      idleTimeout: this.config.minWorkers < this.config.workers ? this.config.idleTimeout : undefined,
    };
  }

  private onExit(worker: WorkerNode, exit: WorkerExit): void {
    // Only now is the thread surely gone: repair a queue lock it may have died holding.
    this.dispatch.workerExited(worker);
    this.config.onWorkerExit?.(worker.serial);
    if (!worker.gone) this.workerGone(worker, exit);
    worker.markExited();
  }

  /** A worker is finished with: take in what it completed, blame the unit it was inside, requeue what it never started. */
  private workerGone(worker: WorkerNode, exit: WorkerExit, stopped?: Unit, retired = false): void {
    if (!this.workers.remove(worker)) return;
    worker.handle.drainSync();
    if (worker.completions) this.readCompletions(worker);
    let blamed = false;
    if (stopped) {
      // Its block stays allocated until the thread has exited: it may still be writing for a moment.
      void worker.exited.then(() => this.leftSharedMemory(stopped));
    } else {
      const running = this.dispatch.runningOn(worker);
      const suspect = this.book.get(running > 0 ? running : worker.lastTaken);
      if (suspect?.awaitingCompletion && running <= 0) {
        // It died between posting the value and publishing the completion: the value is in, the room is free.
        this.book.completionDone(suspect, true);
        this.dispatch.forget();
      } else if (
        suspect &&
        (suspect.place === Place.POSTED ? suspect.worker === worker.serial : suspect.place === Place.SHARED && (running > 0 || worker.lastTaken === suspect.id))
      ) {
        if (running > 0 || suspect.place === Place.SHARED) {
          blamed = true;
          // An apply whose number is in its slot succeeded, whether or not the worker lived to count it down.
          if (suspect.isApply && this.slots.state(suspect.job.slot) === SlotState.NUMBER) this.book.settleFromSlot(suspect);
          else this.book.failHere(suspect, crashError(suspect.job.kernel, exit, itemsOf(suspect)));
          this.leftSharedMemory(suspect);
        }
      }
    }
    // Posted units it never finished go back to the front of the queue; finished ones settle from their slot.
    const requeue: Unit[] = [];
    const posted = worker.takePosted();
    for (const unit of posted) {
      if (unit.settled) continue;
      if (unit.isApply && this.slots.state(unit.job.slot) === SlotState.NUMBER) this.book.settle(unit, true, this.slots.numberValue(unit.job.slot));
      else requeue.push(unit);
    }
    for (const unit of posted) if (unit.settled) this.book.giveBack(unit);
    for (const unit of requeue) this.book.requeue(unit);
    this.dispatch.requeuePosted(requeue);
    // A death the pool caused (a stopped unit), that a unit explains (blamed), or a retirement is no start-up crash.
    const crashLoop = this.workers.died(worker, exit, !stopped && !blamed && !retired);
    if (crashLoop) {
      this.breakPool(crashLoop);
      return;
    }
    this.replaceIfNeeded();
    this.dispatch.flush();
    this.afterActivity();
  }

  /** A unit taken from the shared queue that will never publish a completion: its room is free again. */
  private leftSharedMemory(unit: Unit): void {
    if (unit.place === Place.SHARED) this.dispatch.forget();
    this.book.giveBack(unit);
  }

  private workRemains(): boolean {
    return this.holds > 0 || this.book.size > 0 || this.dispatch.waiting > 0;
  }

  /**
   * Starts workers up to what the work needs: at least minWorkers while open, up to `workers` under load, and
   * after close() as many as the remaining work needs (retired or crashed workers are replaced until it is done).
   */
  private replaceIfNeeded(): void {
    // O(1) in the common case (every worker is up): this runs on every submission.
    if (this.broken || this.state === 'terminated' || this.workers.full) return;
    this.workers.grow(this.queuedUnits + this.runningUnits, this.state === 'open');
  }

  /**
   * Fails a running `unit` with `error` and stops its worker. If the unit is no longer running (it finished
   * a moment ago), nothing happens: its result is already on the way.
   */
  private stopWorkerFor(unit: Unit, error: Error): void {
    if (unit.settled) return;
    const worker = this.dispatch.workerRunning(unit);
    if (!worker) {
      this.pump();
      if (!unit.settled && unit.place === Place.QUEUED) this.book.failQueued(unit, error);
      return;
    }
    if (!this.dispatch.stopFor(worker, unit)) {
      this.pump();
      return;
    }
    this.book.failHere(unit, error);
    worker.markStoppedFor(unit.id);
    void worker.handle.terminate();
    // No need to wait for the thread to exit: with RUNNING stopped it can take nothing else.
    this.workerGone(worker, { code: undefined, error: undefined }, unit);
  }

  /** Lets a worker go that finished its last unit and said so: a retirement, never counted as a crash. */
  private retire(worker: WorkerNode): void {
    this.workerGone(worker, { code: 0, error: undefined }, undefined, true);
    void worker.handle.terminate();
  }

  /** Pool.create: resolves once minWorkers workers have loaded the module; rejects if the pool breaks first. */
  workersReady(): Promise<void> {
    const ready = this.workers.whenReady();
    this.tellReadyWaiters();
    return ready;
  }

  private tellReadyWaiters(): void {
    const failed = (): Error | undefined =>
      this.broken ?? (this.state === 'terminated' ? new PoolStateError('The pool was terminated before its workers were ready') : undefined);
    if (this.workers.tellReady(failed) && !this.workRemains()) this.setBusy(false);
  }

  private breakPool(error: Error): void {
    if (this.broken) return;
    this.broken = error;
    this.tellReadyWaiters();
    void this.failEverything(() => error);
  }

  /** Fails every queued and dispatched unit, and stops every worker; blocks are freed once they have exited. */
  private failEverything(error: (started: boolean) => Error): Promise<void> {
    // Stop every worker first: from here on none takes a unit or counts one down, so what each was inside is
    // known, and a completion it published before the stop settles its unit with the value it computed.
    const started = new Set<number>();
    for (const worker of this.workers.live) {
      const was = worker.stop();
      if (was > 0) started.add(was);
      if (worker.lastTaken > 0) started.add(worker.lastTaken);
    }
    this.drain();
    for (const unit of this.dispatch.abandon()) this.book.failQueued(unit, error(false));
    const held = this.book.held();
    for (const unit of held) this.book.failHere(unit, error(unit.place === Place.POSTED || started.has(unit.id)));
    this.deadlines.clear();
    const workers = this.workers.stopAll();
    this.reportQueue(); // nothing is queued or running any more: every watcher resolves
    // An armed Atomics.waitAsync would hold this scheduler and its buffers for ever (nothing notifies it now).
    this.releaseCompletionWait();
    return Promise.all(workers.map((w) => w.exited)).then(() => {
      for (const unit of held) {
        if (unit.awaitingCompletion) this.book.completionDone(unit, true);
        else this.book.giveBack(unit);
      }
      this.setBusy(false);
      this.finishCloseIfDone();
    });
  }

  // ---- lifecycle -----------------------------------------------------------------------------------------

  private setBusy(busy: boolean): void {
    this.workers.setBusy(busy);
  }

  close(): void {
    if (this.state !== 'open') return;
    this.state = 'closing';
    if (!this.workRemains()) this.finishClose();
  }

  /** Ends a pending Atomics.waitAsync on the pool signal: its wake finds nothing to do and does not re-arm. */
  private releaseCompletionWait(): void {
    if (this.waitArmed) releasePoolWait(this.signal);
  }

  private finishClose(): void {
    if (this.closeFinished) return;
    this.closeFinished = true;
    this.releaseCompletionWait();
    this.workers.stopAll();
  }

  private finishCloseIfDone(): void {
    if (this.state === 'closing' && !this.workRemains()) this.finishClose();
  }

  async terminate(): Promise<void> {
    if (this.state !== 'terminated') {
      this.state = 'terminated';
      this.tellReadyWaiters();
      this.closeFinished = true;
      this.outbox.enter();
      let stopped: Promise<void>;
      try {
        stopped = this.failEverything((started) => new CancelledError(`The pool was terminated before the task ${started ? 'finished' : 'started'}`));
      } finally {
        this.outbox.leave();
      }
      await stopped;
    }
    return this.join();
  }

  /** Resolves once every worker this pool started has exited, replacements included. */
  async join(): Promise<void> {
    if (this.state === 'open') throw new PoolStateError('join() was called before close() or terminate(); call one of them first');
    await this.workers.allExited();
  }

  // ---- numbers for stats() -------------------------------------------------------------------------------

  /** The task module's kernel names, once known (see KernelCatalog); undefined before. */
  get kernelNames(): readonly string[] | undefined {
    return this.kernels.exports;
  }

  get workerCount(): number {
    return this.workers.count;
  }

  /** Units waiting for a worker: in a queue here, or in the shared queue and not yet taken. */
  get queuedUnits(): number {
    return this.dispatch.queued;
  }

  /**
   * Units a worker holds and has not finished: read from shared memory where the truth is there (entries taken,
   * less completions written, read or not), so a unit stops counting the moment it finishes, even while this
   * thread is busy. Units posted by message count until their worker's notice is read.
   */
  get runningUnits(): number {
    return this.workers.postedUnfinished + this.dispatch.takenUnread;
  }

  /**
   * Units handed to workers whose completion this thread has not taken in: onIdle() waits for these too, so
   * that once it resolves every result is settled and its callbacks have run (p-queue's meaning), even where
   * `runningUnits` already reads 0 from shared memory.
   */
  private get unsettledInWorkers(): number {
    return this.workers.postedUnits + this.dispatch.takenUnread;
  }

  get arenaBytes(): number {
    return this.arena?.byteLength ?? 0;
  }

  /** Run and wait time percentiles and utilisation over the metrics window. */
  timings(): MetricsStats {
    return this.metrics.snapshot();
  }
}

/** " (items 8-15)" for a map chunk (the items its timeout or crash hit), '' for an apply task. */
function itemsOf(unit: Unit): string {
  return unit.job instanceof MapJob ? unit.job.itemsOf(unit) : '';
}

function crashError(kernel: string, exit: WorkerExit, items = ''): WorkerCrashError {
  const reason = exit.error instanceof Error ? `: ${exit.error.message}` : exit.code !== undefined ? ` with exit code ${exit.code}` : '';
  return new WorkerCrashError(`The worker running kernel \`${kernel}\` died${reason}; the worker was replaced and other tasks go on${items}`, {
    kernel,
    exitCode: exit.code,
    cause: exit.error,
  });
}
