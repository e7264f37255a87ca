import { SlotState } from '../abi/layout.js';
import { SHARED_MEMORY_AVAILABLE } from '../abi/shared-buffer.js';
import type { SlotTable } from '../abi/slot-table.js';
import type { ResultHost } from '../async-result.js';
import type { WorkerExit } from '../transport/types.js';
import type { Batcher } from './batcher.js';
import type { Deadlines } from './deadlines.js';
import type { Unit } from './jobs.js';
import type { Ledger } from './ledger.js';
import type { UnitQueue } from './unit-queue.js';
import type { WorkerSet } from './worker-set.js';
import type { WorkerSlot } from './worker-slot.js';

/** What the reader needs from the dispatcher when reading results finishes a worker's units or finds it dead. */
export interface ReaderCallbacks {
  ownerOf(unit: Unit): WorkerSlot | undefined;
  afterReturn(worker: WorkerSlot): void;
  workerGone(worker: WorkerSlot, exit: WorkerExit): void;
}

/**
 * The side of the pool that AsyncResult talks to: everything ready(), successful() and getSync() need,
 * done synchronously, without an event-loop turn — read slots, drain ports, notice dead workers,
 * enforce task deadlines, and keep queued work moving.
 */
export class SyncReader implements ResultHost {
  constructor(
    readonly signal: Int32Array,
    readonly canBlock: boolean,
    readonly readsMessagesSync: boolean,
    private readonly slots: SlotTable,
    private readonly ledger: Ledger,
    private readonly workers: WorkerSet,
    private readonly queue: UnitQueue,
    private readonly batcher: Batcher,
    private readonly deadlines: Deadlines,
    private readonly dispatcher: ReaderCallbacks,
  ) {}

  isSlotReady(slot: number): boolean {
    return this.slots.isReady(slot);
  }

  /**
   * The flag of `slot` is set: take its value. A number is read straight from the slot, which beats
   * waiting for the worker's batched notice (a blocked getSync() would otherwise sleep until the next
   * completion); anything else arrives by message, so pump.
   */
  takeFromSlot(slot: number): void {
    const unit = this.ledger.applyUnitOf(slot);
    if (!unit || unit.settled || this.slots.state(slot) !== SlotState.NUMBER) return this.pump();
    // The worker is done with it: take it back now, not when the notice arrives, so the worker counts
    // as free again even for a caller that never yields (the notice would wait for an event-loop turn).
    const worker = this.dispatcher.ownerOf(unit);
    this.settleNumber(worker, unit);
    if (worker) this.dispatcher.afterReturn(worker);
    this.batcher.flushIfScheduled();
  }

  advance(): void {
    if (this.queue.length > 0) this.pump();
  }

  pump(): void {
    this.batcher.flushIfScheduled();
    for (const worker of [...this.workers.live]) {
      if (!worker.handle.drainSync()) this.settleFromSlots(worker);
      if (worker.exiting && !worker.gone) this.dispatcher.workerGone(worker, { code: worker.exitCode, error: undefined });
    }
    if (this.deadlines.size > 0) this.deadlines.enforce();
    this.batcher.flushIfScheduled();
  }

  maxSleepMs(): number {
    // Also wake now and then: a worker killed from outside sets no flag.
    return Math.max(0, Math.min(this.deadlines.untilNext(), 50));
  }

  /**
   * Where a worker's messages cannot be read synchronously (a browser), settles what the shared
   * slots alone tell: an apply whose number is already in the slab. So successful() agrees with
   * ready() without an event-loop turn; a value that travels by message still needs one.
   */
  private settleFromSlots(worker: WorkerSlot): void {
    if (!SHARED_MEMORY_AVAILABLE) return;
    let settled = false;
    for (const unit of [...worker.inFlight.values()]) {
      if (unit.settled || unit.message.items !== undefined || this.slots.state(unit.job.slot) !== SlotState.NUMBER) continue;
      this.settleNumber(worker, unit);
      settled = true;
    }
    if (settled) this.dispatcher.afterReturn(worker);
  }

  /** An apply unit whose number is in its slot: back from its worker, and settled with that number. */
  private settleNumber(worker: WorkerSlot | undefined, unit: Unit): void {
    if (worker) this.ledger.takeBack(worker, unit.id);
    this.ledger.settle(unit, true, this.slots.numberValue(unit.job.slot));
  }
}
