import { SHARED_MEMORY_AVAILABLE } from '../abi/shared-buffer.js';
import type { SlotTable } from '../abi/slot-table.js';
import type { UnitMessage } from '../abi/protocol.js';
import type { Deadlines } from './deadlines.js';
import type { Job, Unit } from './jobs.js';
import type { WorkerSlot } from './worker-slot.js';

/**
 * The books on units: creates them, records them coming back from workers, settles each exactly once,
 * and gives a result's completion slot back once its job is settled and no worker holds a unit of it.
 */
export class Ledger {
  private nextId = 1;
  /** The apply unit behind each slot in use, so a blocked reader can take a number from its slot. */
  private readonly applyBySlot: Array<Unit | undefined> = [];

  constructor(
    private readonly slots: SlotTable,
    private readonly deadlines: Deadlines,
  ) {}

  newUnit(job: Job, message: Omit<UnitMessage, 'id' | 'slot'>, index: number, size: number, timeout?: number): Unit {
    const id = this.nextId;
    this.nextId = this.nextId >= 0x7ffffffe ? 1 : this.nextId + 1;
    // One object shape for every unit message (no spread): the hot path of a 10,000-task burst.
    const unitMessage: UnitMessage = {
      id,
      slot: job.slot,
      kernel: message.kernel,
      args: message.args,
      items: message.items,
      star: message.star,
      timed: message.timed,
    };
    const unit: Unit = { id, job, message: unitMessage, index, size, timeout, deadline: Infinity, settled: false };
    if (message.items === undefined && job.slot >= 0) this.applyBySlot[job.slot] = unit;
    return unit;
  }

  /** The apply unit whose result lives in `slot`, if it is still in use. */
  applyUnitOf(slot: number): Unit | undefined {
    return this.applyBySlot[slot];
  }

  /** Removes unit `id` from `worker`'s books; returns it unless it was already back. */
  takeBack(worker: WorkerSlot, id: number): Unit | undefined {
    const unit = worker.inFlight.get(id);
    if (!unit) return undefined;
    worker.inFlight.delete(id);
    this.returned(unit);
    return unit;
  }

  /** A unit left its worker (finished, skipped, or the worker is gone). */
  returned(unit: Unit): void {
    unit.job.outstanding--;
    if (unit.timeout !== undefined) this.deadlines.forget(unit);
    this.maybeRelease(unit.job);
  }

  /** Settles a unit the worker could not finish (crash, timeout, cancel): the flag is counted down here. */
  failHere(unit: Unit, error: Error): void {
    if (unit.settled) return;
    if (unit.job.slot >= 0) this.slots.completeUnit(unit.job.slot);
    this.settle(unit, false, error);
  }

  /**
   * Settles a unit its worker reported. Without shared memory the worker's countdown
   * happened on its own copy of the slot, so it is repeated here on the main thread's.
   */
  settleFromWorker(unit: Unit, ok: boolean, value: unknown): void {
    if (!SHARED_MEMORY_AVAILABLE && unit.job.slot >= 0) this.slots.completeUnit(unit.job.slot);
    this.settle(unit, ok, value);
  }

  /** Settles a unit's share of its job. */
  settle(unit: Unit, ok: boolean, value: unknown): void {
    if (unit.settled) return;
    unit.settled = true;
    if (unit.timeout !== undefined) this.deadlines.forget(unit);
    if (ok) unit.job.unitSucceeded(unit, value);
    else unit.job.unitFailed(unit, value as Error);
    this.maybeRelease(unit.job);
  }

  private maybeRelease(job: Job): void {
    if (job.settled && job.outstanding === 0 && job.slot >= 0) {
      this.applyBySlot[job.slot] = undefined;
      this.slots.release(job.slot);
      (job as { slot: number }).slot = -1;
    }
  }
}
