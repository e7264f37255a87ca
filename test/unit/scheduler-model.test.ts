// Model-based random testing of the Scheduler over the fake transport (fast-check's commands): the paths nobody
// scripted. Each run builds a pool of 1-3 scripted workers and applies a random sequence of commands: submit an
// apply (a priority, a signal, a callback that calls back in: submit, pump, getSync, terminate) or a map; abort;
// a worker taking, claiming, writing and publishing a unit one step at a time; a worker dying at any of those
// steps; an idle notice (elastic pools) and the answer to a stop; threads exiting; pump; close; terminate.
//
// A small model mirrors each unit's place (waiting, held by which worker at which step, finished) and each task's
// expected outcome. After every command: no result settled twice; every settled result is the one the model
// expects; `size` and `pending` equal the model's; a size watcher whose limit is met has resolved. After a pump:
// every result the model can settle is settled. After the run: every result settled exactly once, and nothing
// left: slots, payload blocks, units, the queue lock, deferred callbacks, watchers, timers, abort listeners.
//
// Seeded: MODEL_SEED=<n> replays a run (fast-check prints the seed and the shrunk command list on failure);
// MODEL_RUNS sets the number of runs (npm test: 1,000; npm run test:soak: 100,000).
import { getEventListeners } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PayloadArena } from '../../src/abi/payload-arena.js';
import { CancelledError, WorkerCrashError } from '../../src/errors.js';
import type { Job } from '../../src/scheduling/jobs.js';
import type { Deadlines } from '../../src/scheduling/deadlines.js';
import type { Scheduler } from '../../src/scheduling/scheduler.js';
import { FakeTransport, type FakeWorker, type TakenUnit } from './fake-transport.js';
import { books, schedulerOver, settleMicrotasks } from './scheduler-harness.js';

const RUNS = Number(process.env.MODEL_RUNS ?? (process.env.SOAK === 'full' ? 100_000 : 1_000));
const SEED = process.env.MODEL_SEED === undefined ? Date.now() ^ (Math.random() * 0x7fffffff) : Number(process.env.MODEL_SEED);

type Reenter = 'none' | 'submit' | 'pump' | 'getSync' | 'terminate';
type Step = 'taken' | 'claimed' | 'written' | 'counted';
type Outcome = { ok: true; value: unknown } | { ok: false; error: new (...args: never[]) => Error };

/** What the model knows of one unit. */
interface ModelUnit {
  id: number;
  task: ModelTask;
  index: number;
  /** Waiting for a worker; held by one (at `step`); finished (a completion or value is out); or out of play. */
  status: 'waiting' | 'held' | 'finished' | 'gone';
  step?: Step;
  worker?: FakeWorker;
  /** Outcome kind the worker will publish. */
  numeric: boolean;
  /** The worker was stopped while holding it (cancel while running): it counts as running until that thread exits. */
  stopped?: boolean;
  /** Cancelled after the take, before the claim: the worker will find the slot cancelled and skip it. */
  skip?: boolean;
  /** Its worker posted the value by message (not yet published as a completion). */
  messageWritten?: boolean;
}

/** A value posted by message that the scheduler has read: the result is settled though the worker still holds the unit. */
function valueDelivered(unit: ModelUnit): boolean {
  const worker = unit.worker;
  return unit.messageWritten === true && worker !== undefined && !worker.exited && !worker.unread.some((m) => 'id' in m && m.id === unit.id);
}

/** Whether the unit still decides its task's outcome (running, or waiting, and its value not in). */
function stillOpen(unit: ModelUnit): boolean {
  return unit.status === 'waiting' || (unit.status === 'held' && !unit.stopped && !unit.skip && !valueDelivered(unit));
}

interface ModelTask {
  kind: 'apply' | 'map';
  units: ModelUnit[];
  /** The value it resolves to once every unit finished, if none failed. */
  value: unknown;
  /** The first failure among its units, in the order they happened (a map fails with the first, as Python's). */
  firstError?: new (...args: never[]) => Error;
  /** Settled by the scheduler on its own (cancel, crash, terminate): no worker result needed. */
  decided?: Outcome;
  controller?: AbortController;
  real: { job: Job; calls: Outcome[] };
}

interface ModelWorker {
  completed: number;
  retiring: boolean;
}

class Model {
  tasks: ModelTask[] = [];
  units = new Map<number, ModelUnit>();
  workers = new Map<FakeWorker, ModelWorker>();
  nextId = 1;
  state: 'open' | 'closing' | 'terminated' = 'open';
  watchers: Array<{ limit: number; resolved: () => boolean }> = [];

  constructor(readonly minWorkers: number) {}

  get waiting(): number {
    let n = 0;
    for (const unit of this.units.values()) if (unit.status === 'waiting') n++;
    return n;
  }

  get held(): number {
    let n = 0;
    for (const unit of this.units.values()) if (unit.status === 'held') n++;
    return n;
  }

  /** The outcome the task settles with once the scheduler has read everything there is to read; undefined if still open. */
  outcome(task: ModelTask): Outcome | undefined {
    if (task.decided) return task.decided;
    if (task.units.some(stillOpen)) return undefined;
    if (task.firstError) return { ok: false, error: task.firstError };
    return { ok: true, value: task.value };
  }

  /** A unit fails on the scheduler's own decision. */
  fail(unit: ModelUnit, error: new (...args: never[]) => Error): void {
    const task = unit.task;
    task.firstError ??= error;
    if (task.kind === 'apply') task.decided ??= { ok: false, error };
  }

  worker(real: FakeWorker): ModelWorker {
    let worker = this.workers.get(real);
    if (!worker) this.workers.set(real, (worker = { completed: 0, retiring: false }));
    return worker;
  }

  heldBy(worker: FakeWorker): ModelUnit | undefined {
    for (const unit of this.units.values()) if (unit.status === 'held' && unit.worker === worker && !unit.stopped) return unit;
    return undefined;
  }

  /** terminate(): what was published settles with its value; everything else fails with CancelledError. */
  terminate(): void {
    this.state = 'terminated';
    for (const unit of this.units.values()) {
      if (stillOpen(unit)) {
        this.fail(unit, CancelledError);
        unit.status = 'gone';
      } else if (unit.status === 'held' && !unit.stopped) unit.status = 'finished';
    }
    for (const task of this.tasks) if (this.outcome(task) === undefined) task.decided = { ok: false, error: CancelledError };
  }
}

interface Real {
  scheduler: Scheduler;
  transport: FakeTransport;
  /** Tasks that callbacks submitted during the last command, in order. */
  submittedByCallbacks: Array<{ job: Job; calls: Outcome[]; a: number }>;
  terminatedByCallback: boolean;
  pendingTerminate: Promise<void>[];
}

const kernelValue = (args: unknown[]): number => args.reduce<number>((sum, x) => sum + (typeof x === 'number' ? x : 0), 0);
const itemValue = (item: unknown): number => (item as number) * 2;

function record(calls: Outcome[]): { callback: (value: unknown) => void; errorCallback: (error: Error) => void } {
  return {
    callback: (value) => calls.push({ ok: true, value }),
    errorCallback: (error) => calls.push({ ok: false, error: error.constructor as new () => Error }),
  };
}

/** Registers a task an apply created, with the unit id the scheduler gave it (they count up from 1). */
function addApply(model: Model, job: Job, calls: Outcome[], value: number, numeric: boolean, controller?: AbortController): ModelTask {
  const task: ModelTask = { kind: 'apply', units: [], value, controller, real: { job, calls } };
  const unit: ModelUnit = { id: model.nextId++, task, index: -1, status: 'waiting', numeric };
  task.units.push(unit);
  model.units.set(unit.id, unit);
  model.tasks.push(task);
  return task;
}

/** Effects the scheduler had on its own inside the last command that the model learns of afterwards. */
function afterCommand(model: Model, real: Real): void {
  // A worker stopped for a cancel holds its unit until its thread has exited.
  for (const unit of model.units.values()) if (unit.status === 'held' && unit.stopped && unit.worker!.exited) unit.status = 'gone';
  for (const submitted of real.submittedByCallbacks.splice(0)) addApply(model, submitted.job, submitted.calls, submitted.a + 1, true);
  if (real.terminatedByCallback && model.state !== 'terminated') model.terminate();
}

function submitApply(model: Model, real: Real, a: number, payload: boolean, priority: number, withSignal: boolean, reenter: Reenter): void {
  const { scheduler } = real;
  const calls: Outcome[] = [];
  const controller = withSignal ? new AbortController() : undefined;
  const { callback, errorCallback } = record(calls);
  const args = payload ? [a, 1, 'payload'] : [a, 1];
  const onValue = (value: unknown): void => {
    callback(value);
    if (reenter === 'submit' && scheduler.state === 'open') {
      const innerCalls: Outcome[] = [];
      const inner = scheduler.apply('add', [a, 1], record(innerCalls));
      real.submittedByCallbacks.push({ job: inner, calls: innerCalls, a });
    } else if (reenter === 'pump') scheduler.pump();
    else if (reenter === 'getSync') {
      const other = model.tasks.find((t) => t.real.job.pending);
      if (other) scheduler.block(other.real.job, 0, true);
    } else if (reenter === 'terminate' && scheduler.state !== 'terminated') {
      real.terminatedByCallback = true;
      real.pendingTerminate.push(scheduler.terminate());
    }
  };
  const job = scheduler.apply('add', args, { priority, signal: controller?.signal, callback: onValue, errorCallback });
  addApply(model, job, calls, a + 1, !payload, controller);
}

function submitMap(model: Model, real: Real, items: number[], chunksize: number, numeric: boolean): void {
  const calls: Outcome[] = [];
  const values = items.map(itemValue);
  const chunks: Array<unknown[] | Float64Array> = [];
  for (let at = 0; at < items.length; at += chunksize) {
    const chunk = items.slice(at, at + chunksize);
    chunks.push(numeric ? Float64Array.from(chunk) : chunk.map((x) => x));
  }
  const job = real.scheduler.map({ kernel: 'double', chunks, total: items.length, chunksize, star: false, ...record(calls) });
  const task: ModelTask = { kind: 'map', units: [], value: values, real: { job, calls } };
  chunks.forEach((_, index) => {
    const unit: ModelUnit = { id: model.nextId++, task, index, status: 'waiting', numeric: false };
    task.units.push(unit);
    model.units.set(unit.id, unit);
  });
  model.tasks.push(task);
}

/** The fake worker takes the next unit of the shared queue. */
function take(model: Model, worker: FakeWorker): void {
  if (worker.held) return; // a worker takes its next unit only once it has published the one it holds
  let taken: TakenUnit | undefined;
  try {
    taken = worker.take();
  } catch {
    return; // stopped: it takes nothing (the scheduler stopped it to retire it, or for a cancel)
  }
  if (!taken) {
    // Every waiting unit of these runs is in the shared queue (it has room for 16,384), so none waits.
    expect(model.waiting, 'the shared queue was empty though the model has waiting units').toBe(0);
    return;
  }
  const unit = model.units.get(taken.id);
  expect(unit, `worker took unit ${taken.id}, which the model does not know`).toBeDefined();
  expect(unit!.status, `worker took unit ${taken.id}, which was not waiting`).toBe('waiting');
  unit!.status = 'held';
  unit!.step = 'taken';
  unit!.worker = worker;
}

function advance(model: Model, worker: FakeWorker): void {
  const unit = model.heldBy(worker);
  if (!unit || unit.skip) {
    if (unit?.skip && worker.held) {
      expect(worker.claim(), 'a cancelled slot must be found cancelled').toBe(false);
      unit.status = 'gone';
      model.worker(worker).completed++;
    }
    return;
  }
  const taken = worker.held!;
  switch (unit.step) {
    case 'taken': {
      const claimed = worker.claim();
      expect(claimed).toBe(true);
      unit.step = 'claimed';
      return;
    }
    case 'claimed': {
      if (!worker.release()) return; // stopped meanwhile: its outcome is dropped (the model marked it)
      if (taken.items === undefined) {
        const value = kernelValue(taken.args!);
        if (unit.numeric) worker.writeNumber(value);
        else {
          worker.writeMessage({ value });
          unit.messageWritten = true;
        }
      } else if (taken.items instanceof Float64Array) {
        for (let i = 0; i < taken.items.length; i++) taken.items[i] = itemValue(taken.items[i]);
      } else {
        worker.writeMessage({ value: (taken.items as unknown[]).map(itemValue) });
        unit.messageWritten = true;
      }
      unit.step = 'written';
      return;
    }
    case 'written': {
      worker.countDown();
      unit.step = 'counted';
      return;
    }
    case 'counted': {
      const outcome = taken.items instanceof Float64Array ? 2 : unit.numeric && taken.items === undefined ? 1 : 3;
      worker.complete(outcome);
      unit.status = 'finished';
      model.worker(worker).completed++;
      return;
    }
  }
}

/** The worker's thread dies where it is. */
function crash(model: Model, worker: FakeWorker): void {
  const unit = model.heldBy(worker);
  if (unit) {
    if (unit.skip) {
      unit.status = 'gone';
    } else {
      // A value already in an apply's slot survives the crash; anything earlier, or a value by message (lost
      // with the thread's unsent messages), or a chunk's in-place results, fails with WorkerCrashError.
      const keeps = (unit.task.kind === 'apply' && unit.numeric && (unit.step === 'written' || unit.step === 'counted')) || valueDelivered(unit);
      if (!keeps) model.fail(unit, WorkerCrashError);
      unit.status = keeps ? 'finished' : 'gone';
    }
  }
  worker.exit(1);
}

class Check {
  static now(model: Model, real: Real, afterPump: boolean): void {
    const { scheduler } = real;
    for (const task of model.tasks) {
      const { job, calls } = task.real;
      expect(calls.length, 'a result was settled more than once').toBeLessThanOrEqual(1);
      expect(calls.length === 1, 'a settled result did not get its callback (or got one unsettled)').toBe(!job.pending);
      const expected = model.outcome(task);
      if (!job.pending) {
        expect(expected, 'the scheduler settled a result the model still expects to run').toBeDefined();
        if (expected!.ok) expect(calls[0]).toEqual(expected);
        else expect(calls[0]).toEqual({ ok: false, error: expected!.error });
      } else if (afterPump && expected !== undefined) {
        throw new Error(`after a pump, a result the model can settle (${JSON.stringify(expected)}) is still pending`);
      }
    }
    expect(scheduler.queuedUnits, 'size').toBe(model.state === 'terminated' ? 0 : model.waiting);
    expect(scheduler.runningUnits, 'pending').toBe(model.state === 'terminated' ? 0 : model.held);
  }
}

type Command = fc.AsyncCommand<Model, Real>;

const command = (name: string, check: (m: Model) => boolean, run: (m: Model, r: Real) => void | Promise<void>, pump = false): Command => ({
  check,
  async run(model, real) {
    await run(model, real);
    afterCommand(model, real);
    // A turn of the event loop: the scheduler's Atomics.waitAsync wake-up (a worker's take or completion) runs.
    await new Promise((resolve) => setImmediate(resolve));
    afterCommand(model, real);
    await settleMicrotasks();
    Check.now(model, real, pump);
    for (const watcher of model.watchers) {
      if (model.state !== 'terminated' && model.waiting < watcher.limit)
        expect(watcher.resolved(), `onSizeLessThan(${watcher.limit}) with size ${model.waiting}`).toBe(true);
    }
  },
  toString: () => name,
});

function liveWorker(real: Real, pick: number): FakeWorker | undefined {
  const live = real.transport.live.filter((w) => !w.terminateRequested);
  return live.length === 0 ? undefined : live[pick % live.length];
}

function commands(): fc.Arbitrary<Command>[] {
  const open = (m: Model): boolean => m.state === 'open';
  const always = (): boolean => true;
  return [
    fc
      .record({
        a: fc.integer({ min: 0, max: 100 }),
        payload: fc.boolean(),
        priority: fc.integer({ min: 0, max: 3 }),
        withSignal: fc.boolean(),
        reenter: fc.constantFrom<Reenter>('none', 'none', 'submit', 'pump', 'getSync', 'terminate'),
      })
      .map(({ a, payload, priority, withSignal, reenter }) =>
        command(`apply(${a}, payload ${payload}, priority ${priority}, signal ${withSignal}, ${reenter})`, open, (m, r) =>
          submitApply(m, r, a, payload, priority, withSignal, reenter),
        ),
      ),
    fc
      .record({ items: fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 6 }), chunksize: fc.integer({ min: 1, max: 3 }), numeric: fc.boolean() })
      .map(({ items, chunksize, numeric }) =>
        command(`map([${items}], ${chunksize}, numeric ${numeric})`, open, (m, r) => submitMap(m, r, items, chunksize, numeric)),
      ),
    fc.nat().map((k) =>
      command(
        `abort(${k})`,
        (m) => m.tasks.some((t) => t.controller && !t.controller.signal.aborted),
        (m) => {
          const candidates = m.tasks.filter((t) => t.controller && !t.controller.signal.aborted);
          const task = candidates[k % candidates.length];
          const unit = task.units[0];
          const settleable = m.outcome(task) !== undefined;
          if (!settleable && unit.status === 'waiting') {
            task.decided = { ok: false, error: CancelledError };
            unit.status = 'gone';
          } else if (!settleable && unit.status === 'held' && unit.step === 'taken') {
            task.decided = { ok: false, error: CancelledError }; // the cancel wins the slot; the worker will skip it
            unit.skip = true;
          } else if (!settleable && unit.status === 'held' && unit.step === 'claimed') {
            task.decided = { ok: false, error: CancelledError }; // the worker is stopped
            unit.stopped = true;
          }
          // Written or counted: the value is on its way, the cancel changes nothing.
          task.controller!.abort(new Error(`abort ${k}`));
          if (unit.stopped) {
            expect(unit.worker!.terminateRequested, 'a cancel of a running unit stops its worker').toBe(true);
          }
        },
      ),
    ),
    fc.nat().map((w) => command(`take(${w})`, always, (m, r) => void (liveWorker(r, w) && take(m, liveWorker(r, w)!)))),
    fc.nat().map((w) => command(`advance(${w})`, always, (m, r) => void (liveWorker(r, w) && advance(m, liveWorker(r, w)!)))),
    fc.nat().map((w) =>
      command(`crash(${w})`, always, (m, r) => {
        const worker = liveWorker(r, w);
        // A worker that dies idle before finishing anything counts toward the start-up crash breaker; the model
        // does not follow that count, so idle crashes are left to workers that have finished something.
        if (!worker || (!m.heldBy(worker) && m.worker(worker).completed === 0)) return;
        crash(m, worker);
      }),
    ),
    fc.nat().map((w) =>
      command(`idle(${w})`, always, (m, r) => {
        const worker = liveWorker(r, w);
        if (!worker) return;
        const unit = m.heldBy(worker);
        const runningZero = !unit || unit.step === 'written' || unit.step === 'counted';
        const active = r.transport.live.filter((x) => !x.terminateRequested && !m.worker(x).retiring).length;
        worker.post({ type: 'idle' });
        worker.deliver();
        if (runningZero && !m.worker(worker).retiring && active > m.minWorkers && m.state !== 'terminated') m.worker(worker).retiring = true;
      }),
    ),
    fc.nat().map((w) =>
      command(`answer-stop(${w})`, always, (m, r) => {
        // The worker's loop finds RUNNING stopped between units and says so (runtime.ts stoppedBetweenUnits).
        const worker = liveWorker(r, w);
        if (!worker || m.heldBy(worker) || !worker.consumer.stopped) return;
        worker.post({ type: 'retired', reason: 'stopped' });
        worker.deliver();
      }),
    ),
    fc.constant(null).map(() => command('exit-terminated', always, (_m, r) => r.transport.exitTerminated())),
    fc.constant(null).map(() => command('pump', always, (_m, r) => r.scheduler.pump(), true)),
    fc.integer({ min: 1, max: 4 }).map((limit) =>
      command(
        `onSizeLessThan(${limit})`,
        (m) => m.state !== 'terminated',
        (m, r) => {
          let resolved = false;
          void r.scheduler.onSizeLessThan(limit).then(() => (resolved = true));
          m.watchers.push({ limit, resolved: () => resolved });
        },
      ),
    ),
    fc.constant(null).map(() =>
      command('close', open, (m, r) => {
        r.scheduler.close();
        m.state = 'closing';
      }),
    ),
    fc.constant(null).map(() =>
      command(
        'terminate',
        (m) => m.state !== 'terminated',
        async (m, r) => {
          const done = r.scheduler.terminate();
          m.terminate();
          r.transport.exitTerminated();
          await done;
        },
        true,
      ),
    ),
  ];
}

/** Runs every unit to its end, then terminates: afterwards every result is settled once and nothing is left. */
async function finish(model: Model, real: Real): Promise<void> {
  const { scheduler, transport } = real;
  for (let round = 0; round < 10_000 && model.state !== 'terminated'; round++) {
    let moved = false;
    for (const worker of transport.live.filter((w) => !w.terminateRequested)) {
      if (model.heldBy(worker) || (worker.held && model.units.get(worker.held.id)?.skip)) {
        advance(model, worker);
        moved = true;
      } else if (model.waiting > 0 && !worker.consumer.stopped) {
        take(model, worker);
        moved = true;
      } else if (worker.consumer.stopped && !worker.held) {
        worker.post({ type: 'retired', reason: 'stopped' });
        worker.deliver();
      }
    }
    transport.exitTerminated();
    scheduler.pump();
    afterCommand(model, real);
    await settleMicrotasks();
    if (!moved && model.waiting === 0 && model.held === 0) break;
  }
  Check.now(model, real, true);
  const terminated = scheduler.terminate();
  if (model.state !== 'terminated') model.terminate();
  transport.exitTerminated();
  await terminated;
  await Promise.all(real.pendingTerminate);
  afterCommand(model, real);
  await settleMicrotasks();
  Check.now(model, real, true);
  for (const task of model.tasks) expect(task.real.calls, 'every result settles exactly once').toHaveLength(1);
  const inside = scheduler as unknown as { arena: PayloadArena; deadlines: Deadlines };
  expect({ ...books(scheduler), queued: 0, running: 0 }).toEqual({ slotsInUse: 0, queued: 0, running: 0, liveBlocks: 0, units: 0, lock: 0 });
  expect(inside.arena.liveBlocks).toBe(0);
  expect(scheduler.outbox.waiting, 'deferred callbacks left').toBe(0);
  expect(scheduler.watchers.waiting, 'queue watchers left').toBe(0);
  expect(inside.deadlines.armed, 'a timer left').toBe(false);
  for (const task of model.tasks) if (task.controller) expect(getEventListeners(task.controller.signal, 'abort'), 'abort listeners left').toHaveLength(0);
}

/**
 * A real garbage collection. Each run's scheduler holds a few MB of SharedArrayBuffers (the 16,384-entry work ring,
 * completion rings), memory outside the JS heap that does not press the collector: without a collection now and
 * then, 100,000 runs grew the process past 20 GB.
 */
const collectGarbage = ((): (() => void) => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

describe('Scheduler against a model (fast-check, seeded)', () => {
  it(`keeps every result, count and resource right over ${RUNS.toLocaleString('en')} random runs (seed ${SEED})`, async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.boolean(), fc.commands(commands(), { maxCommands: 40 }), async (workers, elastic, cmds) => {
        if (++runs % 200 === 0) collectGarbage();
        const transport = new FakeTransport();
        const minWorkers = elastic ? 1 : workers;
        const scheduler = schedulerOver(transport, { workers, minWorkers, idleTimeout: 50 });
        const model = new Model(minWorkers);
        const real: Real = { scheduler, transport, submittedByCallbacks: [], terminatedByCallback: false, pendingTerminate: [] };
        await fc.asyncModelRun(() => ({ model, real }), cmds);
        await finish(model, real);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  }, 3_600_000);
});
