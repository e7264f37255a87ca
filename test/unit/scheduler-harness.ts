import { serialize } from 'node:v8';
import { expect } from 'vitest';
import type { PayloadArena } from '../../src/abi/payload-arena.js';
import { QueueCell } from '../../src/abi/layout.js';
import type { Job } from '../../src/scheduling/jobs.js';
import type { JobResources } from '../../src/scheduling/jobs.js';
import { Scheduler, type ApplyOptions, type SchedulerConfig } from '../../src/scheduling/scheduler.js';

/** One task as the tests describe it: kernel, arguments, options and resources together. */
export interface ApplyRequest extends ApplyOptions {
  kernel: string;
  args: unknown[];
  resources?: JobResources;
}
import type { Transport } from '../../src/transport/types.js';
import { FakeTransport } from './fake-transport.js';

/** A shared-memory Scheduler over `transport`, one worker unless `options` say otherwise. */
export function schedulerOver(transport: Transport, options: Partial<SchedulerConfig> = {}): Scheduler {
  return new Scheduler({
    transport,
    module: { kind: 'js', url: 'fake:kernels' },
    workers: options.workers ?? 1,
    minWorkers: options.workers ?? 1,
    idleTimeout: 10_000,
    maxQueued: Infinity,
    maxWorkerMemory: Infinity,
    maxTasksPerWorker: undefined,
    initializer: undefined,
    initargs: undefined,
    shared: true,
    serialize: (value) => serialize(value),
    ...options,
  });
}

/** A Scheduler whose workers the test scripts step by step. */
export function makeScheduler(options: Partial<SchedulerConfig> = {}): { scheduler: Scheduler; transport: FakeTransport } {
  const transport = new FakeTransport();
  return { scheduler: schedulerOver(transport, options), transport };
}

/** A job with a count of how often each of its callbacks ran: a result settled twice would show as 2. */
export interface Watched {
  job: Job;
  successes: unknown[];
  failures: Error[];
}

export function applyWatched(scheduler: Scheduler, request: Omit<ApplyRequest, 'callback' | 'errorCallback'>): Watched {
  const successes: unknown[] = [];
  const failures: Error[] = [];
  const { kernel, args, resources, ...options } = request;
  const job = scheduler.apply(
    kernel,
    args,
    { ...options, callback: (value) => successes.push(value), errorCallback: (error) => failures.push(error) },
    resources,
  );
  return { job, successes, failures };
}

/** Settled exactly once, with `value`. */
export function expectValue(watched: Watched, value: unknown): void {
  expect(watched.failures).toEqual([]);
  expect(watched.successes).toEqual([value]);
  expect(watched.job.value).toEqual(value);
}

/** Settled exactly once, failed with an instance of `type`. */
export function expectFailure(watched: Watched, type: new (...args: never[]) => Error, message?: RegExp): Error {
  expect(watched.successes).toEqual([]);
  expect(watched.failures).toHaveLength(1);
  const error = watched.failures[0];
  expect(error).toBeInstanceOf(type);
  expect(watched.job.error).toBe(error);
  if (message) expect(error.message).toMatch(message);
  return error;
}

/** The scheduler's books, private ones included: what a leak check must find at zero. */
export function books(scheduler: Scheduler): { slotsInUse: number; queued: number; running: number; liveBlocks: number; units: number; lock: number } {
  const inside = scheduler as unknown as { arena: PayloadArena; book: { size: number }; signal: Int32Array };
  return {
    slotsInUse: scheduler.slots.inUse,
    queued: scheduler.queuedUnits,
    running: scheduler.runningUnits,
    liveBlocks: inside.arena.liveBlocks,
    units: inside.book.size,
    lock: Atomics.load(inside.signal, QueueCell.LOCK),
  };
}

export function expectIdle(scheduler: Scheduler): void {
  expect(books(scheduler)).toEqual({ slotsInUse: 0, queued: 0, running: 0, liveBlocks: 0, units: 0, lock: 0 });
}

/** Lets promise callbacks (exits awaited by the scheduler, join) run. */
export async function settleMicrotasks(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

export const add = (a: unknown, b: unknown): number => (a as number) + (b as number);
