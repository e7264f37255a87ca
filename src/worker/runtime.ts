import { PoolCell, SlotState, WorkerCell, viewSlotPage, SLOT_INDEX_MASK, SLOT_PAGE_SHIFT, type SlotPageViews } from '../abi/layout.js';
import { SHARED_MEMORY_AVAILABLE } from '../abi/shared-buffer.js';
import type { MainToWorker, SerializedError, UnitMessage, WorkerToMain } from '../abi/protocol.js';
import type { HostServices } from '../wasm/host-imports.js';
import { loadModule, type Kernel, type LoadedModule } from './load-module.js';
import { serializeError } from './serialize-error.js';

/** What a runtime-specific worker entry (Node thread, Web Worker) provides. */
export interface WorkerEndpoint {
  /** `transfer` moves buffers instead of copying them (a runtime may ignore it and copy). */
  post(message: WorkerToMain, transfer?: Transferable[]): void;
  services: HostServices;
  importUrl(url: string): Promise<object>;
  /** Optional: returns the next message from the pool if one arrives within `ms` (polling, no event loop). */
  pollMessage?(ms: number): MainToWorker | undefined;
}

/**
 * How long an idle worker keeps polling for the next batch before going back to its event loop.
 * Back-to-back tasks are the common case, and waking a parked thread costs tens of microseconds.
 */
const POLL_BEFORE_IDLE_MS = 0.05;

/** Batched `done` notices wait at most this long, so get() stays prompt in a long batch. */
const NOTICE_FLUSH_MS = 2;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * The worker side of the pool: receives units, runs kernels one at a time, and
 * reports each completion. Order per unit: value written (slab or message),
 * then `remaining` decremented, then the pool signal bumped and notified. A
 * reader that sees the flag therefore always finds the value.
 */
export class WorkerRuntime {
  private module: LoadedModule | undefined;
  private failedInit: SerializedError | undefined;
  private dirty = false;
  private readonly queue: UnitMessage[] = [];
  private head = 0;
  private draining = false;
  private readonly pages: SlotPageViews[] = [];
  private control!: Int32Array;
  private signal!: Int32Array;
  private doneIds: number[] = [];
  private busyMs = 0;
  private lastFlush = 0;
  private unitStart = 0;

  constructor(private readonly endpoint: WorkerEndpoint) {}

  /** Marks this worker as exiting, for a main thread blocked in getSync(). */
  markExiting(code: number): void {
    if (!this.control) return;
    Atomics.store(this.control, WorkerCell.EXIT_CODE, code);
    Atomics.store(this.control, WorkerCell.EXITING, 1);
    Atomics.add(this.signal, PoolCell.COMPLETIONS, 1);
    Atomics.notify(this.signal, PoolCell.COMPLETIONS);
  }

  handle(message: MainToWorker): void {
    if (message.type === 'init') {
      this.control = new Int32Array(message.control);
      this.signal = new Int32Array(message.signal);
      void this.initialize(message);
      return;
    }
    this.accept(message);
    if (this.module && !this.draining) void this.drain();
    else if (this.failedInit) this.rejectQueued();
  }

  private accept(message: Extract<MainToWorker, { type: 'run' }>): void {
    if (message.pages) for (const page of message.pages) this.pages.push(viewSlotPage(page));
    for (const unit of message.units) this.queue.push(unit);
  }

  private async initialize(message: Extract<MainToWorker, { type: 'init' }>): Promise<void> {
    try {
      const module = await loadModule(message.module, this.endpoint.services, (url) => this.endpoint.importUrl(url));
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
    } catch (error) {
      this.failedInit = { ...serializeError(error, false), origin: message.initializer === undefined ? 'load' : 'init' };
      this.endpoint.post({ type: 'init-failed', error: this.failedInit });
      this.rejectQueued();
      return;
    }
    if (this.head < this.queue.length) void this.drain();
  }

  /** After a failed init the main thread fails these itself; drop them so nothing runs. */
  private rejectQueued(): void {
    this.queue.length = 0;
    this.head = 0;
  }

  private async drain(): Promise<void> {
    this.draining = true;
    for (;;) {
      const start = performance.now();
      this.lastFlush = start;
      while (this.head < this.queue.length) {
        const unit = this.queue[this.head];
        this.queue[this.head++] = undefined as unknown as UnitMessage; // let the unit be collected
        const pending = this.runUnit(unit);
        if (pending) await pending;
        if (performance.now() - this.lastFlush > NOTICE_FLUSH_MS) this.flushDone();
      }
      this.queue.length = 0;
      this.head = 0;
      this.busyMs += performance.now() - start;
      this.flushDone();
      const next = this.endpoint.pollMessage?.(POLL_BEFORE_IDLE_MS);
      if (!next || next.type !== 'run') break;
      this.accept(next);
    }
    this.draining = false;
  }

  private flushDone(): void {
    this.lastFlush = performance.now();
    if (this.doneIds.length === 0) return;
    this.endpoint.post({ type: 'done', ids: this.doneIds, busyMs: this.busyMs });
    this.doneIds = [];
    this.busyMs = 0;
  }

  /** Runs one unit; returns a promise only when a kernel returned one (JS modules). */
  private runUnit(unit: UnitMessage): Promise<void> | undefined {
    // Claim the RUNNING cell: the main thread marks it STOPPED to take every waiting unit back at once.
    if (Atomics.compareExchange(this.control, WorkerCell.RUNNING, 0, unit.id) !== 0) return this.stopped();
    const page = this.pages[unit.slot >>> SLOT_PAGE_SHIFT];
    const index = unit.slot & SLOT_INDEX_MASK;
    const single = unit.items === undefined;
    // Without shared memory this page is a stale copy (its slots are reused): cancellation is the main thread's alone.
    if (single && SHARED_MEMORY_AVAILABLE && Atomics.compareExchange(page.state, index, SlotState.PENDING, SlotState.RUNNING) !== SlotState.PENDING) {
      Atomics.compareExchange(this.control, WorkerCell.RUNNING, unit.id, 0);
      this.doneIds.push(unit.id); // cancelled by the main thread before we got here
      return undefined;
    }
    this.unitStart = performance.now();
    if (unit.timed) this.endpoint.post({ type: 'started', id: unit.id });
    if (this.dirty) {
      const reloading = this.module!.reload();
      this.dirty = false;
      if (reloading) return reloading.then(() => this.runUnit2(unit, page, index, single));
    }
    return this.runUnit2(unit, page, index, single);
  }

  private runUnit2(unit: UnitMessage, page: SlotPageViews, index: number, single: boolean): Promise<void> | undefined {
    const kernel = this.module!.kernels.get(unit.kernel);
    if (!kernel) {
      const names = [...this.module!.kernels.keys()].join(', ') || '(none)';
      this.fail(unit, page, index, { name: 'TypeError', message: `Unknown kernel \`${unit.kernel}\`; the module exports: ${names}`, origin: 'unknown-kernel' });
      return undefined;
    }
    try {
      if (single) {
        const value = kernel(...unit.args!);
        if (isThenable(value))
          return Promise.resolve(value).then(
            (v) => this.succeed(unit, page, index, v),
            (e: unknown) => this.fail(unit, page, index, serializeError(e, false)),
          );
        this.succeed(unit, page, index, value);
        return undefined;
      }
      return this.runChunk(unit, kernel, page, index);
    } catch (error) {
      this.fail(unit, page, index, serializeError(error, this.module!.resettable));
      return undefined;
    }
  }

  private runChunk(unit: UnitMessage, kernel: Kernel, page: SlotPageViews, index: number): Promise<void> | undefined {
    const items = unit.items!;
    if (items instanceof Float64Array) {
      // Numbers in, numbers out: a typed array moves back by transfer instead of per-element cloning.
      const numbers = new Float64Array(items.length);
      for (let i = 0; i < items.length; i++) {
        const value = kernel(items[i]);
        if (typeof value !== 'number') return this.continueChunk(unit, kernel, page, index, Array.from(numbers.subarray(0, i)), i, { value });
        numbers[i] = value;
      }
      this.succeed(unit, page, index, numbers);
      return undefined;
    }
    return this.continueChunk(unit, kernel, page, index, new Array<unknown>(items.length), 0, undefined);
  }

  /** The general path: any values; `first` holds item `from`'s value when it was already computed (never call a kernel twice). */
  private continueChunk(
    unit: UnitMessage,
    kernel: Kernel,
    page: SlotPageViews,
    index: number,
    results: unknown[],
    from: number,
    first: { value: unknown } | undefined,
  ): Promise<void> | undefined {
    const items = unit.items!;
    for (let i = from; i < items.length; i++) {
      const value = i === from && first ? first.value : unit.star ? kernel(...(items[i] as unknown[])) : kernel(items[i]);
      if (isThenable(value)) return this.finishChunkAsync(unit, kernel, page, index, results, i, value);
      results[i] = value;
    }
    this.succeed(unit, page, index, results);
    return undefined;
  }

  private async finishChunkAsync(
    unit: UnitMessage,
    kernel: Kernel,
    page: SlotPageViews,
    index: number,
    results: unknown[],
    from: number,
    first: PromiseLike<unknown>,
  ): Promise<void> {
    const items = unit.items!;
    try {
      results[from] = await first;
      for (let i = from + 1; i < items.length; i++) results[i] = await (unit.star ? kernel(...(items[i] as unknown[])) : kernel(items[i]));
    } catch (error) {
      this.fail(unit, page, index, serializeError(error, false));
      return;
    }
    this.succeed(unit, page, index, results);
  }

  /** The main thread gave up on this worker (timeout, cancel) and is terminating it: run nothing more. */
  private stopped(): undefined {
    this.queue.length = 0;
    this.head = 0;
    return undefined;
  }

  /** Releases the RUNNING cell; false if the main thread stopped this worker meanwhile (drop the outcome). */
  private release(unit: UnitMessage): boolean {
    if (Atomics.compareExchange(this.control, WorkerCell.RUNNING, unit.id, 0) === unit.id) return true;
    this.stopped();
    return false;
  }

  private succeed(unit: UnitMessage, page: SlotPageViews, index: number, value: unknown): void {
    if (!this.release(unit)) return;
    // Without shared memory the slab is this worker's own copy: the value must travel by message.
    if (unit.items === undefined && typeof value === 'number' && SHARED_MEMORY_AVAILABLE) {
      page.value[index] = value;
      Atomics.store(page.state, index, SlotState.NUMBER);
      this.doneIds.push(unit.id);
    } else {
      this.flushDone();
      this.endpoint.post(
        { type: 'result', id: unit.id, value, ms: performance.now() - this.unitStart },
        value instanceof Float64Array && unit.items ? [value.buffer] : undefined,
      );
      if (unit.items === undefined) Atomics.store(page.state, index, SlotState.MESSAGE);
    }
    this.complete(page, index);
  }

  private fail(unit: UnitMessage, page: SlotPageViews, index: number, error: SerializedError): void {
    if (!this.release(unit)) return;
    if (this.module!.resettable && error.origin !== 'unknown-kernel') this.dirty = true;
    this.flushDone();
    this.endpoint.post({ type: 'error', id: unit.id, error, ms: performance.now() - this.unitStart });
    if (unit.items === undefined) Atomics.store(page.state, index, SlotState.MESSAGE);
    this.complete(page, index);
  }

  private complete(page: SlotPageViews, index: number): void {
    // Decrement after the value is published: a reader that sees 0 must find the value.
    Atomics.sub(page.remaining, index, 1);
    Atomics.add(this.signal, PoolCell.COMPLETIONS, 1);
    Atomics.notify(this.signal, PoolCell.COMPLETIONS);
  }
}
