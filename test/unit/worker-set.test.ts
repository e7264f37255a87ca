// The WorkerSet on its own, over a stub transport: spawning, the crash breaker, retirement, Pool.create's wait.
import { describe, expect, it } from 'vitest';
import { RUNNING_STOPPED, WorkerCell } from '../../src/abi/layout.js';
import type { MainToWorker } from '../../src/abi/protocol.js';
import { WorkerCrashError } from '../../src/errors.js';
import { PoolMetrics } from '../../src/scheduling/metrics.js';
import { MAX_STARTUP_CRASHES, WorkerSet, type InitMessage } from '../../src/scheduling/worker-set.js';
import type { Transport, WorkerHandle } from '../../src/transport/types.js';

interface StubThread {
  posted: MainToWorker[];
  busy: boolean[];
  terminated: boolean;
}

function makeSet(options: { workers?: number; minWorkers?: number } = {}) {
  const threads: StubThread[] = [];
  const transport: Transport = {
    canBlock: true,
    readsMessagesSync: true,
    defaultWorkers: () => 1,
    spawn(): WorkerHandle {
      const thread: StubThread = { posted: [], busy: [], terminated: false };
      threads.push(thread);
      return {
        post: (message) => void thread.posted.push(message),
        drainSync: () => true,
        setBusy: (busy) => void thread.busy.push(busy),
        terminate: () => {
          thread.terminated = true;
          return Promise.resolve();
        },
      };
    },
  };
  const metrics = new PoolMetrics();
  const set = new WorkerSet(
    { transport, spawnOptions: undefined, shared: true, workers: options.workers ?? 4, minWorkers: options.minWorkers ?? 1, metrics },
    {
      init: (worker) => ({ type: 'init', serial: worker.serial }) as unknown as InitMessage,
      message: () => {},
      exit: () => {},
    },
  );
  return { set, threads, metrics };
}

const exit = { code: 1, error: undefined };

describe('WorkerSet', () => {
  it('spawns each worker with the init made for it, serials unique from 1, and counts it in the metrics', () => {
    const { set, threads, metrics } = makeSet();
    set.spawn();
    set.spawn();
    expect(set.live.map((w) => w.serial)).toEqual([1, 2]);
    expect(threads.map((t) => (t.posted[0] as unknown as { serial: number }).serial)).toEqual([1, 2]);
    expect(metrics.snapshot().perWorker.map((w) => w.id)).toEqual([1, 2]);
    const [first, second] = set.live;
    expect(set.remove(first)).toBe(true);
    expect(set.remove(second)).toBe(true);
    expect(set.count).toBe(0);
    expect(metrics.snapshot().perWorker).toEqual([]);
  });

  it('letting a worker go twice does nothing the second time', () => {
    const { set } = makeSet();
    set.spawn();
    const worker = set.live[0];
    expect(set.remove(worker)).toBe(true);
    expect(set.remove(worker)).toBe(false);
    expect(worker.gone).toBe(true);
  });

  it('grows to what the work needs: at least minWorkers while open, at most `workers`; a retiring idle worker does not count', () => {
    const { set } = makeSet({ workers: 3, minWorkers: 1 });
    set.grow(0, true);
    expect(set.count).toBe(1);
    set.grow(10, true);
    expect(set.count).toBe(3);
    expect(set.full).toBe(true);
    const closed = makeSet({ workers: 3, minWorkers: 2 }).set;
    closed.grow(1, false); // after close(): only what the remaining work needs
    expect(closed.count).toBe(1);
    closed.live[0].markRetiring();
    closed.grow(1, false);
    expect(closed.count).toBe(2);
  });

  describe('the crash breaker', () => {
    it(`breaks after ${MAX_STARTUP_CRASHES} deaths in a row of workers that never finished a unit`, () => {
      const { set } = makeSet();
      for (let i = 0; i < MAX_STARTUP_CRASHES; i++) set.spawn();
      const [a, b, c] = set.live;
      expect(set.died(a, exit, true)).toBeUndefined();
      expect(set.died(b, exit, true)).toBeUndefined();
      const error = set.died(c, { code: 7, error: undefined }, true);
      expect(error).toBeInstanceOf(WorkerCrashError);
      expect(error!.message).toMatch(/3 in a row; last exit code 7/);
    });

    it('never counts a retirement, a death its unit explains, or a worker that proved it started; a proof ends the run', () => {
      const { set } = makeSet();
      for (let i = 0; i < 6; i++) set.spawn();
      const [a, b, c, d, e, f] = set.live;
      expect(set.died(a, exit, true)).toBeUndefined();
      expect(set.died(b, { code: 0, error: undefined }, false)).toBeUndefined(); // a retirement
      expect(set.died(c, exit, true)).toBeUndefined();
      set.proved(d); // finished a unit: the run of start-up crashes is over
      expect(set.died(d, exit, true)).toBeUndefined();
      expect(set.died(e, exit, true)).toBeUndefined();
      expect(set.died(f, exit, true)).toBeUndefined(); // two in a row since the proof, not three
    });
  });

  it('retires an idle worker only above minWorkers, by stopping its RUNNING cell', () => {
    const { set } = makeSet({ workers: 3, minWorkers: 1 });
    set.spawn();
    set.spawn();
    const [a, b] = set.live;
    expect(set.retireIfSpare(a)).toBe(true);
    expect(a.retiring).toBe(true);
    expect(Atomics.load(a.cells, WorkerCell.RUNNING)).toBe(RUNNING_STOPPED);
    expect(set.retireIfSpare(b)).toBe(false); // the last active one: minWorkers keeps it
    expect(b.retiring).toBe(false);
    expect(Atomics.load(b.cells, WorkerCell.RUNNING)).toBe(0);
  });

  it('does not retire a worker inside a unit (RUNNING holds its id)', () => {
    const { set } = makeSet({ workers: 3, minWorkers: 0 });
    set.spawn();
    const worker = set.live[0];
    Atomics.store(worker.cells, WorkerCell.RUNNING, 42);
    expect(set.retireIfSpare(worker)).toBe(false);
    expect(Atomics.load(worker.cells, WorkerCell.RUNNING)).toBe(42);
  });

  describe('waiting for the workers to be ready', () => {
    it('resolves once minWorkers are ready, and keeps the process alive meanwhile', async () => {
      const { set, threads } = makeSet({ minWorkers: 2 });
      set.spawn();
      set.spawn();
      const ready = set.whenReady();
      set.setBusy(false); // ignored while Pool.create waits
      expect(threads.map((t) => t.busy)).toEqual([[true], [true]]);
      set.live[0].markReady();
      expect(set.tellReady(() => undefined)).toBe(false);
      set.live[1].markReady();
      expect(set.tellReady(() => undefined)).toBe(true);
      await expect(ready).resolves.toBeUndefined();
      set.setBusy(false);
      expect(threads.map((t) => t.busy)).toEqual([
        [true, false],
        [true, false],
      ]);
    });

    it('rejects with the reason none will be ready (a broken or terminated pool)', async () => {
      const { set } = makeSet();
      const ready = set.whenReady();
      const reason = new Error('init failed');
      expect(set.tellReady(() => reason)).toBe(true);
      await expect(ready).rejects.toBe(reason);
      expect(set.tellReady(() => reason)).toBe(false); // nobody waits any more
    });
  });

  it('stopAll terminates every worker and leaves none live; allExited waits for replacements too', async () => {
    const { set, threads } = makeSet();
    set.spawn();
    set.spawn();
    const stopped = set.stopAll();
    expect(stopped).toHaveLength(2);
    expect(threads.every((t) => t.terminated)).toBe(true);
    expect(set.count).toBe(0);
    for (const worker of stopped) worker.markExited();
    let done = false;
    const all = set.allExited().then(() => (done = true));
    set.spawn(); // a replacement started while join() waits
    await Promise.resolve();
    await Promise.resolve();
    expect(done).toBe(false);
    set.live[0].markExited();
    await all;
    expect(done).toBe(true);
  });
});
