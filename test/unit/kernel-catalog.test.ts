import { describe, expect, it } from 'vitest';
import { TaskError } from '../../src/errors.js';
import type { Job } from '../../src/scheduling/jobs.js';
import { KernelCatalog } from '../../src/scheduling/kernel-catalog.js';
import type { Scheduler, SchedulerConfig } from '../../src/scheduling/scheduler.js';
import { until } from '../helpers.js';
import { RuntimeTransport } from './fake-transport.js';
import { applyWatched, expectFailure, expectIdle, expectValue, schedulerOver } from './scheduler-harness.js';

/** Bounded memory from kernel names (issue 21, finding 8): only the module's exports are ever kept. */

const kernels = { add: (a: number, b: number) => a + b, double: (x: number) => x * 2 };
const EXPORTS = Object.keys(kernels);

function start(options: Partial<SchedulerConfig> = {}): { scheduler: Scheduler; transport: RuntimeTransport } {
  const transport = new RuntimeTransport(kernels as never);
  return { scheduler: schedulerOver(transport, options), transport };
}

/** The scheduler's catalog and a worker runtime's copy of it: private state, read to check what is held. */
const catalogOf = (scheduler: Scheduler): KernelCatalog => (scheduler as unknown as { kernels: KernelCatalog }).kernels;
const workerNames = (transport: RuntimeTransport, worker = 0): string[] =>
  (transport.workers[worker].runtime as unknown as { kernelNames: string[] }).kernelNames;

const settled = (job: Job): Promise<void> => new Promise((resolve) => job.onSettled(resolve));

/** A distinct name of about 1 KB: 5,000 of them held for ever would be megabytes in every worker. */
const bigName = (i: number): string => `unknown${i}_${'x'.repeat(1000)}`;

describe('KernelCatalog', () => {
  it('numbers names once, in order, and announces only new ones', () => {
    const catalog = new KernelCatalog();
    const announced: Array<[string, number]> = [];
    const announce = (name: string, index: number) => announced.push([name, index]);
    expect([catalog.numberOf('a', announce), catalog.numberOf('b', announce), catalog.numberOf('a', announce)]).toEqual([0, 1, 0]);
    expect(announced).toEqual([
      ['a', 0],
      ['b', 1],
    ]);
    expect(catalog.refusal('zzz')).toBeUndefined(); // exports not known yet: nothing can be refused
  });

  it('once the exports are known, forgets every other name, never reuses a number, and refuses the rest', () => {
    const catalog = new KernelCatalog();
    const announce = () => {};
    catalog.numberOf('typo', announce);
    catalog.numberOf('add', announce);
    expect(catalog.learnExports(['add', 'double'])).toEqual([0]);
    expect(catalog.names()).toEqual(['', 'add']);
    expect(catalog.size).toBe(1);
    expect(catalog.learnExports(['other'])).toEqual([]); // the first report counts
    expect(catalog.numberOf('double', announce)).toBe(2);
    const refused = catalog.refusal('typo');
    expect(refused).toBeInstanceOf(TaskError);
    expect(refused!.message).toBe('Unknown kernel `typo`; the module exports: add, double');
    expect(refused!.kernel).toBe('typo');
    expect((refused!.cause as Error).message).toBe(refused!.message);
    expect(catalog.refusal('add')).toBeUndefined();
  });

  it('with exports given at construction, refuses from the first call', () => {
    const catalog = new KernelCatalog(['add']);
    expect(catalog.exportsKnown).toBe(true);
    expect(catalog.refusal('sub')?.message).toBe('Unknown kernel `sub`; the module exports: add');
  });
});

describe('the Scheduler keeps no unknown kernel name (over the real WorkerRuntime)', () => {
  it('5,000 unknown names sent before the module loaded: each fails by its own name, then none is held anywhere', async () => {
    const { scheduler, transport } = start();
    const early = Array.from({ length: 5000 }, (_, i) => applyWatched(scheduler, { kernel: bigName(i), args: [i] }));
    const known = applyWatched(scheduler, { kernel: 'add', args: [1, 2] });
    await Promise.all([...early, known].map(({ job }) => settled(job)));
    early.forEach((watched, i) => {
      const error = expectFailure(watched, TaskError);
      expect(error.message).toBe(`Unknown kernel \`${bigName(i)}\`; the module exports: ${EXPORTS.join(', ')}`);
    });
    expectValue(known, 3);
    const catalog = catalogOf(scheduler);
    expect(catalog.size).toBeLessThanOrEqual(EXPORTS.length);
    expect(catalog.names().filter((name) => name !== '')).toEqual(['add']);
    // The worker forgot them too: only the export is still spelled out.
    expect(workerNames(transport).filter((name) => name !== '')).toEqual(['add']);
    expectIdle(scheduler);
    await scheduler.terminate();
  });

  it('after the module loaded, 5,000 more unknown names fail at the call and reach no worker', async () => {
    const { scheduler, transport } = start({ workers: 2 });
    const warmUp = applyWatched(scheduler, { kernel: 'double', args: [21] });
    await settled(warmUp.job);
    expectValue(warmUp, 42);
    // That number came through shared memory; the worker's `exports` message may be a turn behind it.
    await until(() => catalogOf(scheduler).exportsKnown);
    const catalogMessages = () => transport.workers.map((w) => w.posted.length);
    const before = catalogMessages();
    const known = workerNames(transport).length;
    for (let i = 0; i < 5000; i++) {
      const watched = applyWatched(scheduler, { kernel: bigName(i), args: [i] });
      expect(watched.job.pending).toBe(false); // refused here, no round trip
      expectFailure(watched, TaskError, /^Unknown kernel `unknown\d+_x+`; the module exports: add, double$/);
    }
    const map = scheduler.map({ kernel: 'nope', chunks: [[1], [2]], total: 2, chunksize: 1, star: false });
    expect(map.pending).toBe(false);
    expect(map.error?.message).toBe('Unknown kernel `nope`; the module exports: add, double');
    expect(catalogOf(scheduler).size).toBeLessThanOrEqual(EXPORTS.length);
    expect(workerNames(transport).length).toBe(known);
    expect(catalogMessages()).toEqual(before);
    expectIdle(scheduler);
    await scheduler.terminate();
  });

  it('exports given in the config (a plain WASM module read on this thread): an unknown name is never stored', () => {
    const { scheduler } = start({ exports: EXPORTS });
    const watched = applyWatched(scheduler, { kernel: 'missing', args: [] });
    expectFailure(watched, TaskError, /^Unknown kernel `missing`; the module exports: add, double$/);
    expect(catalogOf(scheduler).size).toBe(0);
    void scheduler.terminate();
  });
});
