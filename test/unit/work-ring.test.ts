import { describe, expect, it, vi } from 'vitest';
import {
  CONTROL_BYTES,
  DESCRIPTOR_INT32S,
  DescriptorCell,
  QueueCell,
  RING_CAPACITY,
  RUNNING_STOPPED,
  WORKER_CONTROL_BYTES,
  WorkerCell,
} from '../../src/abi/layout.js';
import { CompletionRing, RingConsumer, RingProducer, TAKE_NOTHING, TAKE_STOPPED, allocateRingBuffers } from '../../src/abi/work-ring.js';

/** One producer and `workers` consumers over the same buffers, all in this thread. */
function ring(workers = 1) {
  const producer = new RingProducer(allocateRingBuffers(new SharedArrayBuffer(CONTROL_BYTES)));
  const consumers = Array.from({ length: workers }, (_, i) => {
    const control = new Int32Array(new SharedArrayBuffer(WORKER_CONTROL_BYTES));
    const completions = new CompletionRing();
    return { control, completions, consumer: new RingConsumer(producer.buffers, completions.buffer, control, i + 1) };
  });
  return { producer, consumers, cells: producer.views.cells };
}

function push(producer: RingProducer, id: number): void {
  const entry = producer.nextEntry();
  producer.views.i32[entry + DescriptorCell.ID] = id;
  producer.views.i32[entry + DescriptorCell.SLOT] = id * 10;
  producer.publish(1);
}

const scratch = new Int32Array(DESCRIPTOR_INT32S);

describe('work ring', () => {
  it('hands out descriptors in order, one per take, marking the taker RUNNING and LAST_TAKEN', () => {
    const { producer, consumers } = ring(2);
    push(producer, 7);
    push(producer, 8);
    expect(producer.waiting).toBe(2);
    const [a, b] = consumers;
    expect(a.consumer.take(scratch)).toBe(1);
    expect(scratch[DescriptorCell.ID]).toBe(7);
    expect(scratch[DescriptorCell.SLOT]).toBe(70);
    expect(Atomics.load(a.control, WorkerCell.RUNNING)).toBe(7);
    expect(Atomics.load(a.control, WorkerCell.LAST_TAKEN)).toBe(7);
    expect(b.consumer.take(scratch)).toBe(1);
    expect(scratch[DescriptorCell.ID]).toBe(8);
    expect(producer.waiting).toBe(0);
    expect(producer.inFlight).toBe(2);
    expect(b.consumer.hasWork).toBe(false);
  });

  it('returns TAKE_NOTHING on an empty queue, and leaves the lock free', () => {
    const { consumers, cells } = ring();
    expect(consumers[0].consumer.take(scratch)).toBe(TAKE_NOTHING);
    expect(Atomics.load(cells, QueueCell.LOCK)).toBe(0);
  });

  it('a worker still running a unit (or stopped) cannot take another: TAKE_STOPPED, and the entry stays for others', () => {
    const { producer, consumers } = ring(2);
    push(producer, 1);
    Atomics.store(consumers[0].control, WorkerCell.RUNNING, RUNNING_STOPPED);
    expect(consumers[0].consumer.stopped).toBe(true);
    expect(consumers[0].consumer.take(scratch)).toBe(TAKE_STOPPED);
    expect(producer.waiting).toBe(1);
    expect(consumers[1].consumer.take(scratch)).toBe(1);
    expect(scratch[DescriptorCell.ID]).toBe(1);
  });

  it('has room for RING_CAPACITY units until their completions are read, then for as many more', () => {
    const { producer, consumers } = ring();
    const { consumer, control, completions } = consumers[0];
    for (let id = 1; id <= RING_CAPACITY; id++) push(producer, id);
    expect(producer.hasRoom).toBe(false);
    for (let i = 0; i < 3; i++) {
      consumer.take(scratch);
      Atomics.store(control, WorkerCell.RUNNING, 0);
      consumer.complete(scratch[DescriptorCell.ID], 1, 0, 0);
    }
    expect(producer.hasRoom).toBe(false); // taken is not enough: the completion entries need room too
    const read: number[] = [];
    producer.completed(completions.read((id) => read.push(id)));
    expect(read).toEqual([1, 2, 3]);
    expect(producer.hasRoom).toBe(true);
    push(producer, RING_CAPACITY + 1);
    push(producer, RING_CAPACITY + 2);
    push(producer, RING_CAPACITY + 3);
    expect(producer.hasRoom).toBe(false);
    producer.forget(); // a unit whose worker died without a completion
    expect(producer.hasRoom).toBe(true);
  });

  it('wraps around: entry positions are reused once the ring has gone round', () => {
    const { producer, consumers } = ring();
    const { consumer, control, completions } = consumers[0];
    for (let id = 1; id <= RING_CAPACITY + 5; id++) {
      push(producer, id);
      expect(consumer.take(scratch)).toBe(1);
      expect(scratch[DescriptorCell.ID]).toBe(id);
      Atomics.store(control, WorkerCell.RUNNING, 0);
      consumer.complete(id, 1, 0, 0);
      producer.completed(completions.read(() => {}));
    }
    expect(producer.inFlight).toBe(0);
  });

  it('publish(0) and wakeAll() leave the value of PUSHED unchanged', () => {
    const { producer, cells } = ring();
    expect(Atomics.load(cells, QueueCell.SLEEPERS)).toBe(0);
    push(producer, 1);
    expect(Atomics.load(cells, QueueCell.PUSHED)).toBe(1);
    producer.publish(0); // nothing to publish: PUSHED unchanged
    expect(Atomics.load(cells, QueueCell.PUSHED)).toBe(1);
    const wakes = Atomics.load(cells, QueueCell.WAKES);
    producer.wakeAll(); // changes WAKES, the cell parked workers wait on, not PUSHED
    expect(Atomics.load(cells, QueueCell.PUSHED)).toBe(1);
    expect(Atomics.load(cells, QueueCell.WAKES)).toBe(wakes + 1);
  });

  // Kills: `Atomics.notify` in publish() never called (workers would fall back to their 250 ms park), and
  // `Atomics.notify` called on every push whether or not anyone sleeps.
  it('publish() calls Atomics.notify once per park of a sleeping worker, and never when none sleeps', () => {
    const { producer, cells } = ring();
    const notify = vi.spyOn(Atomics, 'notify');
    try {
      push(producer, 1);
      push(producer, 2);
      expect(notify).not.toHaveBeenCalled(); // nobody sleeps: a push costs no notify
      Atomics.add(cells, QueueCell.SLEEPERS, 1); // a worker parks, as RingConsumer.park() announces itself
      Atomics.add(cells, QueueCell.PARKS, 1);
      const wakes = Atomics.load(cells, QueueCell.WAKES);
      push(producer, 3);
      expect(notify).toHaveBeenCalledTimes(1);
      expect(notify).toHaveBeenLastCalledWith(cells, QueueCell.WAKES);
      expect(Atomics.load(cells, QueueCell.WAKES)).toBe(wakes + 1); // changed before the notify: no lost wake-up
      push(producer, 4); // the same park: already woken, no second notify
      expect(notify).toHaveBeenCalledTimes(1);
      Atomics.add(cells, QueueCell.PARKS, 1); // it parks again
      push(producer, 5);
      expect(notify).toHaveBeenCalledTimes(2);
      Atomics.sub(cells, QueueCell.SLEEPERS, 1); // awake again: PARKS moved on, but no one sleeps
      Atomics.add(cells, QueueCell.PARKS, 1);
      push(producer, 6);
      expect(notify).toHaveBeenCalledTimes(2);
    } finally {
      notify.mockRestore();
    }
  });

  // Kills (Stryker): publish() without its `count === 0` early return, and an empty wakeAll().
  it('publish(0) wakes nobody even when a worker sleeps; wakeAll() notifies every waiter on WAKES', () => {
    const { producer, cells } = ring();
    Atomics.add(cells, QueueCell.SLEEPERS, 1);
    Atomics.add(cells, QueueCell.PARKS, 1);
    const notify = vi.spyOn(Atomics, 'notify');
    try {
      producer.publish(0);
      expect(notify).not.toHaveBeenCalled();
      producer.wakeAll();
      expect(notify).toHaveBeenCalledTimes(1);
      expect(notify).toHaveBeenLastCalledWith(cells, QueueCell.WAKES);
    } finally {
      notify.mockRestore();
    }
  });

  // Kills (Stryker): take() copying one Int32 too many into `scratch`.
  it('take() copies exactly one descriptor into scratch, nothing past it', () => {
    const { producer, consumers } = ring();
    push(producer, 3);
    const wide = new Int32Array(DESCRIPTOR_INT32S + 1).fill(-1);
    producer.views.i32[DESCRIPTOR_INT32S] = 99; // the next entry's first cell
    expect(consumers[0].consumer.take(wide)).toBe(1);
    expect(wide[DescriptorCell.ID]).toBe(3);
    expect(wide[DESCRIPTOR_INT32S]).toBe(-1);
  });

  // Kills (Stryker): take() skipping its lock-free emptiness check (it would then wait for a lock it does not need).
  it('take() on an empty queue returns TAKE_NOTHING at once, even while another worker holds the lock', () => {
    const { consumers, cells } = ring();
    Atomics.store(cells, QueueCell.LOCK, 2);
    const wait = vi.spyOn(Atomics, 'wait').mockImplementation(() => {
      Atomics.store(cells, QueueCell.LOCK, 0); // fails the check below rather than hanging
      return 'ok';
    });
    try {
      expect(consumers[0].consumer.take(scratch)).toBe(TAKE_NOTHING);
      expect(wait).not.toHaveBeenCalled();
      expect(Atomics.load(cells, QueueCell.LOCK)).toBe(2);
    } finally {
      wait.mockRestore();
    }
  });

  // Kills (Stryker): lock() emptied, not looping, returning while another holds LOCK, or never sleeping on it.
  it('take() waits for a lock another worker holds: spins first, then sleeps on LOCK until it is free', () => {
    const { producer, consumers, cells } = ring();
    push(producer, 4);
    Atomics.store(cells, QueueCell.LOCK, 2);
    const exchange = vi.spyOn(Atomics, 'compareExchange');
    let exchangesBeforeSleep = -1;
    const wait = vi.spyOn(Atomics, 'wait').mockImplementation((array, index, value) => {
      exchangesBeforeSleep = exchange.mock.calls.length;
      expect([array, index, value]).toEqual([cells, QueueCell.LOCK, 2]);
      Atomics.store(cells, QueueCell.LOCK, 0); // the holder lets go while this worker sleeps
      return 'ok';
    });
    try {
      expect(consumers[0].consumer.take(scratch)).toBe(1);
      expect(scratch[DescriptorCell.ID]).toBe(4);
      expect(wait).toHaveBeenCalledTimes(1);
      expect(exchangesBeforeSleep).toBeGreaterThan(32); // it spun a while before sleeping
      expect(Atomics.load(cells, QueueCell.LOCK)).toBe(0); // and let go of the lock after taking
    } finally {
      wait.mockRestore();
      exchange.mockRestore();
    }
  });

  it('stopped is true only for RUNNING_STOPPED, not for a running unit or an idle worker', () => {
    const { consumers } = ring();
    const { consumer, control } = consumers[0];
    expect(consumer.stopped).toBe(false);
    Atomics.store(control, WorkerCell.RUNNING, 7);
    expect(consumer.stopped).toBe(false);
    Atomics.store(control, WorkerCell.RUNNING, RUNNING_STOPPED);
    expect(consumer.stopped).toBe(true);
  });

  // Kills (Stryker): park() emptied, or never sleeping on an empty queue.
  it('park() on an empty queue announces itself, sleeps on WAKES for the timeout, and un-announces', () => {
    const { consumers, cells } = ring();
    let sleepersWhileAsleep = -1;
    const wait = vi.spyOn(Atomics, 'wait').mockImplementation(() => {
      sleepersWhileAsleep = Atomics.load(cells, QueueCell.SLEEPERS);
      return 'timed-out';
    });
    try {
      consumers[0].consumer.park(25);
      expect(wait).toHaveBeenCalledWith(cells, QueueCell.WAKES, 0, 25);
      expect(sleepersWhileAsleep).toBe(1);
      expect(Atomics.load(cells, QueueCell.SLEEPERS)).toBe(0);
      expect(Atomics.load(cells, QueueCell.PARKS)).toBe(1);
    } finally {
      wait.mockRestore();
    }
  });

  // Kills (Stryker): parkAsync() announcing a park when work is already there, or never un-announcing.
  it('parkAsync() returns undefined at once when work is queued, else sleeps and un-announces when woken', async () => {
    const { producer, consumers, cells } = ring();
    const { consumer } = consumers[0];
    push(producer, 1);
    expect(consumer.parkAsync(1_000)).toBeUndefined();
    expect(Atomics.load(cells, QueueCell.PARKS)).toBe(0);
    expect(Atomics.load(cells, QueueCell.SLEEPERS)).toBe(0);
    consumer.take(scratch);
    const parked = consumer.parkAsync(60_000);
    expect(parked).toBeInstanceOf(Promise);
    expect(Atomics.load(cells, QueueCell.SLEEPERS)).toBe(1);
    expect(Atomics.load(cells, QueueCell.PARKS)).toBe(1);
    producer.wakeAll(); // a push or a message for the worker
    await parked;
    expect(Atomics.load(cells, QueueCell.SLEEPERS)).toBe(0);
  });

  // Kills (Stryker): the fallback timer of parkAsync() (no Atomics.waitAsync) never resolving.
  it('parkAsync() without Atomics.waitAsync falls back to a 1 ms timer, announcing nothing', async () => {
    const { consumers, cells } = ring();
    const saved = Object.getOwnPropertyDescriptor(Atomics, 'waitAsync');
    Object.defineProperty(Atomics, 'waitAsync', { value: undefined, configurable: true, writable: true });
    try {
      const parked = consumers[0].consumer.parkAsync(60_000);
      expect(parked).toBeInstanceOf(Promise);
      expect(Atomics.load(cells, QueueCell.SLEEPERS)).toBe(0);
      await parked;
    } finally {
      if (saved) Object.defineProperty(Atomics, 'waitAsync', saved);
    }
  });

  // Kills (Stryker): retractFrom() withdrawing from `from` although workers already took past it (Math.min).
  it('retractFrom() takes back only the untaken entries, frees the lock, and reports the range withdrawn', () => {
    const { producer, consumers, cells } = ring();
    for (let id = 1; id <= 5; id++) push(producer, id);
    consumers[0].consumer.take(scratch);
    Atomics.store(consumers[0].control, WorkerCell.RUNNING, 0);
    consumers[0].consumer.take(scratch); // two taken: TAKEN = 2
    const notify = vi.spyOn(Atomics, 'notify');
    try {
      expect(producer.retractFrom(1)).toEqual([2, 5]);
      expect(notify).not.toHaveBeenCalled(); // nobody sleeps on LOCK
      Atomics.add(cells, QueueCell.LOCK_WAITERS, 1); // a worker sleeps on LOCK: unlocking wakes it
      expect(producer.retractFrom(2)).toEqual([2, 2]);
      expect(notify).toHaveBeenCalledWith(cells, QueueCell.LOCK);
      Atomics.sub(cells, QueueCell.LOCK_WAITERS, 1);
    } finally {
      notify.mockRestore();
    }
    expect(Atomics.load(cells, QueueCell.PUSHED)).toBe(2);
    expect(producer.pushed).toBe(2);
    expect(producer.waiting).toBe(0);
    expect(Atomics.load(cells, QueueCell.LOCK)).toBe(0);
    for (let id = 6; id <= 7; id++) push(producer, id);
    expect(producer.retractFrom(3)).toEqual([3, 4]); // from past TAKEN: only from there on
  });

  // Kills (Stryker): retractFrom() not waiting for a lock a worker holds (it must not move PUSHED under a taker).
  it('retractFrom() takes LOCK first, trying again while a worker holds it', () => {
    const { producer, cells } = ring();
    push(producer, 1);
    const exchange = vi.spyOn(Atomics, 'compareExchange').mockImplementationOnce((() => 2) as unknown as typeof Atomics.compareExchange); // a worker holds it, once
    try {
      expect(producer.retractFrom(0)).toEqual([0, 1]);
      expect(exchange).toHaveBeenCalledTimes(2);
      expect(exchange).toHaveBeenLastCalledWith(cells, QueueCell.LOCK, 0, 0x7fffffff);
    } finally {
      exchange.mockRestore();
    }
    expect(Atomics.load(cells, QueueCell.LOCK)).toBe(0);
  });

  // The lost wake-up the WAKES counter closes: the main thread wakes everyone after this worker read WAKES and
  // before it waits. Waiting on a value nobody changed (the old wakeAll added 0 to PUSHED) slept the whole park.
  it('park() returns at once when a wake-up came between its look at WAKES and its wait', () => {
    const { producer, consumers, cells } = ring();
    const realAdd = Atomics.add.bind(Atomics);
    const add = vi.spyOn(Atomics, 'add').mockImplementation((array, index, value) => {
      const old = realAdd(array as Int32Array, index, value as number);
      if ((array as Int32Array).buffer === cells.buffer && index === QueueCell.PARKS) producer.wakeAll(); // right after the announcement
      return old;
    });
    const wait = vi.spyOn(Atomics, 'wait'); // the real wait: 'not-equal' at once if WAKES moved, else it sleeps 1 s
    try {
      consumers[0].consumer.park(1_000);
      expect(wait).toHaveReturnedWith('not-equal');
    } finally {
      add.mockRestore();
      wait.mockRestore();
    }
  });

  it('park() returns at once when work arrived between the last look and sleeping', () => {
    const { producer, consumers, cells } = ring();
    push(producer, 1);
    const wait = vi.spyOn(Atomics, 'wait');
    consumers[0].consumer.park(60_000);
    expect(wait).not.toHaveBeenCalled(); // it saw the entry after announcing itself, so it never slept
    wait.mockRestore();
    expect(Atomics.load(cells, QueueCell.SLEEPERS)).toBe(0);
  });

  describe('repairAfterDeath', () => {
    it('frees a lock the dead worker held before marking anything: the entry stays queued', () => {
      const { producer, consumers, cells } = ring(2);
      push(producer, 5);
      Atomics.store(cells, QueueCell.LOCK, 1); // worker 1 died inside take(), right after locking
      producer.repairAfterDeath(1, 0);
      expect(Atomics.load(cells, QueueCell.LOCK)).toBe(0);
      expect(producer.waiting).toBe(1);
      expect(consumers[1].consumer.take(scratch)).toBe(1);
      expect(scratch[DescriptorCell.ID]).toBe(5);
    });

    it('consumes the entry for a dead holder that had marked it running, so it is not taken twice', () => {
      const { producer, consumers, cells } = ring(2);
      push(producer, 5);
      push(producer, 6);
      Atomics.store(cells, QueueCell.LOCK, 1);
      producer.repairAfterDeath(1, 5);
      expect(Atomics.load(cells, QueueCell.LOCK)).toBe(0);
      expect(consumers[1].consumer.take(scratch)).toBe(1);
      expect(scratch[DescriptorCell.ID]).toBe(6);
    });

    it('does not consume an entry its running unit does not match (it had already advanced TAKEN)', () => {
      const { producer, cells } = ring();
      push(producer, 5);
      push(producer, 6);
      Atomics.store(cells, QueueCell.TAKEN, 1); // took 5 and advanced, then died holding the lock
      Atomics.store(cells, QueueCell.LOCK, 1);
      producer.repairAfterDeath(1, 5);
      expect(producer.waiting).toBe(1);
      expect(Atomics.load(cells, QueueCell.LOCK)).toBe(0);
    });

    // Kills (Stryker): the entry offset computed wrongly for an entry other than the first.
    it('consumes the right entry when the dead holder was taking one further along the ring', () => {
      const { producer, consumers, cells } = ring(2);
      for (const id of [5, 6, 7]) push(producer, id);
      consumers[1].consumer.take(scratch); // 5 taken by a live worker: TAKEN = 1
      Atomics.store(cells, QueueCell.LOCK, 1); // worker 1 died in take(), having marked 6 as its unit
      producer.repairAfterDeath(1, 6);
      expect(Atomics.load(cells, QueueCell.TAKEN)).toBe(2);
      expect(producer.waiting).toBe(1);
    });

    // Kills (Stryker): an empty queue's stale entry consumed (TAKEN pushed past PUSHED).
    it('consumes nothing when the queue is empty, even if a stale entry at TAKEN names the running unit', () => {
      const { producer, cells } = ring();
      producer.views.i32[DescriptorCell.ID] = 9; // a descriptor written but never published
      Atomics.store(cells, QueueCell.LOCK, 1);
      producer.repairAfterDeath(1, 9);
      expect(Atomics.load(cells, QueueCell.TAKEN)).toBe(0);
      expect(Atomics.load(cells, QueueCell.LOCK)).toBe(0);
    });

    it('leaves a lock held by another, live worker alone', () => {
      const { producer, cells } = ring();
      Atomics.store(cells, QueueCell.LOCK, 2);
      producer.repairAfterDeath(1, 0);
      expect(Atomics.load(cells, QueueCell.LOCK)).toBe(2);
    });
  });
});

describe('completion ring', () => {
  it('delivers what the worker wrote, in order, once each', () => {
    const worker = new CompletionRing();
    const main = new CompletionRing(worker.buffer);
    expect(main.unread).toBe(false);
    worker.write(1, 1, 1000.5, 2.25);
    worker.write(2, 3, 1001, 0.5);
    expect(main.unread).toBe(true);
    const seen: Array<[number, number]> = [];
    const times: Array<[number, number]> = [];
    expect(
      main.read((id, outcome, startedAt, runMs) => {
        seen.push([id, outcome]);
        times.push([startedAt, runMs]);
      }),
    ).toBe(2);
    expect(times).toEqual([
      [1000.5, 2.25],
      [1001, 0.5],
    ]);
    expect(seen).toEqual([
      [1, 1],
      [2, 3],
    ]);
    expect(main.unread).toBe(false);
    expect(main.read(() => seen.push([0, 0]))).toBe(0);
    worker.write(3, 2, 0, 0);
    expect(main.read((id) => seen.push([id, -1]))).toBe(1);
    expect(seen.at(-1)).toEqual([3, -1]);
  });

  it('wraps around its capacity', () => {
    const worker = new CompletionRing();
    const main = new CompletionRing(worker.buffer);
    let next = 1;
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < RING_CAPACITY; i++) worker.write(next + i, 1, 0, 0);
      const ids: number[] = [];
      main.read((id) => ids.push(id));
      expect(ids[0]).toBe(next);
      expect(ids).toHaveLength(RING_CAPACITY);
      expect(ids.at(-1)).toBe(next + RING_CAPACITY - 1);
      next += RING_CAPACITY;
    }
  });
});
