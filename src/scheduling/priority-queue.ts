/**
 * The main thread's queue of units waiting for room in the shared work queue: larger `priority` first, FIFO
 * within a priority, with aging so that no unit waits for ever.
 *
 * Layout, chosen to hold a million units cheaply: one FIFO deque per priority present (a plain array with a
 * head index, compacted once the dead prefix is over half of it) and, beside each item, its submission
 * sequence number in a parallel array of numbers, so the queue adds no wrapper object per item. The priorities
 * present are a small array kept sorted, largest first; with a single priority, push and shift touch only
 * the one deque and are O(1) amortised.
 */

/** What the queue needs from an item: its priority, read once when the item is queued. */
export interface Prioritised {
  /** Integer; larger runs first. Must not change while the item is queued. */
  readonly priority: number;
}

export interface PriorityQueueOptions {
  /**
   * Aging: every `agingInterval`-th shift takes the oldest waiting item (the smallest submission sequence
   * number) whatever its priority; every other shift takes the head of the highest priority. `Infinity`
   * turns aging off (strict priorities, which can starve low ones).
   * @default 8
   */
  agingInterval?: number;
}

/** The default aging interval: one shift in eight goes to the oldest waiting item. */
export const DEFAULT_AGING_INTERVAL = 8;

/** Compact a deque once its dead prefix is this long and over half of the array. */
const COMPACT_AFTER = 1024;

/** The items of one priority in queue order, each with its sequence number at the same index. */
class Deque<T> {
  items: (T | undefined)[] = [];
  sequences: number[] = [];
  head = 0;

  constructor(readonly priority: number) {}

  get physicalLength(): number {
    return this.items.length - this.head;
  }

  push(item: T, sequence: number): void {
    this.items.push(item);
    this.sequences.push(sequence);
  }

  /** O(1) when earlier shifts left room at the front; otherwise O(n) of this priority (crash recovery is rare). */
  unshift(item: T, sequence: number): void {
    if (this.head > 0) {
      this.head--;
      this.items[this.head] = item;
      this.sequences[this.head] = sequence;
    } else {
      this.items.unshift(item);
      this.sequences.unshift(sequence);
    }
  }

  /** Puts `items` (with their sequence numbers) in front, in their order: one copy of the deque at most. */
  prependAll(items: readonly T[], sequences: readonly number[]): void {
    const count = items.length;
    if (this.head >= count) {
      this.head -= count;
      for (let i = 0; i < count; i++) {
        this.items[this.head + i] = items[i];
        this.sequences[this.head + i] = sequences[i];
      }
      return;
    }
    this.items = (items as (T | undefined)[]).concat(this.items.slice(this.head));
    this.sequences = (sequences as number[]).concat(this.sequences.slice(this.head));
    this.head = 0;
  }

  shift(): T {
    const item = this.items[this.head] as T;
    this.items[this.head++] = undefined;
    if (this.head >= COMPACT_AFTER && this.head * 2 > this.items.length) this.compact();
    return item;
  }

  compact(): void {
    this.items = this.items.slice(this.head);
    this.sequences = this.sequences.slice(this.head);
    this.head = 0;
  }

  /** Physically deletes one copy of `item` (the rare path: an item queued again after a lazy remove). */
  deleteOne(item: T): void {
    const at = this.items.indexOf(item, this.head);
    if (at < 0) return;
    this.items.splice(at, 1);
    this.sequences.splice(at, 1);
  }
}

/**
 * Units waiting to run, in priority order with aging.
 *
 * **Order.** A shift takes the head of the highest priority present, FIFO within a priority, except that
 * every `agingInterval`-th shift (default 8: the 8th, 16th, ...) takes the oldest waiting item whatever its
 * priority. "Oldest" is by submission sequence number: every push gets the next number, and an item put back
 * with `unshift` gets a number below every waiting one, so requeued work is both first in its priority and
 * the oldest.
 *
 * **Bound on waiting.** An item with `k` items older than it still waiting is shifted within
 * `agingInterval * (k + 1)` shifts, however many higher-priority items are pushed meanwhile: each aging shift
 * takes it or one of those `k` older items, and pushed items are younger. (Items unshifted meanwhile count
 * as older and add one each: crash recovery, which is rare.)
 *
 * **Removal** is lazy: `remove` marks the item and it is dropped when it reaches the head of its priority
 * (or when nothing alive is left), so cancelling is O(1). An item may be queued at most once at a time.
 */
export class PriorityQueue<T extends Prioritised> implements Iterable<T> {
  readonly #agingInterval: number;
  /** Deques of the priorities present, largest priority first. */
  readonly #deques: Deque<T>[] = [];
  readonly #byPriority = new Map<number, Deque<T>>();
  /** Items removed while still physically queued; each is dropped when met. */
  readonly #removed = new Set<T>();
  #length = 0;
  #nextSequence = 1;
  /** Decreases from 0: sequence numbers for unshifted items, below every pushed one. */
  #frontSequence = 0;
  #shifts = 0;
  #lastShiftAged = false;

  constructor(options: PriorityQueueOptions = {}) {
    const interval = options.agingInterval ?? DEFAULT_AGING_INTERVAL;
    if (!(interval === Infinity || (Number.isInteger(interval) && interval >= 1))) {
      throw new RangeError(`Expected \`agingInterval\` to be a positive integer or Infinity, got ${String(interval)}`);
    }
    this.#agingInterval = interval;
  }

  /** Items waiting (removed ones excluded). */
  get length(): number {
    return this.#length;
  }

  /** Queues `item` at the back of its priority. */
  push(item: T): void {
    this.#forgetRemoved(item);
    this.#dequeFor(item.priority).push(item, this.#nextSequence++);
    this.#length++;
  }

  /** Puts `item` back at the front of its priority, as the oldest waiting item (crash recovery). */
  unshift(item: T): void {
    this.#forgetRemoved(item);
    this.#dequeFor(item.priority).unshift(item, --this.#frontSequence);
    this.#length++;
  }

  /**
   * Puts `items` back in front, keeping their order: `items[0]` is shifted first among them (and of its
   * priority), all of them older than anything waiting. One pass, however many: taking back the shared queue's
   * 16,384 entries must not cost one array shift each.
   */
  unshiftAll(items: readonly T[]): void {
    const count = items.length;
    if (count === 0) return;
    const first = this.#frontSequence - count;
    this.#frontSequence = first;
    const groups = new Map<number, { items: T[]; sequences: number[] }>();
    for (let i = 0; i < count; i++) {
      const item = items[i];
      this.#forgetRemoved(item);
      let group = groups.get(item.priority);
      if (!group) groups.set(item.priority, (group = { items: [], sequences: [] }));
      group.items.push(item);
      group.sequences.push(first + i);
    }
    for (const [priority, group] of groups) this.#dequeFor(priority).prependAll(group.items, group.sequences);
    this.#length += count;
  }

  /** Whether the last `shift()` was an aging pick (the oldest item, whatever its priority). */
  get lastShiftAged(): boolean {
    return this.#lastShiftAged;
  }

  /** The item the next `shift()` returns, without taking it. */
  peek(): T | undefined {
    const deque = this.#next(this.#shifts + 1);
    return deque === undefined ? undefined : (deque.items[deque.head] as T);
  }

  /** Takes the next item to run: see the class comment for the order. */
  shift(): T | undefined {
    const deque = this.#next(this.#shifts + 1);
    if (deque === undefined) return undefined;
    this.#shifts++;
    this.#lastShiftAged = this.#shifts % this.#agingInterval === 0 && this.#deques.length > 1;
    this.#length--;
    const item = deque.shift();
    if (deque.physicalLength === 0) this.#dropDeque(deque);
    return item;
  }

  /**
   * Cancels a waiting item in O(1); it is dropped when it reaches the front. Returns false, changing
   * nothing, where it is cheap to see that `item` is not waiting (no item of its priority is queued, or it
   * was removed already). Otherwise `item` must be waiting: the queue cannot tell in O(1) an item that was
   * already shifted, and would count it out of `length` a second time.
   */
  remove(item: T): boolean {
    const deque = this.#byPriority.get(item.priority);
    if (deque === undefined || this.#removed.has(item)) return false;
    if (deque.items[deque.head] === item) {
      deque.shift();
      if (deque.physicalLength === 0) this.#dropDeque(deque);
    } else {
      this.#removed.add(item);
    }
    // Nothing left alive: let go of the removed items still parked in the deques.
    if (--this.#length === 0) this.drain();
    return true;
  }

  /** Empties the queue and returns the waiting items in priority order (FIFO within a priority). */
  drain(): T[] {
    const rest = [...this];
    this.#deques.length = 0;
    this.#byPriority.clear();
    this.#removed.clear();
    this.#length = 0;
    return rest;
  }

  /** The waiting items in priority order (FIFO within a priority), for `terminate` to fail them. */
  *[Symbol.iterator](): Iterator<T> {
    for (const deque of this.#deques) {
      for (let i = deque.head; i < deque.items.length; i++) {
        const item = deque.items[i] as T;
        if (this.#removed.size === 0 || !this.#removed.has(item)) yield item;
      }
    }
  }

  /** The deque the shift numbered `shiftNumber` takes from, with removed items cleared off every head looked at. */
  #next(shiftNumber: number): Deque<T> | undefined {
    if (this.#length === 0) return undefined;
    if (shiftNumber % this.#agingInterval !== 0 || this.#deques.length === 1) return this.#liveHead(0);
    let oldest: Deque<T> | undefined;
    for (let i = 0; i < this.#deques.length; i++) {
      // #liveHead drops emptied deques, so what it returns is the live one now at index i.
      const deque = this.#liveHead(i);
      if (deque === undefined) break;
      if (oldest === undefined || deque.sequences[deque.head] < oldest.sequences[oldest.head]) oldest = deque;
    }
    return oldest;
  }

  /** The deque at `index` once removed items are cleared off its head; a deque left empty is dropped and the next one tried. */
  #liveHead(index: number): Deque<T> | undefined {
    while (index < this.#deques.length) {
      const deque = this.#deques[index];
      while (deque.physicalLength > 0 && this.#removed.delete(deque.items[deque.head] as T)) deque.shift();
      if (deque.physicalLength > 0) return deque;
      this.#dropDeque(deque);
    }
    return undefined;
  }

  #dequeFor(priority: number): Deque<T> {
    const known = this.#byPriority.get(priority);
    if (known !== undefined) return known;
    const deque = new Deque<T>(priority);
    this.#byPriority.set(priority, deque);
    let at = this.#deques.length;
    while (at > 0 && this.#deques[at - 1].priority < priority) at--;
    this.#deques.splice(at, 0, deque);
    return deque;
  }

  #dropDeque(deque: Deque<T>): void {
    this.#byPriority.delete(deque.priority);
    this.#deques.splice(this.#deques.indexOf(deque), 1);
  }

  /** Queuing an item that was lazily removed: delete its stale copy first, or it would be dropped in its place. */
  #forgetRemoved(item: T): void {
    if (!this.#removed.delete(item)) return;
    const deque = this.#byPriority.get(item.priority);
    if (deque === undefined) return;
    deque.deleteOne(item);
    if (deque.physicalLength === 0) this.#dropDeque(deque);
  }
}
