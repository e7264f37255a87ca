// The unit book on its own: place transitions, the one settle path, and when a job gives back what it holds.
import { describe, expect, it } from 'vitest';
import { PayloadArena } from '../../src/abi/payload-arena.js';
import { SlotTable } from '../../src/abi/slot-table.js';
import { Deadlines } from '../../src/scheduling/deadlines.js';
import { ApplyJob, MapJob, Place, Unit, type JobResources } from '../../src/scheduling/jobs.js';
import { Outbox } from '../../src/scheduling/outbox.js';
import { UnitBook } from '../../src/scheduling/unit-book.js';
import { WorkerNode } from '../../src/scheduling/worker-node.js';
import type { WorkerSet } from '../../src/scheduling/worker-set.js';

function makeBook() {
  const slots = new SlotTable();
  const arena = new PayloadArena({ pageAdded: () => {}, pageForgotten: () => {} });
  const worker = new WorkerNode(1, true);
  const workers = { bySerial: (serial: number) => (serial === worker.serial ? worker : undefined) } as unknown as WorkerSet;
  const book = new UnitBook({ slots, arena, deadlines: new Deadlines(() => {}), outbox: new Outbox(), workers });
  return { book, slots, arena, worker };
}

function counted(): { resources: JobResources; released: () => number } {
  let released = 0;
  return { resources: { release: () => void released++ }, released: () => released };
}

describe('UnitBook', () => {
  it('an apply through the shared queue: held while SHARED, given back and released once settled', () => {
    const { book, slots } = makeBook();
    const { resources, released } = counted();
    const values: unknown[] = [];
    const job = new ApplyJob(slots.allocate(1), 'add', resources, (v) => values.push(v), undefined);
    const unit = new Unit(1, job, [1, 2], -1, false, undefined, undefined, 0);
    book.admit([unit]);
    expect(job.outstanding).toBe(1);
    book.placeShared(unit, undefined);
    expect([unit.place, book.size, book.get(1)]).toEqual([Place.SHARED, 1, unit]);
    book.settle(unit, true, 3);
    expect(values).toEqual([3]);
    expect(book.size).toBe(1); // a worker still holds it
    expect(released()).toBe(0);
    book.giveBack(unit);
    expect([unit.place, book.size, job.outstanding, released()]).toEqual([Place.RETURNED, 0, 0, 1]);
    book.settle(unit, true, 4); // settled once only
    book.giveBack(unit); // RETURNED is final
    expect([values, job.outstanding, released()]).toEqual([[3], 0, 1]);
  });

  it('a posted unit is held by its worker until it is back; requeue takes it out of the book', () => {
    const { book, slots, worker } = makeBook();
    const job = new ApplyJob(slots.allocate(1), 'add', undefined, undefined, undefined);
    const unit = new Unit(2, job, [1], -1, false, undefined, undefined, 0);
    book.admit([unit]);
    book.placePosted(unit, worker);
    expect([unit.place, unit.worker, worker.posted.get(2), worker.postedCount]).toEqual([Place.POSTED, 1, unit, 1]);
    book.requeue(unit); // its worker died before running it
    expect([unit.place, book.size]).toEqual([Place.QUEUED, 0]);
    book.placePosted(unit, worker);
    book.giveBack(unit);
    expect([worker.posted.size, book.size]).toEqual([0, 1]); // back, not yet settled: its value is on its way
    book.settle(unit, true, 1);
    expect(book.size).toBe(0);
  });

  it('a value by message before the completion entry: the job keeps its slot until the entry is read', () => {
    const { book, slots } = makeBook();
    const { resources, released } = counted();
    const job = new ApplyJob(slots.allocate(1), 'k', resources, undefined, undefined);
    const unit = new Unit(3, job, ['x'], -1, false, undefined, undefined, 0);
    book.admit([unit]);
    book.placeShared(unit, undefined);
    book.settle(unit, true, 'value');
    book.giveBack(unit, true);
    expect([unit.awaitingCompletion, job.owed, book.size, released()]).toEqual([true, 1, 1, 1]);
    expect(job.slot).toBeGreaterThanOrEqual(0); // the worker has still to count it down
    book.completionDone(unit, false);
    expect([unit.awaitingCompletion, job.owed, book.size, job.slot]).toEqual([false, 0, 0, -1]);
  });

  it('failHere remembers a count no worker did, and the slot is squared as it is released', () => {
    const { book, slots } = makeBook();
    const errors: Error[] = [];
    const job = new MapJob(slots.allocate(2), 'k', undefined, 2, 1, { errorCallback: (e) => errors.push(e) });
    const units = [0, 1].map((i) => new Unit(10 + i, job, new Float64Array([i]), i, false, undefined, undefined, 0));
    book.admit(units);
    book.trackMap(job, units);
    expect(book.unitsOf(job)).toBe(units);
    for (const unit of units) book.failQueued(unit, new Error('cancelled'));
    expect(job.uncounted).toBe(2);
    expect(errors).toHaveLength(1);
    expect(slots.inUse).toBe(0); // released with its two uncounted units taken off
    expect(book.unitsOf(job)).toBeUndefined();
  });

  it('frees a unit’s payload block as it comes back', () => {
    const { book, slots, arena } = makeBook();
    const job = new MapJob(slots.allocate(1), 'k', undefined, 1, 1, {});
    const unit = new Unit(20, job, new Float64Array([1, 2]), 0, false, undefined, undefined, 0);
    book.admit([unit]);
    book.placeShared(unit, arena.allocate(16));
    expect(arena.liveBlocks).toBe(1);
    book.giveBack(unit);
    expect([arena.liveBlocks, unit.block]).toEqual([0, undefined]);
  });
});
