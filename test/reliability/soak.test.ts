import { afterAll, describe, expect, it } from 'vitest';
import { Pool } from 'wasmpool';
import { JS_TASKS, until } from '../helpers.js';

// Short enough for `npm test`; `npm run test:soak` runs the full sizes (SOAK=full): 1,000,000 map items
// and 100,000 applies.
const FULL = process.env.SOAK === 'full';
const MAP_ITEMS = FULL ? 1_000_000 : 200_000;
const APPLIES = FULL ? 100_000 : 30_000;
const PRODUCED = FULL ? 10_000_000 : 200_000;

const pool = new Pool({ workers: 2 });
afterAll(() => pool.terminate());

function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

describe('load and soak', () => {
  it(`a producer that awaits onSizeLessThan(1000) before each of ${PRODUCED.toLocaleString('en')} submissions keeps memory flat`, async () => {
    const bounded = new Pool({ workers: 2 });
    try {
      let sum = 0;
      let highWater = 0;
      const heapAt: number[] = [];
      for (let i = 0; i < PRODUCED; i++) {
        await bounded.onSizeLessThan(1000);
        highWater = Math.max(highWater, bounded.size);
        bounded.applyAsync<number>('add', [i, 0], { callback: (v) => (sum += v) });
        if (i % (PRODUCED / 4) === PRODUCED / 4 - 1) heapAt.push(heapAfterGc());
      }
      await bounded.onIdle();
      expect(sum).toBe((PRODUCED * (PRODUCED - 1)) / 2);
      expect(highWater).toBeLessThanOrEqual(1000);
      // Flat: the last quarter's heap is within 16 MB of the first's (an unbounded queue would hold every task).
      expect(heapAt[3] - heapAt[0]).toBeLessThan(16 * 2 ** 20);
      await until(() => bounded.stats().slotsInUse === 0);
    } finally {
      await bounded.terminate();
    }
  }, 300_000); // 10 million tasks take a minute or two on two cores

  it(`${MAP_ITEMS.toLocaleString('en')} items through mapAsync: all settle once, in order`, async () => {
    const items = Array.from({ length: MAP_ITEMS }, (_, i) => i);
    const values = await pool.mapAsync<number>('identity', items);
    expect(values.length).toBe(MAP_ITEMS);
    let wrong = 0;
    for (let i = 0; i < MAP_ITEMS; i++) if (values[i] !== i) wrong++;
    expect(wrong).toBe(0);
  });

  it(`${APPLIES.toLocaleString('en')} applyAsync tasks: none lost, none duplicated, callbacks once each`, async () => {
    const calls = new Uint8Array(APPLIES);
    const results = Array.from({ length: APPLIES }, (_, i) => pool.applyAsync<number>('add', [i, 0], { callback: () => calls[i]++ }));
    const values = await Promise.all(results.map((r) => r.get()));
    expect(values.every((v, i) => v === i)).toBe(true);
    expect(calls.every((c) => c === 1)).toBe(true);
  });

  it('more results in flight than one page of completion slots: the table grows, nothing is corrupted', async () => {
    const fresh = new Pool({ workers: 2 });
    const before = fresh.stats().slotBytes;
    const results = Array.from({ length: 12_000 }, (_, i) => fresh.applyAsync<number>('add', [i, 0.25]));
    expect(fresh.stats().slotsInUse).toBeGreaterThanOrEqual(12_000);
    expect(fresh.stats().slotBytes).toBeGreaterThan(before);
    const values = await Promise.all(results.map((r) => r.get()));
    expect(values.every((v, i) => v === i + 0.25)).toBe(true);
    await until(() => fresh.stats().slotsInUse === 0, 5_000);
    await fresh.terminate();
  });

  it('slots, queue and heap return to their baseline after a burst', async () => {
    await pool.mapAsync('identity', [1, 2, 3]);
    const heapBefore = heapAfterGc();
    for (let round = 0; round < 5; round++) {
      const results = Array.from({ length: 10_000 }, (_, i) => pool.applyAsync<number>('add', [i, 1]));
      await Promise.all(results.map((r) => r.get()));
      await pool.mapAsync(
        'identity',
        Array.from({ length: 50_000 }, (_, i) => i),
      );
    }
    // A worker posts a value before its last decrement of the slot, so the slot comes back microseconds
    // after the result: wait for it (a leak would never get there).
    await until(() => pool.stats().slotsInUse === 0, 5_000);
    expect(pool.stats()).toMatchObject({ queued: 0, running: 0, slotsInUse: 0, workers: 2 });
    const growth = heapAfterGc() - heapBefore;
    // Without --expose-gc the number is noisy; with it (test:soak) it is tight.
    expect(growth).toBeLessThan((globalThis as { gc?: unknown }).gc ? 8 * 2 ** 20 : 64 * 2 ** 20);
  });

  it('terminate racing with submissions: every result settles exactly once', async () => {
    const racing = new Pool({ workers: 2, module: JS_TASKS });
    const settledCount = new Uint8Array(1_012);
    const watch = (i: number) => ({ callback: () => settledCount[i]++, errorCallback: () => settledCount[i]++ });
    // Which task is where when terminate() lands is fixed by handshakes, not by timing: 10 finished, 2 running
    // (each worker held inside a kernel until released, which never happens), 1,000 queued behind them.
    const finished = Array.from({ length: 10 }, (_, i) => racing.applyAsync('add', [i, 1], watch(i)));
    expect(await Promise.all(finished)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    const holds = [new Int32Array(new SharedArrayBuffer(8)), new Int32Array(new SharedArrayBuffer(8))];
    const running = holds.map((cells, i) => racing.applyAsync('holdUntilReleased', [cells.buffer], watch(10 + i)));
    await until(() => holds.every((cells) => Atomics.load(cells, 1) === 1));
    const queued = Array.from({ length: 1_000 }, (_, i) => racing.applyAsync('add', [i, 1], watch(12 + i)));

    const terminating = racing.terminate();
    const refused: unknown[] = [];
    for (let i = 0; i < 1_000; i++) {
      try {
        racing.applyAsync('add', [i, 1]);
      } catch (error) {
        refused.push(error);
      }
    }
    await terminating;

    expect(refused).toHaveLength(1_000);
    expect(refused.every((error) => (error as Error).name === 'PoolStateError')).toBe(true);
    const outcomes = await Promise.all(
      [...running, ...queued].map((r) =>
        r.get().then(
          () => 'fulfilled',
          (e: Error) => e.name,
        ),
      ),
    );
    expect(outcomes.every((outcome) => outcome === 'CancelledError')).toBe(true);
    expect(Array.from(settledCount).every((count) => count === 1)).toBe(true);
    expect([...finished, ...running, ...queued].every((r) => r.ready())).toBe(true);
    expect(finished.map((r) => r.getSync())).toEqual(Array.from({ length: 10 }, (_, i) => i + 1)); // settled before: unchanged
    expect(racing.stats()).toMatchObject({ workers: 0, queued: 0, running: 0, slotsInUse: 0 });
  });

  it('close() and join() while work is still being submitted from callbacks', async () => {
    const closing = new Pool({ workers: 2 });
    const late: unknown[] = [];
    const first = closing.applyAsync('add', [1, 1], {
      callback: () => {
        try {
          closing.applyAsync('add', [2, 2]);
        } catch (error) {
          late.push(error);
        }
      },
    });
    closing.close();
    await closing.join();
    expect(await first).toBe(2);
    expect(late).toHaveLength(1);
    expect((late[0] as Error).name).toBe('PoolStateError');
  });
});
