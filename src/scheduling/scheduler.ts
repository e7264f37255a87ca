import { CONTROL_BYTES, Outcome, PoolCell, RING_MASK, SlotState } from '../abi/layout.js';
import { PayloadArena } from '../abi/payload-arena.js';
import type { Catalog, MainToWorker, ModuleSpec, WorkerToMain } from '../abi/protocol.js';
import { allocateFlagBuffer } from '../abi/shared-buffer.js';
import { SlotTable } from '../abi/slot-table.js';
import { RingProducer, allocateRingBuffers } from '../abi/work-ring.js';
import { CancelledError, PoolStateError, QueueFullError, TimeoutError, WorkerCrashError } from '../errors.js';
import type { ResultSource } from '../result-state.js';
import type { SpawnOptions, Transport, WorkerExit } from '../transport/types.js';
import { Deadlines } from './deadlines.js';
import { fillPayload, isInline, payloadBytes, writeDescriptor } from './descriptor.js';
import { ApplyJob, Job, MapJob, Place, Unit, clockUsOfEpoch, type JobResources, type MapJobOptions } from './jobs.js';
import { KernelCatalog } from './kernel-catalog.js';
import { toTaskError } from './task-error.js';
import { PoolMetrics, type MetricsStats } from './metrics.js';
import { PriorityQueue } from './priority-queue.js';
import { QueueWatchers } from './queue-watchers.js';
import { Outbox } from './outbox.js';
import type { WorkerNode } from './worker-node.js';
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

/** Marks a payload that only postMessage can carry. */
const BY_MESSAGE = 'by-message';

/** Without shared memory, at most this many units are posted to one worker ahead of its work. */
const MAX_POSTED_PER_WORKER = 32;
/** How long getSync()/waitSync() poll before parking in Atomics.wait. */
const SPIN_BEFORE_PARK_MS = 0.05;
/** A blocked thread wakes at least this often (a worker killed from outside sets no flag). */
const MAX_PARK_MS = 50;

/**
 * The one owner of task state: units, their places, every worker's books, and the one settle path. `Pool`
 * validates and calls its verbs (apply, map, cancel via signals, close, terminate, join); AsyncResults read
 * through it as their ResultSource. Runtime-agnostic: it only sees a Transport.
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
  private readonly ring: RingProducer | undefined;
  /** Set once failEverything() settled every unit: what the shared queue's counters still show is nobody's work. */
  private queueAbandoned = false;
  private readonly arena: PayloadArena | undefined;
  /** Kernel names by descriptor number; only the module's exports once they are known. */
  private readonly kernels: KernelCatalog;
  /** Units waiting for room in the shared queue, and units waiting to be posted: by priority, with aging. */
  private readonly waitingShared = new PriorityQueue<Unit>();
  private readonly waitingPosted = new PriorityQueue<Unit>();
  /** The unit behind each untaken entry of the shared queue (by producer index), to take entries back. */
  private readonly ringUnits: Array<Unit | undefined> = [];
  /** Entries below this producer index no longer hold their unit in ringUnits (see forgetTaken). */
  private ringForgotten = 0;
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
  private postScheduled = false;
  private closeFinished = false;

  constructor(private readonly config: SchedulerConfig) {
    this.kernels = new KernelCatalog(config.exports);
    this.slots = new SlotTable((buffer, index) => this.broadcast({ slotPages: [buffer], slotPagesFrom: index }));
    if (config.shared) {
      this.ring = new RingProducer(allocateRingBuffers(this.signal.buffer as SharedArrayBuffer));
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
    for (let i = 0; i < config.minWorkers; i++) this.workers.spawn();
  }

  // ---- submitting ----------------------------------------------------------------------------------------

  /** Queues one task. Throws TypeError (before anything is queued) for arguments no worker could receive. */
  apply(kernel: string, args: unknown[], options: ApplyOptions, resources?: JobResources): ApplyJob {
    this.checkRoom(1);
    const encoded = this.encodeIfNeeded(args, NAME_ARGS);
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
        : this.encodeIfNeeded(chunk, (item) => `items[${(request.firstItem ?? 0) + index * request.chunksize + item}]`, true),
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

  /**
   * Serializes a payload for the shared queue when it cannot travel inline. Undefined when it need not be
   * (inline numbers) or cannot be (no serializer); BY_MESSAGE for values only postMessage can carry (a
   * SharedArrayBuffer, which it shares instead of copying). Throws TypeError, naming the element, for a value no
   * worker could receive at all (a function, a symbol...).
   */
  private encodeIfNeeded(value: unknown[], where: (item: number) => string, isChunk = false): Uint8Array | typeof BY_MESSAGE | undefined {
    const serialize = this.config.serialize;
    if (!this.ring || !serialize || (!isChunk && isInline(value))) return undefined;
    try {
      return serialize(value);
    } catch (error) {
      try {
        structuredClone(value);
        return BY_MESSAGE;
      } catch {
        // Name the first element that cannot be sent, so the message says what to fix.
        let at = -1;
        for (let i = 0; i < value.length && at < 0; i++) {
          try {
            structuredClone(value[i]);
          } catch {
            at = i;
          }
        }
        const name = at >= 0 ? (isChunk ? where(at) : `${where(0)}[${at}]`) : where(0);
        throw new TypeError(
          `Expected \`${name}\` to be a value a worker can receive (numbers, strings, plain objects, arrays, typed arrays, Maps, Sets...), but it cannot be copied: ${(error as Error)?.message ?? String(error)}`,
          { cause: error },
        );
      }
    }
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
    for (const unit of units as Unit[]) unit.job.outstanding++;
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
    const ring = this.ring;
    for (const unit of units as Unit[]) {
      unit.viaRing =
        ring !== undefined &&
        unit.encoded !== BY_MESSAGE &&
        (unit.encoded !== undefined || (unit.isApply ? isInline(unit.work as unknown[]) : unit.work instanceof Float64Array));
    }
    // A unit that outranks work already in the shared queue goes before it: take the untaken entries back and
    // push again in priority order (one pass over them; the shared queue itself stays a FIFO).
    if (units[0]!.viaRing) this.makeWayFor(units[0]!.priority);
    let direct = 0;
    for (const unit of units as Unit[]) {
      if (!unit.viaRing) this.waitingPosted.push(unit);
      // Nothing waits before it and there is room: straight into the shared queue, no stop in the waiting queue.
      else if (this.waitingShared.length === 0 && ring!.hasRoom) {
        this.pushToRing(unit);
        direct++;
      } else this.waitingShared.push(unit);
    }
    if (direct > 0) this.armCompletionWait();
    this.setBusy(true);
    this.replaceIfNeeded();
    this.dispatch();
    this.reportQueue();
  }

  /** Moves queued units where workers can get them: into the shared queue (as far as it has room) and by message. */
  private dispatch(): void {
    if (this.waitingShared.length > 0) this.pushShared();
    if (this.waitingPosted.length > 0) this.postSoon();
  }

  private pushShared(): void {
    const ring = this.ring!;
    let pushed = 0;
    while (this.waitingShared.length > 0 && ring.hasRoom) {
      const unit = this.waitingShared.shift()!;
      if (unit.settled) {
        this.book.giveBack(unit); // cancelled while queued
        continue;
      }
      if (this.waitingShared.lastShiftAged) unit.aged = true;
      // Queued before the module's exports were known, naming none of them: fails instead of adding its name.
      const refused = this.kernels.refusal(unit.job.kernel);
      if (refused) {
        this.book.failQueued(unit, refused);
        continue;
      }
      this.pushToRing(unit);
      pushed++;
    }
    if (pushed > 0) this.armCompletionWait();
  }

  /** Writes one unit into the shared queue and publishes it: the first unit of a burst starts while the rest are written. */
  private pushToRing(unit: Unit): void {
    const ring = this.ring!;
    let block = unit.block;
    if (!block && (payloadBytes(unit) > 0 || !unit.isApply)) {
      block = this.arena!.allocate(payloadBytes(unit));
      fillPayload(this.arena!.view(block), unit);
      unit.block = block;
    }
    const kernel = this.kernelNumber(unit.job.kernel);
    this.ringUnits[ring.pushed & RING_MASK] = unit;
    writeDescriptor(ring.views, ring.nextEntry(), unit, kernel, block);
    this.book.placeShared(unit);
    ring.publish(1);
  }

  /**
   * Takes back the untaken entries at the end of the shared queue that `priority` outranks, into the waiting
   * queue, in their order, as the oldest there. Entries that got in by aging, or that were taken back
   * MAX_RETRACTIONS times already, stay: otherwise a stream of higher priorities could push them back for ever.
   */
  private makeWayFor(priority: number): void {
    const ring = this.ring!;
    const taken = ring.taken;
    let from = ring.pushed;
    while (from > taken) {
      const unit = this.ringUnits[(from - 1) & RING_MASK]!;
      if (unit.priority >= priority || unit.aged) break;
      from--;
    }
    if (from === ring.pushed) return;
    const back = this.retractFrom(from);
    if (!back) return; // LOCK held by a dead worker: this once, the new unit waits its turn
    for (const unit of back) unit.noteRetraction();
    this.waitingShared.unshiftAll(back);
  }

  /**
   * Takes the untaken entries of the shared queue from producer index `from` on back out of it, in their order
   * (see RingProducer.retractFrom): they are queued here again, each keeping its payload block. Undefined if the
   * queue's lock could not be had.
   */
  private retractFrom(from: number): Unit[] | undefined {
    const range = this.ring!.retractFrom(from);
    if (!range) return undefined;
    const back: Unit[] = [];
    for (let at = range[0]; at < range[1]; at++) {
      const unit = this.ringUnits[at & RING_MASK]!;
      this.ringUnits[at & RING_MASK] = undefined;
      this.book.requeue(unit);
      back.push(unit);
    }
    return back;
  }

  /**
   * Cancelled units still untaken in the shared queue leave it now, so `size` and `maxQueued` stop counting
   * them at once (a busy worker might not reach them for a long time): one retraction from the first of them,
   * the others pushed again in their order. Returns the units withdrawn; the rest were taken meanwhile.
   */
  private withdrawFromRing(cancelled: Set<Unit>): Set<Unit> {
    const withdrawn = new Set<Unit>();
    const ring = this.ring;
    if (!ring) return withdrawn;
    let from = -1;
    for (let at = ring.taken; at < ring.pushed && from < 0; at++) if (cancelled.has(this.ringUnits[at & RING_MASK]!)) from = at;
    if (from < 0) return withdrawn;
    const back = this.retractFrom(from);
    if (!back) return withdrawn;
    const requeue: Unit[] = [];
    for (const unit of back) {
      if (cancelled.has(unit)) withdrawn.add(unit);
      else requeue.push(unit);
    }
    this.waitingShared.unshiftAll(requeue);
    return withdrawn;
  }

  /** Drops the shared queue's references to units workers have taken: the books of a taken unit are `units`. */
  private forgetTaken(): void {
    const taken = this.ring!.taken;
    while (this.ringForgotten - taken < 0) this.ringUnits[this.ringForgotten++ & RING_MASK] = undefined;
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
    this.ring?.wakeAll();
  }

  /**
   * The first posted unit of a synchronous run goes at once, so it runs even if the caller then blocks without
   * yielding; the rest of the run is batched into one message per worker at the end of it (a microtask).
   */
  private postSoon(): void {
    if (this.postScheduled) return;
    this.postScheduled = true;
    this.postQueued();
    this.postScheduled = true;
    queueMicrotask(() => {
      if (this.postScheduled) this.step(() => this.postQueued());
    });
  }

  private postQueued(): void {
    this.postScheduled = false;
    if (this.ring) return this.postToFreeWorkers();
    // Without shared memory every unit travels this way: batches, least loaded first: otherwise the first worker takes every unit of a short run while another sits idle.
    const load = (w: WorkerNode): number => w.posted.size + (w.running > 0 ? 1 : 0);
    const active = this.workers.live.filter((w) => !w.retiring && !w.gone).sort((a, b) => load(a) - load(b));
    for (const worker of active) {
      if (this.waitingPosted.length === 0) break;
      let room = Math.min(MAX_POSTED_PER_WORKER - worker.posted.size, Math.ceil(this.waitingPosted.length / active.length));
      const max = this.config.maxTasksPerWorker;
      if (max !== undefined) room = Math.min(room, max - worker.postedCount);
      if (room <= 0) continue;
      const batch: Unit[] = [];
      while (batch.length < room && this.waitingPosted.length > 0) {
        const unit = this.waitingPosted.shift()!;
        if (unit.settled) this.book.giveBack(unit);
        else batch.push(unit);
      }
      if (batch.length > 0) this.post(worker, batch);
    }
  }

  /**
   * With shared memory, a unit that must travel by message (it holds a SharedArrayBuffer) waits in the queue
   * like every other unit, with the same counts and priorities, until a worker is free; then it goes to that
   * worker, one at a time. Workers whose module is loaded come first: a unit posted to one still starting would
   * wait out its start-up while a warm worker idles. Only when no worker is ready do starting ones get one each.
   */
  private postToFreeWorkers(): void {
    // An apply posted earlier is finished once its slot says so, though its notice is unread.
    const finished = (unit: Unit): boolean => unit.isApply && unit.job.slot >= 0 && this.slots.state(unit.job.slot) >= SlotState.NUMBER;
    let free = this.workers.live.filter((w) => !w.retiring && !w.gone && w.isFree(finished));
    if (free.length === 0) return;
    const ready = free.filter((w) => w.ready);
    if (ready.length > 0) free = ready;
    else if (this.workers.live.some((w) => w.ready && !w.gone && !w.retiring)) return; // a ready worker will free up
    for (const worker of free) {
      let unit = this.waitingPosted.shift();
      while (unit?.settled) {
        this.book.giveBack(unit);
        unit = this.waitingPosted.shift();
      }
      if (!unit) return;
      this.post(worker, [unit]);
    }
  }

  private post(worker: WorkerNode, batch: Unit[]): void {
    const message = (unit: Unit) => ({
      id: unit.id,
      slot: unit.job.slot,
      kernel: unit.job.kernel,
      args: unit.isApply ? (unit.work as unknown[]) : undefined,
      items: unit.isApply ? undefined : unit.work,
      star: unit.star || undefined,
      timed: unit.timeout !== undefined || undefined,
    });
    const claim = (unit: Unit) => this.book.placePosted(unit, worker);
    try {
      worker.handle.post({ type: 'run', units: batch.map(message) });
      for (const unit of batch) claim(unit);
    } catch {
      // Something in the batch cannot be cloned: post one at a time, so only the units at fault fail.
      for (const unit of batch) {
        try {
          worker.handle.post({ type: 'run', units: [message(unit)] });
          claim(unit);
        } catch (error) {
          this.book.failQueued(
            unit,
            new TypeError(
              `Expected the ${unit.isApply ? '`args`' : 'items'} of kernel \`${unit.job.kernel}\` to be values a worker can receive, but they cannot be copied: ${(error as Error)?.message ?? String(error)}`,
              { cause: error },
            ),
          );
        }
      }
    }
    // A worker parked in Atomics.wait on the shared queue reads its port only once woken.
    this.ring?.wakeAll();
    const max = this.config.maxTasksPerWorker;
    if (max !== undefined && worker.postedCount >= max && !this.ring) worker.markRetiring();
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
    const withdrawn = this.withdrawFromRing(untaken);
    for (const unit of units) {
      if (unit.settled) continue;
      if (withdrawn.has(unit)) {
        this.book.failQueued(unit, error(false)); // in no queue now
        continue;
      }
      if (unit.place === Place.QUEUED) {
        (unit.viaRing ? this.waitingShared : this.waitingPosted).remove(unit);
        this.book.failQueued(unit, error(false));
        continue;
      }
      // Win the slot before a worker claims it (the worker then skips it), or stop the worker that already has.
      // Without shared memory the worker cannot see a cancelled slot, so stopping it is the only sure way.
      if (unit.isApply && this.config.shared && this.slots.tryCancel(unit.job.slot)) {
        this.book.failHere(unit, error(false));
        continue;
      }
      if (stopRunning) this.stopWorkerFor(unit, error(true));
    }
    this.dispatch();
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
    if (this.ring) this.forgetTaken();
    if (this.waitingShared.length > 0) this.pushShared();
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
    this.ring!.completed(read);
    if (read > 0) this.workers.proved(worker); // it started: its death later is not a start-up crash
    return byMessage ? -1 : read;
  }

  private completed(id: number, outcome: number, startedAt: number, runMs: number, worker: WorkerNode, now: number): void {
    const unit = this.book.get(id);
    if (!unit) return;
    if (outcome !== Outcome.SKIPPED) {
      worker.markProvedAlive();
      this.metrics.recordRun(runMs, now);
      this.metrics.recordWait(Math.max(0, ((clockUsOfEpoch(startedAt) - unit.submittedUs) | 0) / 1000), now);
      this.metrics.reportBusy(worker.serial, runMs, now);
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

  private arenaNumbers(unit: Unit): Float64Array {
    const bytes = this.arena!.view(unit.block!);
    return new Float64Array(bytes.buffer, bytes.byteOffset, unit.work.length).slice();
  }

  /** Wakes this thread (Atomics.waitAsync) when a worker publishes a completion while units are in shared memory. */
  private armCompletionWait(): void {
    if (this.waitArmed || !this.ring || this.queueAbandoned || this.ring.inFlight === 0) return;
    this.waitArmed = true;
    const seen = Atomics.load(this.signal, PoolCell.COMPLETIONS);
    const wake = (): void => {
      this.waitArmed = false;
      this.step(() => this.drain());
      this.armCompletionWait();
    };
    if (this.workers.hasUnreadCompletions()) {
      queueMicrotask(wake);
      return;
    }
    const result = waitAsync(this.signal, PoolCell.COMPLETIONS, seen);
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
        if (!this.config.shared && unit.job.slot >= 0 && !unit.settled) this.slots.completeUnit(unit.job.slot);
        if (message.type === 'result') this.book.settle(unit, true, message.value);
        else this.book.settle(unit, false, toTaskError(unit.job.kernel, message.error));
        // The worker posts a value only once the kernel is done with the unit's memory, so its blocks can go
        // now; a shared unit's room in the queue is still counted by its completion entry, which follows.
        this.book.giveBack(unit, unit.place === Place.SHARED);
        break;
      }
      case 'done': {
        this.workers.proved(worker);
        for (const id of message.ids) {
          const unit = this.book.get(id);
          if (!unit || unit.place !== Place.POSTED) continue;
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
        // Above minWorkers, an idle worker goes. Stopping it (RUNNING 0 → STOPPED) means it takes nothing more;
        // it may still be publishing the unit it just finished, so it is let go only once it answers `retired`.
        if (!worker.retiring && worker.posted.size === 0 && this.workers.active > this.config.minWorkers && worker.stopIfRunning(0)) {
          worker.markRetiring();
          this.ring?.wakeAll();
        }
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
    if (this.waitingPosted.length > 0) this.postSoon();
    if (this.book.size === 0 && this.waitingShared.length === 0 && this.waitingPosted.length === 0) {
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
    const wantTakes = watchers.watchingSize && this.ring !== undefined && !this.queueAbandoned && this.ring.waiting > 0;
    if (wantTakes !== this.watchingTakes) this.watchTakes(wantTakes);
  }

  private watchTakes(on: boolean): void {
    this.watchingTakes = on;
    this.ring!.watchTakes(on);
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
      if (this.postScheduled) this.postQueued();
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
      const seen = Atomics.load(this.signal, PoolCell.COMPLETIONS);
      this.pump();
      if (!job.pending) return true;
      if (!transport.readsMessagesSync && this.finished(job)) {
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
      Atomics.wait(this.signal, PoolCell.COMPLETIONS, seen, Math.max(0, Math.min(left, this.deadlines.untilNext(), MAX_PARK_MS)));
    }
  }

  // ---- workers: start, stop, crash -----------------------------------------------------------------------

  /** What a new worker is told: where the shared memory is, the catalog so far, and its limits. */
  private initMessage(worker: WorkerNode): InitMessage {
    const ring = this.ring;
    return {
      type: 'init',
      module: this.config.module,
      control: worker.control,
      signal: this.signal.buffer as SharedArrayBuffer,
      ring: ring && worker.completions ? { descriptors: ring.buffers.descriptors, completions: worker.completions.buffer } : undefined,
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
    this.ring?.repairAfterDeath(worker.serial, worker.stoppedUnit || worker.running);
    this.config.onWorkerExit?.(worker.serial);
    if (!worker.gone) this.workerGone(worker, exit);
    worker.markExited();
  }

  /** A worker is finished with: take in what it completed, blame the unit it was inside, requeue what it never started. */
  private workerGone(worker: WorkerNode, exit: WorkerExit, stopped?: Unit): void {
    if (!this.workers.remove(worker)) return;
    worker.handle.drainSync();
    if (worker.completions) this.readCompletions(worker);
    let blamed = false;
    if (stopped) {
      // Its block stays allocated until the thread has exited: it may still be writing for a moment.
      void worker.exited.then(() => this.leftSharedMemory(stopped));
    } else {
      const running = this.config.shared ? worker.running : ([...worker.posted.values()].find((u) => !u.settled)?.id ?? 0);
      const suspect = this.book.get(running > 0 ? running : worker.lastTaken);
      if (suspect?.awaitingCompletion && running <= 0) {
        // It died between posting the value and publishing the completion: the value is in, the room is free.
        this.book.completionDone(suspect, true);
        this.ring!.forget();
      } else if (
        suspect &&
        (suspect.place === Place.POSTED ? suspect.worker === worker.serial : suspect.place === Place.SHARED && (running > 0 || worker.lastTaken === suspect.id))
      ) {
        if (running > 0 || suspect.place === Place.SHARED) {
          blamed = true;
          if (suspect.isApply && this.slots.state(suspect.job.slot) === SlotState.NUMBER) {
            // It died between writing the value and counting it down: count down here, or the slot never drains.
            if (!this.slots.isReady(suspect.job.slot)) suspect.job.uncounted++;
            this.book.settle(suspect, true, this.slots.numberValue(suspect.job.slot));
          } else this.book.failHere(suspect, crashError(suspect.job.kernel, exit, itemsOf(suspect)));
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
    this.waitingPosted.unshiftAll(requeue);
    const crashLoop = this.workers.died(worker, exit, !stopped && !blamed);
    if (crashLoop) {
      this.breakPool(crashLoop);
      return;
    }
    this.replaceIfNeeded();
    this.dispatch();
    this.afterActivity();
  }

  /** A unit taken from the shared queue that will never publish a completion: its room is free again. */
  private leftSharedMemory(unit: Unit): void {
    if (unit.place === Place.SHARED) this.ring!.forget();
    this.book.giveBack(unit);
  }

  private workRemains(): boolean {
    return this.holds > 0 || this.book.size > 0 || this.waitingShared.length > 0 || this.waitingPosted.length > 0;
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
    const worker = this.config.shared ? this.workers.runningUnit(unit.id) : this.workers.bySerial(unit.worker);
    if (!worker) {
      this.pump();
      if (!unit.settled && unit.place === Place.QUEUED) this.book.failQueued(unit, error);
      return;
    }
    if (this.config.shared && !worker.stopIfRunning(unit.id)) {
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
    worker.markProvedAlive();
    this.workerGone(worker, { code: 0, error: undefined });
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
    this.queueAbandoned = true;
    for (const unit of [...this.waitingShared.drain(), ...this.waitingPosted.drain()]) this.book.failQueued(unit, error(false));
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
    if (this.waitArmed) Atomics.notify(this.signal, PoolCell.COMPLETIONS);
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
    return this.waitingShared.length + this.waitingPosted.length + (this.ring && !this.queueAbandoned ? this.ring.waiting : 0);
  }

  /**
   * Units a worker holds and has not finished: read from shared memory where the truth is there (entries taken,
   * less completions written, read or not), so a unit stops counting the moment it finishes, even while this
   * thread is busy. Units posted by message count until their worker's notice is read.
   */
  get runningUnits(): number {
    return this.workers.postedUnfinished + (this.ring && !this.queueAbandoned ? this.ring.takenUnread : 0);
  }

  /**
   * Units handed to workers whose completion this thread has not taken in: onIdle() waits for these too, so
   * that once it resolves every result is settled and its callbacks have run (p-queue's meaning), even where
   * `runningUnits` already reads 0 from shared memory.
   */
  private get unsettledInWorkers(): number {
    return this.workers.postedUnits + (this.ring && !this.queueAbandoned ? this.ring.takenUnread : 0);
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

/** Atomics.waitAsync where it exists (Node 20, Chromium, Bun, Deno); undefined elsewhere (poll instead). */
function waitAsync(cells: Int32Array, index: number, value: number): Promise<unknown> | undefined {
  const wait = (Atomics as { waitAsync?: (a: Int32Array, i: number, v: number) => { async: boolean; value: unknown } }).waitAsync;
  if (!wait) return undefined;
  const result = wait(cells, index, value);
  return result.async ? (result.value as Promise<unknown>) : Promise.resolve();
}
