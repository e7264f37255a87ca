import { afterEach, describe, expect, it } from 'vitest';
import { Pool } from 'wasmpool';
import { JS_TASKS } from '../helpers.js';

let pool: Pool | undefined;
afterEach(async () => {
  await pool?.terminate();
  pool = undefined;
});

/** Keeps this thread busy for `ms` without ever calling into the pool or yielding. */
function computeFor(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

// Behaviour, not timing: the queued work needs about 200 ms on two workers, the caller is busy for 400 ms,
// and at least half of the tasks must be done by then (before the shared queue, 1 or 2 of 400 were). The
// bench measures the real figure (≥ 900 of 1,000 targeted).
describe('work keeps flowing while the caller computes', () => {
  const TASKS = 400;

  it('applyAsync on the built-in WASM kernels', () => {
    pool = new Pool({ workers: 2 });
    pool.applyAsync('spin', [1]).getSync(); // workers up and the module instantiated
    const results = Array.from({ length: TASKS }, () => pool!.applyAsync('spin', [1]));
    computeFor(400);
    const done = results.filter((r) => r.ready()).length;
    expect(done).toBeGreaterThanOrEqual(TASKS / 2);
    for (const r of results) r.waitSync();
    expect(results.every((r) => r.ready() && r.successful())).toBe(true);
  });

  it('applyAsync on a JS module', () => {
    pool = new Pool({ workers: 2, module: JS_TASKS });
    pool.applyAsync('add', [1, 1]).getSync();
    const results = Array.from({ length: TASKS }, () => pool!.applyAsync('busy', [1]));
    computeFor(400);
    expect(results.filter((r) => r.ready()).length).toBeGreaterThanOrEqual(TASKS / 2);
  });

  it('mapAsync: chunks are taken by the workers themselves, and ready() turns true without a yield', () => {
    pool = new Pool({ workers: 2 });
    pool.applyAsync('spin', [1]).getSync();
    const result = pool.mapAsync('spin', new Array<number>(TASKS / 4).fill(1));
    computeFor(400);
    expect(result.ready()).toBe(true);
    expect(result.getSync()).toHaveLength(TASKS / 4);
  });

  it('ready() is a flag read: polling it does not dispatch, and the queue still drains', () => {
    pool = new Pool({ workers: 1, module: JS_TASKS });
    pool.applyAsync('add', [1, 1]).getSync();
    const results = Array.from({ length: 50 }, (_, i) => pool!.applyAsync<number>('add', [i, 1]));
    const last = results[results.length - 1];
    const giveUp = performance.now() + 10_000;
    while (!last.ready() && performance.now() < giveUp);
    expect(last.ready()).toBe(true);
    expect(results.map((r) => r.getSync())).toEqual(results.map((_, i) => i + 1));
  });
});
