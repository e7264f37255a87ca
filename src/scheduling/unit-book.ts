import type { ArenaBlock, PayloadArena } from '../abi/payload-arena.js';
import type { SlotTable } from '../abi/slot-table.js';
import type { Deadlines } from './deadlines.js';
import { Place, type Job, type JobResources, type Unit } from './jobs.js';
import type { Outbox } from './outbox.js';
import type { WorkerNode } from './worker-node.js';
import type { WorkerSet } from './worker-set.js';

export interface UnitBookParts {
  slots: SlotTable;
  /** The payload arena (shared memory only): a unit's block is freed as it comes back. */
  arena: PayloadArena | undefined;
  deadlines: Deadlines;
  outbox: Outbox;
  workers: WorkerSet;
}

/**
 * The unit book: where every unit is, whether it is settled, and when its job gives back what it holds. Every
 * change of a unit's place or settlement is one of these methods.
 *
 * A unit's places (Unit.place) and the moves between them:
 *
 *   QUEUED ──placeShared──▶ SHARED ──giveBack──▶ RETURNED
 *     │ ▲                     │
 *     │ └──────requeue────────┘   (taken back out of the shared queue for higher-priority work, or cancelled)
 *     │ ┌──────requeue────────┐   (its worker was gone before it ran it)
 *     │ ▼                     │
 *     └────placePosted──▶ POSTED ──giveBack──▶ RETURNED
 *
 * and QUEUED ──giveBack──▶ RETURNED for a unit that never reached a worker (failQueued, or skipped as cancelled).
 * RETURNED is final. Settling (`settle`, `failHere`) is independent of the place and happens once: a worker may
 * still hold a settled unit (its value is dropped), and a unit can be back before it is settled (its value is
 * on its way by message).
 *
 * Invariant: `units` holds exactly the units that are SHARED or POSTED, and the RETURNED ones that are not yet
 * settled or still await their completion entry (`awaitingCompletion`). A job's counts change only here:
 * `outstanding` is its units admitted and not yet given back, `owed` those given back early whose completion
 * entry is still to come, `uncounted` those settled here that no worker counted down. A job is released
 * (`release`) once it is settled and none of its units is outstanding; its slot once, besides, nothing is owed.
 */
export class UnitBook {
  /** Every unit that left a queue and is not yet both settled and back (see the invariant). */
  readonly #units = new Map<number, Unit>();
  /** Each map's units, for cancelJob (an iterator left early); the entry goes as the job is released. */
  readonly #mapUnits = new WeakMap<Job, Unit[]>();

  constructor(private readonly parts: UnitBookParts) {}

  /** Units in the book (see the invariant). */
  get size(): number {
    return this.#units.size;
  }

  get(id: number): Unit | undefined {
    return this.#units.get(id);
  }

  /** A snapshot of the units in the book. */
  held(): Unit[] {
    return [...this.#units.values()];
  }

  /** Remembers a map's units, so that cancelJob can find them. */
  trackMap(job: Job, units: Unit[]): void {
    this.#mapUnits.set(job, units);
  }

  unitsOf(job: Job): readonly Unit[] | undefined {
    return this.#mapUnits.get(job);
  }

  // ---- places --------------------------------------------------------------------------------------------

  /** New units of one submission, QUEUED: each is outstanding for its job until it is given back. */
  admit(units: readonly Unit[]): void {
    for (const unit of units) unit.job.outstanding++;
  }

  /** QUEUED → SHARED: its descriptor was written into the shared work queue; `block` holds its payload until it is back. */
  placeShared(unit: Unit, block: ArenaBlock | undefined): void {
    unit.block = block;
    unit.place = Place.SHARED;
    unit.job.inShared++;
    this.#units.set(unit.id, unit);
  }

  /** QUEUED → POSTED: it was posted to `worker` in a `run` message. */
  placePosted(unit: Unit, worker: WorkerNode): void {
    unit.place = Place.POSTED;
    unit.worker = worker.serial;
    worker.holdPosted(unit);
    this.#units.set(unit.id, unit);
  }

  /** SHARED or POSTED → QUEUED: back in a waiting queue, its payload block kept (the caller queues it). */
  requeue(unit: Unit): void {
    if (unit.place === Place.SHARED) unit.job.inShared--;
    unit.place = Place.QUEUED;
    this.#units.delete(unit.id);
  }

  /**
   * No worker holds the unit any more. `early`: a shared unit whose value came by message: its completion entry
   * is still to come (it carries the unit's timings, frees its room, and follows the worker's countdown), so the
   * unit stays in the books, and its job keeps its slot, until then (see completionDone). Its memory (payload
   * block, the job's temporaries) is free now: the worker posts a value once the kernel is done with it.
   */
  giveBack(unit: Unit, early = false): void {
    if (unit.place === Place.RETURNED) return;
    if (early) {
      unit.awaitingCompletion = true;
      unit.job.owed++;
    }
    if (unit.place === Place.POSTED) this.parts.workers.bySerial(unit.worker)?.releasePosted(unit.id);
    if (unit.place === Place.SHARED) unit.job.inShared--;
    unit.place = Place.RETURNED;
    unit.job.outstanding--;
    if (unit.block) {
      this.parts.arena!.free(unit.block);
      unit.block = undefined;
    }
    if (unit.settled && !unit.awaitingCompletion) this.#units.delete(unit.id);
    else this.#units.set(unit.id, unit); // its value, or its completion entry, is still on its way
    this.release(unit.job);
  }

  /**
   * The completion entry of a unit whose value came by message was read (`lost`: or will never come, its worker
   * being gone). The worker counts down before publishing; one that died first did not, unless its apply slot
   * reads 0 already.
   */
  completionDone(unit: Unit, lost: boolean): void {
    unit.awaitingCompletion = false;
    const job = unit.job;
    if (lost && !(unit.isApply && job.slot >= 0 && this.parts.slots.isReady(job.slot))) job.uncounted++;
    job.owed--;
    if (unit.settled) this.#units.delete(unit.id);
    this.release(job);
  }

  // ---- the one settle path -------------------------------------------------------------------------------

  settle(unit: Unit, ok: boolean, value: unknown): void {
    if (unit.settled) return;
    unit.settled = true;
    if (unit.timeout !== undefined) this.parts.deadlines.forget(unit);
    if (ok) unit.job.unitSucceeded(unit, value, this.parts.outbox);
    else unit.job.unitFailed(unit, value as Error, this.parts.outbox);
    if (unit.place === Place.RETURNED) this.#units.delete(unit.id);
    this.release(unit.job);
  }

  /**
   * Settles an apply whose worker died after writing its number into the slot: if it died before counting it
   * down too, the job remembers the count, or the slot would never drain.
   */
  settleFromSlot(unit: Unit): void {
    const slots = this.parts.slots;
    if (!slots.isReady(unit.job.slot)) unit.job.uncounted++;
    this.settle(unit, true, slots.numberValue(unit.job.slot));
  }

  /**
   * Settles a unit no worker will report (crash, timeout, cancel, terminate). Its countdown is not done here:
   * while the job is pending only workers count down, so a slot can never read ready one unit early (a worker
   * that counted just before dying is not counted twice); the job remembers it, and the slot is squared when
   * released.
   */
  failHere(unit: Unit, error: Error): void {
    if (unit.settled) return;
    // An apply's count is 1: if it reads 0, its worker counted it down before it died.
    if (!(unit.isApply && unit.job.slot >= 0 && this.parts.slots.isReady(unit.job.slot))) unit.job.uncounted++;
    this.settle(unit, false, error);
  }

  /** Fails a unit no worker ever held, and gives it back. */
  failQueued(unit: Unit, error: Error): void {
    this.failHere(unit, error);
    this.giveBack(unit);
  }

  /** Gives back what a settled job held: its memory once no worker holds a unit, its slot once every countdown is in. */
  release(job: Job): void {
    if (job.pending || job.outstanding > 0) return;
    if (job.slot >= 0 && job.owed === 0) {
      this.parts.slots.release(job.slot, job.uncounted);
      job.slot = -1;
    }
    this.#mapUnits.delete(job);
    job.resources?.release?.();
    (job as { resources: JobResources | undefined }).resources = undefined;
  }
}
