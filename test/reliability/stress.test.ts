// A seeded random stress over real threads: an elastic pool of 8 (minWorkers 2, idleTimeout 20 ms, so workers
// come and go all the time), applies and maps of every outcome (values, throws, worker crashes), aborts, callbacks
// that call back into the pool (a new submission, getSync), size watchers, and pauses that let workers retire.
// After the run: every result settled exactly once with an outcome its task allows, every callback once, and
// nothing left (queued, running, slots). npm test runs a few seconds of it; npm run test:soak runs minutes.
// STRESS_SEED=<n> replays a run's choices (the seed is in the test name and in every failure).
import { afterAll, describe, expect, it } from 'vitest';
import { CancelledError, Pool, TaskError, WorkerCrashError } from 'wasmpool';
import { JS_TASKS, until } from '../helpers.js';

const FULL = process.env.SOAK === 'full';
const SECONDS = Number(process.env.STRESS_SECONDS ?? (FULL ? 120 : 3));
const SEED = process.env.STRESS_SEED === undefined ? (Date.now() ^ (Math.random() * 0x7fffffff)) >>> 0 : Number(process.env.STRESS_SEED);

/** mulberry32: the same seed makes the same choices. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Allowed = { value?: unknown; errors: Array<new (...args: never[]) => Error> };

interface Tracked {
  what: string;
  allowed: Allowed;
  settled: Array<{ ok: boolean; value: unknown }>;
  promise: Promise<unknown>;
}

let pool: Pool | undefined;
afterAll(async () => {
  await pool?.terminate();
});

describe('stress over real threads (seeded)', () => {
  it(
    `8 elastic workers, every outcome, aborts, re-entrant callbacks, for ${SECONDS} s (seed ${SEED})`,
    async () => {
      const rand = random(SEED);
      const pick = <T>(options: readonly T[]): T => options[Math.floor(rand() * options.length)];
      pool = new Pool({ workers: 8, minWorkers: 2, idleTimeout: 20, module: JS_TASKS });
      const p = pool;
      const tracked: Tracked[] = [];

      const track = (
        what: string,
        allowed: Allowed,
        submit: (callbacks: { callback: (v: unknown) => void; errorCallback: (e: Error) => void }) => PromiseLike<unknown>,
      ): void => {
        const settled: Tracked['settled'] = [];
        const callbacks = {
          callback: (value: unknown) => settled.push({ ok: true, value }),
          errorCallback: (error: Error) => settled.push({ ok: false, value: error }),
        };
        const promise = Promise.resolve(submit(callbacks)).then(
          (value) => value,
          (error: unknown) => error,
        );
        tracked.push({ what, allowed, settled, promise });
      };

      const deadline = performance.now() + SECONDS * 1000;
      let round = 0;
      while (performance.now() < deadline) {
        round++;
        const controller = rand() < 0.2 ? new AbortController() : undefined;
        const kind = pick(['add', 'add', 'add', 'busy', 'fail', 'exit', 'map', 'starmap', 'reenter'] as const);
        const n = round;
        const cancelled: Allowed['errors'] = controller ? [CancelledError] : [];
        switch (kind) {
          case 'add':
            track(`add(${n})`, { value: n + 1, errors: cancelled }, (c) =>
              p.applyAsync('add', [n, 1], { ...c, signal: controller?.signal, priority: pick([0, 0, 1, 5]) }),
            );
            break;
          case 'busy':
            track(`busy(${n})`, { value: 1, errors: cancelled }, (c) => p.applyAsync('busy', [1], { ...c, signal: controller?.signal }));
            break;
          case 'fail':
            track(`fail(${n})`, { errors: [TaskError, ...cancelled] }, (c) => p.applyAsync('fail', [`no ${n}`], { ...c, signal: controller?.signal }));
            break;
          case 'exit':
            track(`exitIf(${n})`, { errors: [WorkerCrashError, ...cancelled] }, (c) =>
              p.applyAsync('exitIf', ['exit', n], { ...c, signal: controller?.signal }),
            );
            break;
          case 'map': {
            const items = Array.from({ length: 1 + Math.floor(rand() * 20) }, (_, i) => i + n);
            track(`map(${items.length})`, { value: items.map((x) => x + 0), errors: cancelled }, (c) =>
              p.mapAsync('echo', items, { ...c, chunksize: pick([1, 3, 8]), signal: controller?.signal }),
            );
            break;
          }
          case 'starmap': {
            const pairs = Array.from({ length: 1 + Math.floor(rand() * 10) }, (_, i) => [i, n] as const);
            track(`starmap(${pairs.length})`, { value: pairs.map(([a, b]) => a + b), errors: cancelled }, (c) =>
              p.starmapAsync('add', pairs, { ...c, signal: controller?.signal }),
            );
            break;
          }
          case 'reenter': {
            // The callback submits another task and waits for it synchronously: both must settle once.
            const inner: { value?: number } = {};
            track(`reenter(${n})`, { value: n + 2, errors: [] }, (c) =>
              p.applyAsync('add', [n, 2], {
                callback: (v) => {
                  inner.value = p.applyAsync<number>('add', [n, 3]).getSync(20_000);
                  c.callback(v);
                },
                errorCallback: c.errorCallback,
              }),
            );
            break;
          }
        }
        if (controller && rand() < 0.7) {
          const abortNow = rand() < 0.5;
          if (abortNow) controller.abort(new Error(`stop ${n}`));
          else setTimeout(() => controller.abort(new Error(`stop ${n}`)), Math.floor(rand() * 3));
        }
        if (rand() < 0.05) await p.onSizeLessThan(1 + Math.floor(rand() * 50));
        if (rand() < 0.02) await new Promise((resolve) => setTimeout(resolve, 30)); // long enough for idle workers to retire
        if (round % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
      }

      const outcomes = await Promise.all(tracked.map((t) => t.promise));
      await p.onIdle();
      const problems: string[] = [];
      tracked.forEach((t, i) => {
        const outcome = outcomes[i];
        if (t.settled.length !== 1) problems.push(`${t.what}: its callbacks ran ${t.settled.length} times`);
        if (outcome instanceof Error) {
          if (!t.allowed.errors.some((type) => outcome instanceof type)) problems.push(`${t.what}: failed with ${outcome.name}: ${outcome.message}`);
        } else if (t.allowed.value !== undefined) {
          if (JSON.stringify(outcome) !== JSON.stringify(t.allowed.value)) problems.push(`${t.what}: got ${JSON.stringify(outcome)}`);
        }
      });
      expect(problems.slice(0, 10), `seed ${SEED}: ${problems.length} of ${tracked.length} tasks wrong`).toEqual([]);
      await until(() => p.stats().slotsInUse === 0);
      expect(p.stats()).toMatchObject({ queued: 0, running: 0, slotsInUse: 0 });
      expect(await p.apply('add', [40, 2])).toBe(42); // the pool still serves
    },
    60_000 + SECONDS * 3000,
  );
});
