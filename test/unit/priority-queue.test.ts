import { describe, expect, it } from 'vitest';
import { DEFAULT_AGING_INTERVAL, PriorityQueue } from '../../src/scheduling/priority-queue.js';

interface Item {
  readonly priority: number;
  readonly name: string;
}

const item = (name: string, priority = 0): Item => ({ name, priority });
const names = (items: Iterable<Item | undefined>): (string | undefined)[] => [...items].map((i) => i?.name);

function shiftAll(queue: PriorityQueue<Item>): string[] {
  const out: string[] = [];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) out.push(next.name);
  return out;
}

/** Strict priorities: these tests are about order, aging has its own. */
const strict = (): PriorityQueue<Item> => new PriorityQueue<Item>({ agingInterval: Infinity });

describe('PriorityQueue order', () => {
  it('is FIFO within one priority', () => {
    const queue = new PriorityQueue<Item>();
    for (const name of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']) queue.push(item(name));
    expect(queue.length).toBe(10);
    expect(shiftAll(queue)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']);
    expect(queue.length).toBe(0);
    expect(queue.shift()).toBeUndefined();
    expect(queue.peek()).toBeUndefined();
  });

  it('takes larger priorities first, FIFO within each, negative ones last', () => {
    const queue = strict();
    queue.push(item('low1', -1));
    queue.push(item('mid1'));
    queue.push(item('high1', 5));
    queue.push(item('mid2'));
    queue.push(item('high2', 5));
    queue.push(item('low2', -1));
    queue.push(item('top', 9));
    expect(names(queue)).toEqual(['top', 'high1', 'high2', 'mid1', 'mid2', 'low1', 'low2']);
    expect(shiftAll(queue)).toEqual(['top', 'high1', 'high2', 'mid1', 'mid2', 'low1', 'low2']);
  });

  it('peek shows what shift takes next, aging included', () => {
    const queue = new PriorityQueue<Item>({ agingInterval: 2 });
    queue.push(item('old', 0));
    queue.push(item('new', 1));
    queue.push(item('newer', 1));
    expect(queue.peek()?.name).toBe('new');
    expect(queue.shift()?.name).toBe('new');
    // The 2nd shift is an aging one: the oldest waiting item, whatever its priority.
    expect(queue.peek()?.name).toBe('old');
    expect(queue.shift()?.name).toBe('old');
    expect(queue.peek()?.name).toBe('newer');
    expect(queue.length).toBe(1);
  });

  it('puts unshifted items at the front of their priority, in the order given', () => {
    const queue = strict();
    queue.push(item('a'));
    queue.push(item('b'));
    queue.push(item('high', 1));
    queue.unshiftAll([item('crashed1'), item('crashed2')]);
    expect(shiftAll(queue)).toEqual(['high', 'crashed1', 'crashed2', 'a', 'b']);
  });

  it('counts requeued items as the oldest, so the next aging shift takes them', () => {
    const queue = new PriorityQueue<Item>({ agingInterval: 2 });
    queue.push(item('high1', 1));
    queue.push(item('high2', 1));
    queue.push(item('high3', 1));
    expect(queue.shift()?.name).toBe('high1');
    queue.unshift(item('requeued', 0));
    expect(queue.shift()?.name).toBe('requeued');
  });

  it('unshifts in O(1) into the room left by earlier shifts, and still in order when there is none', () => {
    const queue = strict();
    for (let i = 0; i < 3000; i++) queue.push(item(`n${i}`));
    for (let i = 0; i < 1500; i++) queue.shift();
    queue.unshift(item('back'));
    expect(queue.shift()?.name).toBe('back');
    expect(queue.shift()?.name).toBe('n1500');
    const fresh = strict();
    fresh.push(item('x'));
    fresh.unshift(item('first'));
    expect(shiftAll(fresh)).toEqual(['first', 'x']);
  });

  it('survives compaction with order and length intact', () => {
    const queue = strict();
    let pushed = 0;
    let shifted = 0;
    // Shift a little slower than pushing so the dead prefix grows past the compaction threshold many times.
    for (let round = 0; round < 200; round++) {
      for (let i = 0; i < 30; i++) queue.push(item(String(pushed++)));
      for (let i = 0; i < 29; i++) expect(queue.shift()?.name).toBe(String(shifted++));
    }
    expect(queue.length).toBe(pushed - shifted);
    expect(shiftAll(queue)).toEqual(Array.from({ length: pushed - shifted }, (_, i) => String(shifted + i)));
  });
});

describe('PriorityQueue removal', () => {
  it('skips removed items and counts them out of length at once', () => {
    const queue = strict();
    const b = item('b');
    const d = item('d', 1);
    for (const i of [item('a'), b, item('c'), d, item('e', 1)]) queue.push(i);
    queue.remove(b);
    queue.remove(d);
    expect(queue.length).toBe(3);
    expect(names(queue)).toEqual(['e', 'a', 'c']);
    expect(queue.peek()?.name).toBe('e');
    expect(shiftAll(queue)).toEqual(['e', 'a', 'c']);
  });

  it('removes the head item eagerly and the last live item empties the queue', () => {
    const queue = strict();
    const a = item('a');
    const b = item('b');
    queue.push(a);
    queue.push(b);
    queue.remove(b);
    queue.remove(a);
    expect(queue.length).toBe(0);
    expect(queue.shift()).toBeUndefined();
    expect([...queue]).toEqual([]);
  });

  it('answers false, changing nothing, for an item it can see is not waiting', () => {
    const queue = strict();
    const a = item('a');
    expect(queue.remove(a)).toBe(false);
    queue.push(a);
    queue.push(item('b'));
    const c = item('c');
    queue.push(c);
    expect(queue.remove(c)).toBe(true);
    expect(queue.remove(c)).toBe(false);
    expect(queue.remove(item('other priority', 4))).toBe(false);
    expect(queue.length).toBe(2);
    expect(shiftAll(queue)).toEqual(['a', 'b']);
  });

  it('lets a removed item be queued again, in its new place only', () => {
    const queue = strict();
    const b = item('b');
    queue.push(item('a'));
    queue.push(b);
    queue.push(item('c'));
    queue.remove(b);
    queue.unshift(b);
    expect(queue.length).toBe(3);
    expect(shiftAll(queue)).toEqual(['b', 'a', 'c']);
  });

  it('finds the oldest item past removed heads of other priorities', () => {
    // Every shift ages: pure submission order among what is left.
    const queue = new PriorityQueue<Item>({ agingInterval: 1 });
    const gone = item('gone', 5);
    for (const i of [item('first', 5), gone, item('old-low', 0), item('keep', 5), item('mid', 3)]) queue.push(i);
    queue.remove(gone);
    expect(shiftAll(queue)).toEqual(['first', 'old-low', 'keep', 'mid']);
  });
});

describe('PriorityQueue drain and iteration', () => {
  it('drain returns the waiting items in priority order and empties the queue', () => {
    const queue = strict();
    const x = item('x', 2);
    for (const i of [item('a'), x, item('b', 2), item('c', -3)]) queue.push(i);
    queue.remove(x);
    expect(names(queue.drain())).toEqual(['b', 'a', 'c']);
    expect(queue.length).toBe(0);
    expect(queue.shift()).toBeUndefined();
    queue.push(item('after'));
    expect(shiftAll(queue)).toEqual(['after']);
  });
});

describe('PriorityQueue aging', () => {
  it(`ages every ${DEFAULT_AGING_INTERVAL}th shift by default`, () => {
    const queue = new PriorityQueue<Item>();
    queue.push(item('low', 0));
    for (let i = 0; i < 20; i++) queue.push(item(`high${i}`, 1));
    const order = shiftAll(queue);
    expect(order.indexOf('low')).toBe(DEFAULT_AGING_INTERVAL - 1);
  });

  it('respects priorities on every shift that is not an aging one', () => {
    const interval = 4;
    const queue = new PriorityQueue<Item>({ agingInterval: interval });
    let n = 0;
    for (let round = 0; round < 50; round++) {
      for (const priority of [0, 3, 1, 3, 2]) queue.push(item(`${priority}:${n++}`, priority));
      for (let s = 0; s < 4; s++) {
        const expectedHead = [...queue][0];
        const shiftNumber = round * 4 + s + 1;
        const taken = queue.shift();
        if (shiftNumber % interval !== 0) expect(taken).toBe(expectedHead);
      }
    }
  });

  it('bounds the wait of a low-priority item under a steady stream of higher ones', () => {
    for (const interval of [1, 2, 3, 8, 16]) {
      const queue = new PriorityQueue<Item>({ agingInterval: interval });
      // k older items of middling priority are waiting ahead of the victim.
      const k = 5;
      for (let i = 0; i < k; i++) queue.push(item(`older${i}`, 1));
      const victim = item('victim', -10);
      queue.push(victim);
      let shifts = 0;
      // Two new high-priority items per shift: without aging the victim would never run.
      for (;;) {
        queue.push(item('hot', 100));
        queue.push(item('hot', 100));
        shifts++;
        if (queue.shift() === victim) break;
        expect(shifts).toBeLessThanOrEqual(interval * (k + 1));
      }
      expect(shifts).toBeLessThanOrEqual(interval * (k + 1));
    }
  });

  it('starves low priorities when aging is turned off (the reason for aging)', () => {
    const queue = strict();
    const victim = item('victim', -1);
    queue.push(victim);
    for (let s = 0; s < 1000; s++) {
      queue.push(item('hot', 1));
      expect(queue.shift()).not.toBe(victim);
    }
  });

  it('rejects a bad agingInterval', () => {
    expect(() => new PriorityQueue({ agingInterval: 0 })).toThrow(RangeError);
    expect(() => new PriorityQueue({ agingInterval: 1.5 })).toThrow(/`agingInterval` to be a positive integer or Infinity, got 1.5/);
  });
});

describe('PriorityQueue at scale', () => {
  const collect = (globalThis as { gc?: () => void }).gc;

  it('holds a million items in order with no wrapper object per item', () => {
    const items: Item[] = [];
    for (let i = 0; i < 1_000_000; i++) items.push({ priority: 0, name: 'x' });
    collect?.();
    const before = process.memoryUsage().heapUsed;
    const queue = new PriorityQueue<Item>();
    for (const i of items) queue.push(i);
    collect?.();
    const bytesPerItem = (process.memoryUsage().heapUsed - before) / items.length;
    // A slot in the items array plus one in the sequence array, with growth slack, is about 16-24 bytes;
    // a { item, sequence } wrapper per item would add some 40 more.
    if (collect) expect(bytesPerItem).toBeLessThan(40);
    expect(queue.length).toBe(1_000_000);
    for (let i = 0; i < 1_000_000; i++) if (queue.shift() !== items[i]) throw new Error(`out of order at ${i}`);
    expect(queue.length).toBe(0);
  });
});

describe('PriorityQueue against a reference model', () => {
  /** mulberry32: a seeded PRNG, so every run makes the same operations. */
  function random(seed: number): () => number {
    return () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
    };
  }

  /** The rule, written as plainly as possible: a list sorted by nothing, searched on every shift. */
  class Model {
    entries: { item: Item; sequence: number }[] = [];
    next = 1;
    front = 0;
    shifts = 0;
    constructor(readonly interval: number) {}
    push(item: Item): void {
      this.entries.push({ item, sequence: this.next++ });
    }
    unshift(item: Item): void {
      this.entries.push({ item, sequence: --this.front });
    }
    #pick(shiftNumber: number): number {
      let best = -1;
      for (let i = 0; i < this.entries.length; i++) {
        const e = this.entries[i];
        if (best < 0) {
          best = i;
          continue;
        }
        const b = this.entries[best];
        const better =
          shiftNumber % this.interval === 0
            ? e.sequence < b.sequence
            : e.item.priority > b.item.priority || (e.item.priority === b.item.priority && e.sequence < b.sequence);
        if (better) best = i;
      }
      return best;
    }
    peek(): Item | undefined {
      return this.entries[this.#pick(this.shifts + 1)]?.item;
    }
    shift(): Item | undefined {
      const at = this.#pick(this.shifts + 1);
      if (at < 0) return undefined;
      this.shifts++;
      return this.entries.splice(at, 1)[0].item;
    }
    remove(item: Item): void {
      this.entries.splice(
        this.entries.findIndex((e) => e.item === item),
        1,
      );
    }
    ordered(): Item[] {
      return [...this.entries].sort((a, b) => b.item.priority - a.item.priority || a.sequence - b.sequence).map((e) => e.item);
    }
  }

  it.each([1, 2, 3, 8, Infinity])('matches the model over 30,000 random operations (agingInterval %s)', (interval) => {
    const rand = random(interval === Infinity ? 99 : interval);
    const queue = new PriorityQueue<Item>({ agingInterval: interval });
    const model = new Model(interval);
    let n = 0;
    for (let step = 0; step < 30_000; step++) {
      // Alternate push-heavy and shift-heavy phases so deques grow past the compaction threshold and empty again.
      const pushBias = Math.floor(step / 6000) % 2 === 0 ? 0.7 : 0.2;
      const r = rand();
      const priority = Math.floor(rand() * 3) - 1;
      if (r < pushBias) {
        const it = item(`i${n++}`, priority);
        queue.push(it);
        model.push(it);
      } else if (r < pushBias + 0.03) {
        const it = item(`u${n++}`, priority);
        queue.unshift(it);
        model.unshift(it);
      } else if (r < pushBias + 0.1 && model.entries.length > 0) {
        const victim = model.entries[Math.floor(rand() * model.entries.length)].item;
        expect(queue.remove(victim)).toBe(true);
        model.remove(victim);
      } else if (r < pushBias + 0.13) {
        expect(queue.peek()).toBe(model.peek());
      } else {
        expect(queue.shift()).toBe(model.shift());
      }
      expect(queue.length).toBe(model.entries.length);
      if (step % 1000 === 0) expect([...queue]).toEqual(model.ordered());
    }
    expect(queue.drain()).toEqual(model.ordered());
  });
});
