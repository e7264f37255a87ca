import { afterEach, describe, expect, it } from 'vitest';
import { Pool } from 'wasmpool';
import { RING_CAPACITY } from '../../src/abi/layout.js';
import { JS_TASKS } from '../helpers.js';

let pool: Pool | undefined;
afterEach(async () => {
  await pool?.terminate();
  pool = undefined;
});

/** Polls `ready()` of every result, never yielding, until all are ready or 20 s pass; returns how many were. */
function spinUntilReady(results: Array<{ ready(): boolean }>): number {
  const giveUp = performance.now() + 20_000;
  while (!results.every((r) => r.ready()) && performance.now() < giveUp);
  return results.filter((r) => r.ready()).length;
}

// Behaviour, not speed: the workers take queued work themselves, so it completes while the caller never yields
// (no await, no call that dispatches). How much completes in a given busy time is a throughput question: the
// bench's `flow` question measures it, per 1,000 tasks, against Python's Pool (bench/flow.mjs).
describe('work keeps flowing while the caller never yields', () => {
  const TASKS = 400;

  it('applyAsync on the built-in WASM kernels', () => {
    pool = new Pool({ workers: 2 });
    pool.applyAsync('spin', [1]).getSync(); // workers up and the module instantiated
    const results = Array.from({ length: TASKS }, () => pool!.applyAsync('spin', [1]));
    expect(spinUntilReady(results)).toBe(TASKS);
    expect(results.every((r) => r.successful())).toBe(true);
  });

  it('applyAsync on a JS module', () => {
    pool = new Pool({ workers: 2, module: JS_TASKS });
    pool.applyAsync('add', [1, 1]).getSync();
    const results = Array.from({ length: TASKS }, (_, i) => pool!.applyAsync<number>('add', [i, 1]));
    expect(spinUntilReady(results)).toBe(TASKS);
    expect(results.map((r) => r.getSync())).toEqual(results.map((_, i) => i + 1));
  });

  it('mapAsync: chunks are taken by the workers themselves, and ready() turns true without a yield', () => {
    pool = new Pool({ workers: 2 });
    pool.applyAsync('spin', [1]).getSync();
    const result = pool.mapAsync('spin', new Array<number>(TASKS / 4).fill(1));
    expect(spinUntilReady([result])).toBe(1);
    expect(result.getSync()).toHaveLength(TASKS / 4);
  });

  // Kills: ready() dispatching (calling the scheduler's pump()). The shared queue holds RING_CAPACITY units; the
  // ten submitted beyond it wait on this thread until it reads completions, which only dispatching code does.
  // So a caller that only polls ready() sees the whole ring finish and the ten never start.
  it('ready() is a flag read: polling it does not dispatch the units waiting beyond the shared queue', async () => {
    pool = new Pool({ workers: 1, module: JS_TASKS });
    pool.applyAsync('add', [1, 1]).getSync();
    const results = Array.from({ length: RING_CAPACITY + 10 }, (_, i) => pool!.applyAsync<number>('add', [i, 1]));
    expect(pool.size).toBeGreaterThanOrEqual(10); // the ten at least: the worker may already have taken from the ring
    const lastInRing = results[RING_CAPACITY - 1];
    expect(spinUntilReady([lastInRing])).toBe(1); // the handshake: the worker has done all it could take
    // That the ten stay unstarted can only be seen over time: 300 ms of polling (a bound, not a handshake).
    const giveUp = performance.now() + 300;
    while (performance.now() < giveUp) if (results.at(-1)!.ready()) break;
    expect(results.slice(RING_CAPACITY).some((r) => r.ready())).toBe(false);
    const values = await Promise.all(results); // once this thread yields, the ten run
    expect(values.at(-1)).toBe(RING_CAPACITY + 10);
  });
});
