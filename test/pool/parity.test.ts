// Pool and QueuePool share one submission layer (issue 19, item 7): the same method set, and the same bad option
// is the same error, thrown at the call by both, before anything is dispatched. No Redis is needed: nothing here
// reaches the QueuePool's client thread (it points at a closed port and is terminated at the end).
import { afterAll, describe, expect, it } from 'vitest';
import { Pool, type Submitter } from 'wasmpool';
import { QueuePool } from 'wasmpool/bullmq';
import { thrown } from '../helpers.js';

const pool = new Pool({ workers: 1 });
const queuePool = new QueuePool({ queue: 'parity', connection: { host: '127.0.0.1', port: 1 }, connectTimeout: 200 });
afterAll(async () => {
  await pool.terminate();
  await queuePool.terminate();
});

/** The Submitter interface, as names: what code written for either pool may call. */
const SHARED_METHODS = [
  'applyAsync',
  'mapAsync',
  'starmapAsync',
  'apply',
  'map',
  'starmap',
  'imap',
  'imapUnordered',
  'istarmap',
  'istarmapUnordered',
  'onSizeLessThan',
  'onEmpty',
  'onIdle',
  'terminate',
] as const;

const throwingGetter = {
  get timeout(): number {
    throw new Error('getter broke');
  },
};

const taskCases: Array<[label: string, options: unknown]> = [
  ['negative timeout', { timeout: -1 }],
  ['timeout past the timer limit', { timeout: 2 ** 31 }],
  ['signal not an AbortSignal', { signal: {} }],
  ['callback not a function', { callback: 1 }],
  ['errorCallback not a function', { errorCallback: 'x' }],
  ['fractional priority', { priority: 1.5 }],
  ['misspelt option', { timout: 5 }],
  ['options not an object', 5],
  ['a getter that throws', throwingGetter],
];
const mapCases: Array<[label: string, options: unknown]> = [
  ...taskCases,
  ['chunksize 0', { chunksize: 0 }],
  ['onProgress not a function', { onProgress: 'x' }],
];

/** The error a call throws, as class name and message. */
function failure(run: () => unknown): [string, string] {
  const error = thrown(run);
  return [error.constructor.name, error.message];
}

describe('Pool and QueuePool', () => {
  it('have every method of the shared Submitter interface', () => {
    for (const target of [pool, queuePool] as Submitter[]) {
      for (const name of SHARED_METHODS)
        expect(typeof (target as unknown as Record<string, unknown>)[name], `${target.constructor.name}.${name}`).toBe('function');
      expect(typeof target.size).toBe('number');
      expect(typeof target.pending).toBe('number');
    }
  });

  it.each(taskCases)('applyAsync refuses %s with the same error in both', (_label, options) => {
    const local = failure(() => pool.applyAsync('add', [1, 2], options as never));
    expect(local[0]).toMatch(/^(TypeError|RangeError)$/);
    expect(failure(() => queuePool.applyAsync('add', [1, 2], options as never))).toEqual(local);
    expect(pool.stats().queued + queuePool.size).toBe(0);
  });

  it.each(mapCases)('mapAsync, starmapAsync and the imap family refuse %s with the same error in both', (_label, options) => {
    const calls: Array<(target: Submitter) => unknown> = [
      (target) => target.mapAsync('square', [1, 2], options as never),
      (target) => target.starmapAsync('add', [[1, 2]], options as never),
      (target) => target.imap('square', [1, 2], options as never),
      (target) => target.istarmapUnordered('add', [[1, 2]], options as never),
    ];
    for (const call of calls) {
      const local = failure(() => call(pool));
      expect(local[0]).toMatch(/^(TypeError|RangeError)$/);
      expect(failure(() => call(queuePool))).toEqual(local);
    }
  });

  it('the Promise forms reject with that error instead of throwing, in both', async () => {
    for (const target of [pool, queuePool] as Submitter[]) {
      const pending = target.apply('add', [1, 2], { timeout: -1 });
      await expect(pending).rejects.toThrow(/^Expected `timeout`/);
    }
  });

  it('readAhead only on the imap family, in both; a QueuePool priority stays in BullMQ range', () => {
    for (const target of [pool, queuePool] as Submitter[]) {
      expect(failure(() => target.mapAsync('square', [1], { readAhead: 2 } as never))[1]).toMatch(/`readAhead` applies only to imap/);
    }
    expect(failure(() => queuePool.imap('square', [1], { readAhead: 0 }))).toEqual(failure(() => pool.imap('square', [1], { readAhead: 0 })));
    expect(failure(() => queuePool.applyAsync('add', [], { priority: 2 ** 21 }))).toEqual(['RangeError', expect.stringMatching(/BullMQ's priority range/)]);
  });
});
