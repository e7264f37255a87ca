import { describe, expect, it } from 'vitest';
import { ApplyJob, Unit } from '../../src/scheduling/jobs.js';
import { UnitQueue } from '../../src/scheduling/unit-queue.js';

const job = new ApplyJob(-1, 'k', undefined, undefined, undefined);
const unit = (id: number): Unit => new Unit(id, job, [], -1, false, undefined, undefined);
const ids = (units: Array<Unit | undefined>): Array<number | undefined> => units.map((u) => u?.id);

describe('UnitQueue', () => {
  it('is first in, first out', () => {
    const queue = new UnitQueue();
    [1, 2, 3].forEach((id) => queue.push(unit(id)));
    expect(queue.length).toBe(3);
    expect(ids([queue.shift(), queue.shift()])).toEqual([1, 2]);
    expect(queue.length).toBe(1);
    expect(queue.shift()?.id).toBe(3);
    expect(queue.shift()).toBeUndefined();
    expect(queue.length).toBe(0);
  });

  it('puts requeued units back at the front, in their order', () => {
    const queue = new UnitQueue();
    [1, 2, 3].forEach((id) => queue.push(unit(id)));
    queue.shift();
    queue.unshiftAll([unit(7), unit(8)]);
    expect(ids(queue.drain())).toEqual([7, 8, 2, 3]);
    expect(queue.length).toBe(0);
  });

  it('removes a unit wherever it waits', () => {
    const queue = new UnitQueue();
    const units = [1, 2, 3].map(unit);
    units.forEach((u) => queue.push(u));
    queue.remove(units[1]);
    queue.remove(unit(9)); // not queued: nothing happens
    expect(ids(queue.drain())).toEqual([1, 3]);
  });

  it('stays in order across its compaction of a long consumed prefix', () => {
    const queue = new UnitQueue();
    for (let id = 1; id <= 5000; id++) queue.push(unit(id));
    const taken: number[] = [];
    for (let i = 0; i < 3000; i++) taken.push(queue.shift()!.id);
    queue.push(unit(5001));
    expect(taken).toEqual(Array.from({ length: 3000 }, (_, i) => i + 1));
    expect(queue.length).toBe(2001);
    expect(queue.shift()?.id).toBe(3001);
    expect(ids(queue.drain()).at(-1)).toBe(5001);
  });
});
