/**
 * A Transport for the Scheduler whose workers are scripted, in this thread. Each FakeWorker speaks the real
 * protocol over the real shared memory: it reads the `init` message (control cells, pool signal, ring buffers,
 * its own completion ring, serial, catalog), takes units from the shared queue with the real RingConsumer, and
 * writes results in the order src/worker/runtime.ts does (release of RUNNING, slot value, slot state, countdown,
 * completion, signal), through the same protocol halves the runtime uses (src/abi/worker-control.ts,
 * slot-table.ts, descriptor.ts, pool-signal.ts), so the fake cannot drift from the worker. The test calls each
 * step itself, so it decides when a worker runs and where it dies.
 *
 * Units posted in `run` messages (arguments only postMessage carries) wait in `inbox`; takePosted() takes one
 * and the same steps finish it, with a `done` notice for a number instead of a ring entry.
 *
 * Nothing here runs on its own: messages to the main thread wait in an outbox until the Scheduler drains them
 * (drainSync, as Node's receiveMessageOnPort) or the test calls deliver(); an exit happens when the test calls
 * exit(). A real thread's RingConsumer.take() is atomic from the pool's point of view; the steps that split it
 * (holdLock, markRunning) reproduce the states a thread killed inside it leaves behind.
 */
import { notifyPool } from '../../src/abi/pool-signal.js';
import { DescriptorScratch, canReadDescriptor, descriptorKind, readDescriptor } from '../../src/abi/descriptor.js';
import { claimSlot, countDown as countDownSlot, markMessage, writeNumber } from '../../src/abi/slot-table.js';
import { announceExit, claimRunning, releaseRunning } from '../../src/abi/worker-control.js';
import { deserialize } from 'node:v8';
import {
  DESCRIPTOR_INT32S,
  DescriptorCell,
  Outcome,
  QueueCell,
  RING_MASK,
  SLOT_INDEX_MASK,
  SLOT_PAGE_SHIFT,
  UnitKind,
  viewSlotPage,
  type SlotPageViews,
} from '../../src/abi/layout.js';
import type { Catalog, MainToWorker, UnitMessage, WorkerToMain } from '../../src/abi/protocol.js';
import { RingConsumer, TAKE_NOTHING, TAKE_STOPPED } from '../../src/abi/work-ring.js';
import type { Transport, WorkerEvents, WorkerExit, WorkerHandle } from '../../src/transport/types.js';
import { WorkerRuntime } from '../../src/worker/runtime.js';

type InitMessage = Extract<MainToWorker, { type: 'init' }>;

/** A unit a fake worker took from the shared queue, decoded from its descriptor copy. */
export interface TakenUnit {
  id: number;
  slot: number;
  kernel: string;
  kind: number;
  timed: boolean;
  /** Inline arguments (APPLY_INLINE), or the decoded payload (APPLY_PAYLOAD). */
  args: unknown[] | undefined;
  /** Chunk items: in the arena for CHUNK_NUMBERS (results are written over them). */
  items: Float64Array | unknown[] | undefined;
  /** Came in a `run` message (not from the shared queue): its completion is a `done` notice, not a ring entry. */
  posted?: boolean;
}

export class FakeWorker {
  readonly init: InitMessage;
  /** Every message the pool posted to it, `init` first. */
  readonly received: MainToWorker[] = [];
  readonly consumer: RingConsumer;
  readonly control: Int32Array;
  readonly signal: Int32Array;
  readonly serial: number;
  /** The unit this worker holds (taken and not yet published), if any. */
  held: TakenUnit | undefined;
  /** Units posted to it in `run` messages and not taken yet. */
  readonly inbox: UnitMessage[] = [];
  /** Set when the pool called terminate(). */
  terminateRequested = false;
  exited = false;
  private readonly outbox: WorkerToMain[] = [];
  private readonly kernels: string[] = [];
  private readonly pages: SlotPageViews[] = [];
  private readonly arena = new Map<number, SharedArrayBuffer>();
  private readonly scratch = new DescriptorScratch();
  private readonly terminated: Promise<void>;
  private markTerminated: () => void = () => {};

  constructor(
    private readonly events: WorkerEvents,
    init: MainToWorker,
  ) {
    if (init.type !== 'init') throw new Error(`a worker's first message must be init, got ${init.type}`);
    if (!init.ring) throw new Error('FakeWorker scripts the shared queue: build the Scheduler with `shared: true`');
    this.init = init;
    this.received.push(init);
    this.serial = init.serial;
    this.control = new Int32Array(init.control);
    this.signal = new Int32Array(init.signal);
    this.consumer = new RingConsumer({ control: init.signal, descriptors: init.ring.descriptors }, init.ring.completions, this.control, init.serial);
    this.learn(init.catalog);
    this.terminated = new Promise((resolve) => (this.markTerminated = resolve));
  }

  /** The pool's side of the channel. */
  receive(message: MainToWorker): void {
    if (this.exited) return;
    this.received.push(message);
    if (message.type === 'catalog') this.learn(message);
    if (message.type === 'run') this.inbox.push(...message.units);
  }

  /** Takes the next posted unit, claiming RUNNING as the runtime does. Undefined if none was posted. */
  takePosted(): TakenUnit | undefined {
    const unit = this.inbox.shift();
    if (!unit) return undefined;
    if (!claimRunning(this.control, unit.id)) throw new Error(`worker ${this.serial} was stopped: it cannot take a unit`);
    this.held = {
      id: unit.id,
      slot: unit.slot,
      kernel: unit.kernel,
      kind: unit.items ? UnitKind.CHUNK_PAYLOAD : UnitKind.APPLY_PAYLOAD,
      timed: unit.timed === true,
      args: unit.args,
      items: unit.items,
      posted: true,
    };
    return this.held;
  }

  /** Messages it posted that the pool has not read yet. */
  get unread(): readonly WorkerToMain[] {
    return this.outbox;
  }

  /** Hands every message it posted to the pool (what an event-loop turn or receiveMessageOnPort does). */
  deliver(): void {
    while (this.outbox.length > 0) this.events.message(this.outbox.shift()!);
  }

  post(message: WorkerToMain): void {
    if (!this.exited) this.outbox.push(message);
  }

  // ---- taking a unit ---------------------------------------------------------------------------------------

  /** RingConsumer.take(): the whole take, as a live thread does it. Returns undefined if the queue is empty. */
  take(): TakenUnit | undefined {
    const got = this.consumer.take(this.scratch.i32);
    if (got === TAKE_NOTHING) return undefined;
    if (got === TAKE_STOPPED) throw new Error(`worker ${this.serial} was stopped: it cannot take a unit`);
    this.held = this.decode();
    return this.held;
  }

  /** A thread inside take() that got LOCK and did nothing else yet. */
  holdLock(): void {
    if (Atomics.compareExchange(this.consumer.views.cells, QueueCell.LOCK, 0, this.serial) !== 0) throw new Error('LOCK is held already');
  }

  /** A thread inside take() that holds LOCK and marked the next entry as its running unit, but has not advanced TAKEN. */
  markRunning(): number {
    this.holdLock();
    const cells = this.consumer.views.cells;
    const entry = (Atomics.load(cells, QueueCell.TAKEN) & RING_MASK) * DESCRIPTOR_INT32S;
    const id = this.consumer.views.i32[entry + DescriptorCell.ID];
    if (!claimRunning(this.control, id)) throw new Error(`worker ${this.serial} was stopped: it cannot take a unit`);
    return id;
  }

  private decode(): TakenUnit {
    const d = this.scratch.i32;
    if (this.kernels[d[DescriptorCell.KERNEL]] === undefined)
      throw new Error(`descriptor names kernel ${d[DescriptorCell.KERNEL]}, which no catalog message announced`);
    if (!canReadDescriptor(d, this.kernels, this.arena))
      throw new Error(`descriptor names arena page ${d[DescriptorCell.PAYLOAD_PAGE]}, which no catalog message announced`);
    const unit = readDescriptor(this.scratch, this.kernels, this.arena, deserialize);
    return { id: unit.id, slot: unit.slot, kernel: unit.kernel, kind: descriptorKind(d), timed: unit.timed === true, args: unit.args, items: unit.items };
  }

  // ---- running it (runtime.ts order) -----------------------------------------------------------------------

  private slotPage(unit: TakenUnit): [SlotPageViews, number] {
    return [this.pages[unit.slot >>> SLOT_PAGE_SHIFT], unit.slot & SLOT_INDEX_MASK];
  }

  /**
   * Claims an apply's slot (PENDING → RUNNING) and sends `started` for a timed unit. Returns false when the
   * main thread cancelled it first: the worker then releases RUNNING and publishes SKIPPED, as the runtime does.
   */
  claim(): boolean {
    const unit = this.mustHold();
    if (unit.items === undefined) {
      const [page, index] = this.slotPage(unit);
      if (!claimSlot(page, index)) {
        releaseRunning(this.control, unit.id);
        this.publish(Outcome.SKIPPED, false);
        return false;
      }
    }
    if (unit.timed) this.post({ type: 'started', id: unit.id });
    return true;
  }

  /** Releases RUNNING (id → 0); false if the main thread stopped this worker first (the outcome is dropped). */
  release(): boolean {
    const unit = this.mustHold();
    return releaseRunning(this.control, unit.id);
  }

  /** After release(): writes a numeric apply value into the slot (value, then state NUMBER). */
  writeNumber(value: number): void {
    const [page, index] = this.slotPage(this.mustHold());
    writeNumber(page, index, value);
  }

  /** After release(): posts a value (or error) by message, then marks an apply's slot MESSAGE. */
  writeMessage(message: { value: unknown } | { error: Error }): void {
    const unit = this.mustHold();
    if ('value' in message) this.post({ type: 'result', id: unit.id, value: message.value });
    else this.post({ type: 'error', id: unit.id, error: { name: message.error.name, message: message.error.message, origin: 'throw' } });
    if (unit.items === undefined) {
      const [page, index] = this.slotPage(unit);
      markMessage(page, index);
    }
  }

  /** After the value is written: counts the unit down, then publishes its completion (countDown() + complete()). */
  publish(outcome: number, countDown = true): void {
    if (countDown) this.countDown();
    this.complete(outcome);
  }

  /** Decrements the result's `remaining` count: a reader that then sees 0 finds the value. */
  countDown(): void {
    const [page, index] = this.slotPage(this.mustHold());
    countDownSlot(page, index);
  }

  /** Publishes the completion into this worker's ring and bumps the pool signal; the unit is no longer held. */
  complete(outcome: number): void {
    const unit = this.mustHold();
    if (!unit.posted) this.consumer.complete(unit.id, outcome, performance.timeOrigin + performance.now(), 0);
    else if (outcome !== Outcome.MESSAGE) {
      const skipped = outcome === Outcome.SKIPPED;
      this.post({ type: 'done', ids: [unit.id], startedAt: [performance.timeOrigin + performance.now()], runMs: [skipped ? -1 : 0] });
    }
    notifyPool(this.signal);
    this.held = undefined;
  }

  /** Takes a unit and finishes it: numbers go in the slot (apply) or over the items (numeric chunk), the rest by message. */
  runNext(kernel: (...args: unknown[]) => unknown): TakenUnit | undefined {
    const unit = this.take();
    if (!unit) return undefined;
    if (!this.claim()) return unit;
    if (unit.kind === UnitKind.CHUNK_NUMBERS) {
      const items = unit.items as Float64Array;
      for (let i = 0; i < items.length; i++) items[i] = kernel(items[i]) as number;
      if (!this.release()) return unit;
      this.publish(Outcome.IN_PLACE);
      return unit;
    }
    const value = unit.items ? (unit.items as unknown[]).map((item) => kernel(item)) : kernel(...unit.args!);
    if (!this.release()) return unit;
    if (typeof value === 'number' && unit.items === undefined) {
      this.writeNumber(value);
      this.publish(Outcome.NUMBER);
    } else {
      this.writeMessage({ value });
      this.publish(Outcome.MESSAGE);
    }
    return unit;
  }

  private mustHold(): TakenUnit {
    if (!this.held) throw new Error(`worker ${this.serial} holds no unit`);
    return this.held;
  }

  // ---- dying -----------------------------------------------------------------------------------------------

  /** The thread ends: its exit hook marks EXITING (as node-entry.ts does), then the transport reports the exit. */
  exit(code: number | undefined = 1, error?: unknown): void {
    if (this.exited) return;
    this.exited = true;
    this.outbox.length = 0;
    if (code !== undefined) {
      announceExit(this.control, code);
    }
    this.events.exit({ code, error } satisfies WorkerExit);
    this.markTerminated();
  }

  readonly handle: WorkerHandle = {
    post: (message) => this.receive(message),
    drainSync: () => {
      this.deliver();
      return true;
    },
    setBusy: () => {},
    terminate: () => {
      this.terminateRequested = true;
      return this.terminated;
    },
  };

  private learn(catalog: Catalog): void {
    catalog.kernels?.forEach((name, i) => (this.kernels[(catalog.kernelsFrom ?? 0) + i] = name));
    catalog.slotPages?.forEach((buffer, i) => (this.pages[(catalog.slotPagesFrom ?? 0) + i] = viewSlotPage(buffer)));
    for (const [id, buffer] of catalog.arenaPages ?? []) this.arena.set(id, buffer);
    for (const id of catalog.forgetPages ?? []) this.arena.delete(id);
    for (const index of catalog.forgetKernels ?? []) this.kernels[index] = '';
  }
}

/** Spawns FakeWorkers; `workers` lists every one ever spawned, in order. */
export class FakeTransport implements Transport {
  readonly canBlock = true;
  readonly readsMessagesSync: boolean = true;
  readonly workers: FakeWorker[] = [];

  defaultWorkers(): number {
    return 1;
  }

  spawn(events: WorkerEvents): WorkerHandle {
    // The Scheduler posts `init` right after spawn() returns: the worker is built from it.
    const spawned = this.workers;
    let worker: FakeWorker | undefined;
    const early: Array<() => void> = [];
    return {
      post(message) {
        if (!worker) {
          worker = new FakeWorker(events, message);
          spawned.push(worker);
          for (const run of early) run();
          return;
        }
        worker.receive(message);
      },
      drainSync: () => worker?.handle.drainSync() ?? true,
      setBusy: () => {},
      terminate: () => {
        if (!worker) return new Promise<void>((resolve) => early.push(() => void worker!.handle.terminate().then(resolve)));
        return worker.handle.terminate();
      },
    };
  }

  /** Workers still running (not exited). */
  get live(): FakeWorker[] {
    return this.workers.filter((w) => !w.exited);
  }

  /** The newest worker that has not exited. */
  get latest(): FakeWorker {
    const live = this.live;
    if (live.length === 0) throw new Error('no live fake worker');
    return live[live.length - 1];
  }

  /** Ends every worker the pool asked to terminate (their threads exit). */
  exitTerminated(): void {
    for (const worker of this.workers) if (worker.terminateRequested && !worker.exited) worker.exit(undefined);
  }
}

/**
 * A worker that is the real WorkerRuntime (src/worker/runtime.ts), connected in-process: the pool's messages
 * reach it structured-cloned on a later microtask (as a MessagePort delivers them), its messages come back
 * cloned too (so a value that cannot be cloned fails as it would between threads), and its JS module is the
 * object of kernels the test gives. It runs by itself, like a thread; the test decides where it dies by making
 * a kernel wait on a promise that never settles and then calling exit().
 */
export class RuntimeWorker {
  readonly runtime: WorkerRuntime;
  exited = false;
  terminateRequested = false;
  /** Every message the runtime posted, in order (for assertions on the protocol). */
  readonly posted: WorkerToMain[] = [];
  private readonly outbox: WorkerToMain[] = [];
  private cells: { queue: Int32Array } | undefined;
  private delivering = false;
  private readonly terminated: Promise<void>;
  private markTerminated: () => void = () => {};

  constructor(
    private readonly events: WorkerEvents,
    kernels: Record<string, (...args: never[]) => unknown>,
  ) {
    this.runtime = new WorkerRuntime({
      post: (message, transfer) => {
        if (this.exited) return;
        const copy = structuredClone(message, { transfer: transfer as Transferable[] | undefined }); // throws DataCloneError as postMessage does
        this.posted.push(copy);
        this.outbox.push(copy);
        this.deliverSoon();
      },
      services: { writeLine: () => {} },
      importUrl: () => Promise.resolve(kernels),
      deserialize: (bytes) => deserialize(bytes) as unknown,
    });
    this.terminated = new Promise((resolve) => (this.markTerminated = resolve));
  }

  readonly handle: WorkerHandle = {
    post: (message) => {
      if (message.type === 'init') this.cells = { queue: new Int32Array(message.signal) };
      const copy = structuredClone(message);
      queueMicrotask(() => {
        if (!this.exited && !this.terminateRequested) this.runtime.handle(copy);
      });
    },
    drainSync: () => {
      this.deliver();
      return true;
    },
    setBusy: () => {},
    terminate: () => {
      this.terminateRequested = true;
      // A terminated thread runs nothing more; its exit is reported on a later turn, as Node does.
      queueMicrotask(() => this.exit(1));
      return this.terminated;
    },
  };

  /** The thread ends: nothing it does afterwards reaches the pool. */
  exit(code = 1): void {
    if (this.exited) return;
    this.exited = true;
    this.outbox.length = 0;
    this.runtime.markExiting(code);
    this.events.exit({ code, error: undefined });
    this.markTerminated();
    // The pool has seen the exit: now end the runtime's loop too, as the thread's end would. Without its ring
    // the loop returns at its next turn (the notify wakes it if it is parked); a kernel still pending never
    // settles. WorkerRuntime has no public way to stop, so its private `ring` is dropped here.
    (this.runtime as unknown as { ring: unknown }).ring = undefined;
    if (this.cells) Atomics.notify(this.cells.queue, QueueCell.PUSHED);
  }

  private deliverSoon(): void {
    if (this.delivering) return;
    this.delivering = true;
    setImmediate(() => {
      this.delivering = false;
      this.deliver();
    });
  }

  private deliver(): void {
    while (this.outbox.length > 0 && !this.exited) this.events.message(this.outbox.shift()!);
  }
}

/** Spawns RuntimeWorkers running `kernels`. */
export class RuntimeTransport implements Transport {
  readonly canBlock = false;
  readonly readsMessagesSync = true;
  readonly workers: RuntimeWorker[] = [];

  constructor(private readonly kernels: Record<string, (...args: never[]) => unknown>) {}

  defaultWorkers(): number {
    return 1;
  }

  spawn(events: WorkerEvents): WorkerHandle {
    const worker = new RuntimeWorker(events, this.kernels);
    this.workers.push(worker);
    return worker.handle;
  }

  get live(): RuntimeWorker[] {
    return this.workers.filter((w) => !w.exited);
  }
}
