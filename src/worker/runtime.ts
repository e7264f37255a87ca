import { notifyPool } from '../abi/pool-signal.js';
import { DescriptorScratch, canReadDescriptor, descriptorKind, readDescriptor } from '../abi/descriptor.js';
import { claimSlot, countDown as countDownSlot, markMessage, writeNumber } from '../abi/slot-table.js';
import { announceExit, claimRunning, releaseRunning } from '../abi/worker-control.js';
import { DescriptorCell, Outcome, SLOT_INDEX_MASK, SLOT_PAGE_SHIFT, UnitKind, viewSlotPage, type SlotPageViews } from '../abi/layout.js';
import { SHARED_MEMORY_AVAILABLE } from '../abi/shared-buffer.js';
import { RingConsumer, TAKE_NOTHING, TAKE_STOPPED } from '../abi/work-ring.js';
import type { Catalog, MainToWorker, SerializedError, UnitMessage, WorkerToMain } from '../abi/protocol.js';
import type { HostServices } from '../wasm/host-imports.js';
import { loadModule, type Kernel, type LoadedModule } from './load-module.js';
import { serializeError } from './serialize-error.js';

/** What a runtime-specific worker entry (Node thread, Web Worker) provides. */
export interface WorkerEndpoint {
  /** `transfer` moves buffers instead of copying them. Throws (DataCloneError) for a value that cannot be sent. */
  post(message: WorkerToMain, transfer?: Transferable[]): void;
  services: HostServices;
  importUrl(url: string): Promise<object>;
  /**
   * The next message from the pool already queued, without an event-loop turn (Node). Where it exists the
   * worker parks in Atomics.wait when idle; elsewhere it parks with Atomics.waitAsync to keep its event loop.
   */
  receiveSync?(): MainToWorker | undefined;
  /** Decodes a payload the main thread serialized into the arena (node:v8 deserialize). */
  deserialize?(bytes: Uint8Array): unknown;
  /** This worker's own memory in MB (its JS heap and WASM memories not shared with the pool), for maxWorkerMemory. */
  memoryMb?(): number;
}

/**
 * How long an idle worker keeps polling for the next unit before parking: back-to-back tasks are the common
 * case, and waking a parked thread costs tens of microseconds.
 */
const POLL_BEFORE_PARK_MS = 0.05;
/** A parked worker wakes this often anyway (a lost wake-up costs at most this much). */
const PARK_MS = 250;
/** Batched `done` notices of `run` units wait at most this long. */
const NOTICE_FLUSH_MS = 2;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** A unit in hand: taken from the shared queue, or received in a `run` message. */
interface Work {
  readonly unit: UnitMessage;
  /** Taken from the shared queue: its completion goes to the completion ring. */
  readonly shared: boolean;
  /** Numeric chunk items in the arena: results are written over them. */
  readonly inPlace: Float64Array | undefined;
}

/**
 * The worker side of the pool: takes units (from the shared queue by itself, or from `run` messages), runs
 * kernels one at a time, and reports each completion. Order per unit: value written (slot, arena or message),
 * then `remaining` decremented, then the completion published and the pool signal bumped. A reader that sees
 * the flag therefore always finds the value.
 */
export class WorkerRuntime {
  private module: LoadedModule | undefined;
  private failedInit: SerializedError | undefined;
  private dirty = false;
  private readonly pushed: UnitMessage[] = [];
  private pushedHead = 0;
  private looping = false;
  /** The loop is waiting in RingConsumer.parkAsync (see kick). */
  private parkedAsync = false;
  private retired = false;
  private taken = 0;
  private maxUnits = Infinity;
  private maxMemoryMb = Infinity;
  /** Ms without work after which this worker tells the pool it is idle (elastic pools), else Infinity. */
  private idleTimeout = Infinity;
  private idleSince = 0;
  private idleNoticeSent = false;
  /** When the current unit started (epoch ms, comparable across threads) and performance.now() then. */
  private startedAt = 0;
  private startedNow = 0;
  private control!: Int32Array;
  private signal!: Int32Array;
  private ring: RingConsumer | undefined;
  private readonly scratch = new DescriptorScratch();
  private readonly kernelNames: string[] = [];
  private readonly pages: SlotPageViews[] = [];
  private readonly arena = new Map<number, SharedArrayBuffer>();
  private doneIds: number[] = [];
  /** For each of doneIds: its start (epoch ms) and run time (ms, -1 if skipped). */
  private doneStartedAt: number[] = [];
  private doneRunMs: number[] = [];
  private lastFlush = 0;
  /** Resolves a loop waiting for a catalog entry that has not arrived yet (browser). */
  private catalogArrived: (() => void) | undefined;

  constructor(private readonly endpoint: WorkerEndpoint) {}

  /** Marks this worker as exiting, for a main thread blocked in getSync(). */
  markExiting(code: number): void {
    if (!this.control) return;
    announceExit(this.control, code);
    notifyPool(this.signal);
  }

  /** Every message, whether delivered by the event loop or read synchronously. */
  handle(message: MainToWorker): void {
    switch (message.type) {
      case 'init':
        this.control = new Int32Array(message.control);
        this.signal = new Int32Array(message.signal);
        if (message.ring) {
          const buffers = { control: message.signal, descriptors: message.ring.descriptors };
          this.ring = new RingConsumer(buffers, message.ring.completions, this.control, message.serial);
        }
        this.maxUnits = message.maxUnits ?? Infinity;
        this.maxMemoryMb = message.maxMemoryMb ?? Infinity;
        this.idleTimeout = message.idleTimeout ?? Infinity;
        this.learn(message.catalog);
        void this.initialize(message);
        return;
      case 'catalog':
        this.learn(message);
        return;
      case 'run':
        if (this.failedInit) return; // the main thread fails them itself
        for (const unit of message.units) this.pushed.push(unit);
        this.kick();
        return;
    }
  }

  private learn(catalog: Catalog): void {
    if (catalog.kernels) for (let i = 0; i < catalog.kernels.length; i++) this.kernelNames[(catalog.kernelsFrom ?? 0) + i] = catalog.kernels[i];
    if (catalog.slotPages) for (let i = 0; i < catalog.slotPages.length; i++) this.pages[(catalog.slotPagesFrom ?? 0) + i] = viewSlotPage(catalog.slotPages[i]);
    if (catalog.arenaPages) for (const [id, buffer] of catalog.arenaPages) this.arena.set(id, buffer);
    if (catalog.forgetPages) for (const id of catalog.forgetPages) this.arena.delete(id);
    if (catalog.forgetKernels) for (const index of catalog.forgetKernels) this.kernelNames[index] = '';
    const wake = this.catalogArrived;
    this.catalogArrived = undefined;
    wake?.();
  }

  private async initialize(message: Extract<MainToWorker, { type: 'init' }>): Promise<void> {
    try {
      const module = await loadModule(message.module, this.endpoint.services, (url) => this.endpoint.importUrl(url), message);
      if (message.initializer !== undefined) {
        const init = module.kernels.get(message.initializer);
        if (!init)
          throw new TypeError(
            `initializer \`${message.initializer}\` is not a function exported by the module; it exports: ${[...module.kernels.keys()].join(', ')}`,
          );
        const result = init(...(message.initargs ?? []));
        if (isThenable(result)) await result;
      }
      this.module = module;
      if (message.reportExports) this.endpoint.post({ type: 'exports', kernels: [...module.kernels.keys()] });
    } catch (error) {
      this.failedInit = { ...serializeError(error, false), origin: message.initializer === undefined ? 'load' : 'init' };
      this.pushed.length = 0;
      this.endpoint.post({ type: 'init-failed', error: this.failedInit });
      return;
    }
    this.endpoint.post({ type: 'ready' });
    this.kick();
  }

  private kick(): void {
    if (this.module && !this.looping && !this.retired) void this.loop();
    // A loop parked with Atomics.waitAsync (a browser worker) would otherwise sleep on past the message.
    else if (this.parkedAsync) this.ring?.wakeParked();
  }

  /** Takes in every message already queued (Node), so the catalog is current before a descriptor is read. */
  private receiveAll(): void {
    const receive = this.endpoint.receiveSync;
    if (!receive) return;
    for (let message = receive(); message; message = receive()) this.handle(message);
  }

  private async loop(): Promise<void> {
    this.looping = true;
    try {
      for (;;) {
        this.receiveAll();
        let work = this.next();
        if (work === 'decode') {
          // A browser delivers the catalog by event: wait for what this descriptor names (posted before it).
          while (!this.knowsEverythingIn(this.scratch.i32)) await new Promise<void>((resolve) => (this.catalogArrived = resolve));
          work = this.decode();
        }
        if (work === 'stopped') return this.stoppedBetweenUnits();
        if (work) {
          this.idleSince = 0;
          this.idleNoticeSent = false;
          const pending = this.runWork(work);
          if (pending) await pending;
          if (performance.now() - this.lastFlush > NOTICE_FLUSH_MS) this.flushDone();
          if (this.taken >= this.maxUnits) return this.retire('tasks');
          // Replaced before its next task, not during this one: the task that grew the heap still succeeds.
          if (this.maxMemoryMb < Infinity && (this.endpoint.memoryMb?.() ?? 0) > this.maxMemoryMb) return this.retire('memory');
          continue;
        }
        this.flushDone();
        if (this.pollForWork()) continue;
        const ring = this.ring;
        if (!ring) return; // units arrive by message: the event loop will kick us
        // Stopped while idle (the pool retires idle workers this way): say so, with everything published.
        if (ring.stopped) return this.stoppedBetweenUnits();
        const parkMs = this.idleParkMs();
        if (this.endpoint.receiveSync) ring.park(parkMs);
        else {
          const parked = ring.parkAsync(parkMs);
          if (parked) {
            this.parkedAsync = true;
            await parked;
            this.parkedAsync = false;
          }
        }
      }
    } finally {
      this.looping = false;
    }
  }

  /** How long to park; tells the pool once this worker has been idle for `idleTimeout` (it may then retire it). */
  private idleParkMs(): number {
    if (this.idleTimeout === Infinity) return PARK_MS;
    const now = performance.now();
    if (this.idleSince === 0) this.idleSince = now;
    const idleFor = now - this.idleSince;
    if (idleFor >= this.idleTimeout && !this.idleNoticeSent) {
      this.idleNoticeSent = true;
      this.endpoint.post({ type: 'idle' });
    }
    return this.idleNoticeSent ? PARK_MS : Math.max(1, Math.min(PARK_MS, this.idleTimeout - idleFor));
  }

  private pollForWork(): boolean {
    const giveUp = performance.now() + POLL_BEFORE_PARK_MS;
    do {
      if (this.pushedHead < this.pushed.length || this.ring?.hasWork) return true;
      this.receiveAll();
    } while (performance.now() < giveUp);
    return this.pushedHead < this.pushed.length;
  }

  private next(): Work | 'stopped' | 'decode' | undefined {
    if (this.pushedHead < this.pushed.length) {
      const unit = this.pushed[this.pushedHead];
      this.pushed[this.pushedHead++] = undefined as unknown as UnitMessage; // let it be collected
      if (this.pushedHead === this.pushed.length) {
        this.pushed.length = 0;
        this.pushedHead = 0;
      }
      // Claim the RUNNING cell: the main thread marks it STOPPED to take every waiting unit back at once.
      // As for a unit taken from the shared queue, LAST_TAKEN too: the pool sees this one started (and, once RUNNING moves on, ended).
      if (!claimRunning(this.control, unit.id)) return 'stopped';
      this.taken++;
      return { unit, shared: false, inPlace: undefined };
    }
    if (!this.ring) return undefined;
    const got = this.ring.take(this.scratch.i32);
    if (got === TAKE_NOTHING) return undefined;
    if (got === TAKE_STOPPED) return 'stopped';
    this.taken++;
    return this.knowsEverythingIn(this.scratch.i32) ? this.decode() : 'decode';
  }

  /** Whether the catalog has the kernel name and pages a descriptor names. */
  private knowsEverythingIn(d: Int32Array): boolean {
    return this.pages[d[DescriptorCell.SLOT] >>> SLOT_PAGE_SHIFT] !== undefined && canReadDescriptor(d, this.kernelNames, this.arena);
  }

  /** Builds the unit from the descriptor copy in `scratch`. */
  private decode(): Work {
    const unit = readDescriptor(this.scratch, this.kernelNames, this.arena, this.endpoint.deserialize);
    const inPlace = descriptorKind(this.scratch.i32) === UnitKind.CHUNK_NUMBERS ? (unit.items as Float64Array) : undefined;
    return { unit, shared: true, inPlace };
  }

  /** Runs one unit; returns a promise only when a kernel returned one (JS modules). */
  private runWork(work: Work): Promise<void> | undefined {
    const { unit } = work;
    const page = this.pages[unit.slot >>> SLOT_PAGE_SHIFT];
    const index = unit.slot & SLOT_INDEX_MASK;
    const single = unit.items === undefined;
    // Without shared memory this page is a stale copy (its slots are reused): cancellation is the main thread's alone.
    if (single && SHARED_MEMORY_AVAILABLE && !claimSlot(page, index)) {
      releaseRunning(this.control, unit.id);
      this.publish(work, Outcome.SKIPPED, page, index, false); // cancelled by the main thread before we got here
      return undefined;
    }
    this.startedNow = performance.now();
    this.startedAt = performance.timeOrigin + this.startedNow;
    if (unit.timed) this.endpoint.post({ type: 'started', id: unit.id });
    if (this.dirty) {
      const reloading = this.module!.reload();
      this.dirty = false;
      if (reloading) return reloading.then(() => this.call(work, page, index));
    }
    return this.call(work, page, index);
  }

  private call(work: Work, page: SlotPageViews, index: number): Promise<void> | undefined {
    const { unit } = work;
    const kernel = this.module!.kernels.get(unit.kernel);
    if (!kernel) {
      const exports = [...this.module!.kernels.keys()];
      const message = `Unknown kernel \`${unit.kernel}\`; the module exports: ${exports.join(', ') || '(none)'}`;
      this.fail(work, page, index, { name: 'TypeError', message, origin: 'unknown-kernel', exports });
      return undefined;
    }
    try {
      if (unit.items === undefined) {
        const value = kernel(...unit.args!);
        if (isThenable(value))
          return Promise.resolve(value).then(
            (v) => this.succeed(work, page, index, v),
            (e: unknown) => this.fail(work, page, index, serializeError(e, false)),
          );
        this.succeed(work, page, index, value);
        return undefined;
      }
      return this.runChunk(work, kernel, page, index);
    } catch (error) {
      this.fail(work, page, index, serializeError(error, this.module!.resettable));
      return undefined;
    }
  }

  private runChunk(work: Work, kernel: Kernel, page: SlotPageViews, index: number): Promise<void> | undefined {
    const items = work.unit.items!;
    if (items instanceof Float64Array) {
      // Numbers in, numbers out: written over the items in the arena, or into a typed array that moves back by transfer.
      const numbers = work.inPlace ?? new Float64Array(items.length);
      let i = 0;
      try {
        for (; i < items.length; i++) {
          const value = kernel(items[i]);
          if (typeof value !== 'number') {
            const results = Array.from(numbers.subarray(0, i)) as unknown[];
            return this.continueChunk(work, kernel, page, index, results, i, { value });
          }
          numbers[i] = value;
        }
      } catch (error) {
        this.failItem(work, page, index, error, this.module!.resettable, i);
        return undefined;
      }
      this.succeed(work, page, index, numbers);
      return undefined;
    }
    return this.continueChunk(work, kernel, page, index, new Array<unknown>(items.length), 0, undefined);
  }

  /** The general path: any values; `first` holds item `from`'s value when it was already computed (never call a kernel twice). */
  private continueChunk(
    work: Work,
    kernel: Kernel,
    page: SlotPageViews,
    index: number,
    results: unknown[],
    from: number,
    first: { value: unknown } | undefined,
  ): Promise<void> | undefined {
    const { unit } = work;
    const items = unit.items!;
    let i = from;
    try {
      for (; i < items.length; i++) {
        const value = i === from && first ? first.value : unit.star ? kernel(...(items[i] as unknown[])) : kernel(items[i]);
        if (isThenable(value)) return this.finishChunkAsync(work, kernel, page, index, results, i, value);
        results[i] = value;
      }
    } catch (error) {
      this.failItem(work, page, index, error, this.module!.resettable, i);
      return undefined;
    }
    this.succeed(work, page, index, results);
    return undefined;
  }

  private async finishChunkAsync(
    work: Work,
    kernel: Kernel,
    page: SlotPageViews,
    index: number,
    results: unknown[],
    from: number,
    first: PromiseLike<unknown>,
  ): Promise<void> {
    const { unit } = work;
    const items = unit.items!;
    let i = from;
    try {
      results[from] = await first;
      for (i = from + 1; i < items.length; i++) results[i] = await (unit.star ? kernel(...(items[i] as unknown[])) : kernel(items[i]));
    } catch (error) {
      this.failItem(work, page, index, error, false, i);
      return;
    }
    this.succeed(work, page, index, results);
  }

  /** A chunk's item `item` threw: the error says which, so the main thread can name its index in the input. */
  private failItem(work: Work, page: SlotPageViews, index: number, error: unknown, resettable: boolean, item: number): void {
    this.fail(work, page, index, { ...serializeError(error, resettable), item });
  }

  /** The main thread stopped this worker (timeout, cancel) and is terminating it: run nothing more. */
  private stop(): void {
    this.pushed.length = 0;
    this.pushedHead = 0;
    this.retired = true;
  }

  /**
   * The pool stopped this worker between units. If it did so to retire it (idle), the pool waits for this
   * notice, so it never terminates a thread in the middle of publishing a completion; after a timeout or a
   * cancel the pool has already let the worker go, and the notice is ignored.
   */
  private stoppedBetweenUnits(): void {
    this.stop();
    this.flushDone();
    this.endpoint.post({ type: 'retired', reason: 'stopped' });
  }

  /** maxTasksPerWorker or maxWorkerMemory reached: take nothing more and ask to be replaced. */
  private retire(reason: 'tasks' | 'memory'): void {
    this.flushDone();
    this.retired = true;
    this.endpoint.post({ type: 'retired', reason });
  }

  /** Releases the RUNNING cell; false if the main thread stopped this worker meanwhile (drop the outcome). */
  private release(unit: UnitMessage): boolean {
    if (releaseRunning(this.control, unit.id)) return true;
    this.stop();
    return false;
  }

  private succeed(work: Work, page: SlotPageViews, index: number, value: unknown): void {
    const { unit } = work;
    if (!this.release(unit)) return;
    // Without shared memory the slot is this worker's own copy: the value must travel by message.
    if (unit.items === undefined && typeof value === 'number' && SHARED_MEMORY_AVAILABLE) {
      writeNumber(page, index, value);
      return this.publish(work, Outcome.NUMBER, page, index, true);
    }
    if (work.inPlace && value === work.inPlace) return this.publish(work, Outcome.IN_PLACE, page, index, true);
    this.flushDone();
    try {
      this.endpoint.post(
        { type: 'result', id: unit.id, value, ...this.timesOfPosted(work) },
        value instanceof Float64Array && !work.shared && unit.items ? [value.buffer] : undefined,
      );
    } catch (error) {
      // A value structured clone cannot copy (a function, a symbol...): the task fails instead of never settling.
      this.endpoint.post({
        type: 'error',
        id: unit.id,
        ...this.timesOfPosted(work),
        error: {
          name: 'TypeError',
          message: `Kernel \`${unit.kernel}\` returned a value that cannot be sent back to the main thread (${(error as Error)?.message ?? String(error)}); return numbers, strings, plain objects, arrays or typed arrays`,
          origin: 'throw',
        },
      });
    }
    if (unit.items === undefined) markMessage(page, index);
    this.publish(work, Outcome.MESSAGE, page, index, true);
  }

  private fail(work: Work, page: SlotPageViews, index: number, error: SerializedError): void {
    const { unit } = work;
    if (!this.release(unit)) return;
    if (this.module!.resettable && error.origin !== 'unknown-kernel') this.dirty = true;
    this.flushDone();
    this.endpoint.post({ type: 'error', id: unit.id, error, ...this.timesOfPosted(work) });
    if (unit.items === undefined) markMessage(page, index);
    this.publish(work, Outcome.MESSAGE, page, index, true);
  }

  /** The unit is finished with: count it down, then tell the main thread (completion ring or `done` notice). */
  private publish(work: Work, outcome: number, page: SlotPageViews, index: number, countDown: boolean): void {
    // Decrement after the value is published: a reader that sees 0 must find the value.
    if (countDown) countDownSlot(page, index);
    if (work.shared) this.ring!.complete(work.unit.id, outcome, this.startedAt, outcome === Outcome.SKIPPED ? 0 : performance.now() - this.startedNow);
    else if (outcome !== Outcome.MESSAGE) {
      this.doneIds.push(work.unit.id);
      this.doneStartedAt.push(this.startedAt);
      this.doneRunMs.push(outcome === Outcome.SKIPPED ? -1 : performance.now() - this.startedNow);
    }
    notifyPool(this.signal);
  }

  /** A posted unit's start and run time, for the message that carries its outcome; nothing for a shared one. */
  private timesOfPosted(work: Work): { startedAt?: number; runMs?: number } {
    return work.shared ? {} : { startedAt: this.startedAt, runMs: performance.now() - this.startedNow };
  }

  private flushDone(): void {
    this.lastFlush = performance.now();
    if (this.doneIds.length === 0) return;
    this.endpoint.post({ type: 'done', ids: this.doneIds, startedAt: this.doneStartedAt, runMs: this.doneRunMs });
    this.doneIds = [];
    this.doneStartedAt = [];
    this.doneRunMs = [];
  }
}
