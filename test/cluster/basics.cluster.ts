// One real redis-server, one or two simulated hosts: the QueuePool API end to end.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError, PoolStateError, TaskError, TimeoutError } from 'wasmpool';
import { QueuePool, RedisConnectionError, serveQueue } from 'wasmpool/bullmq';
import { rejection, thrown, until } from '../helpers.js';
import { eventually, waitingJobs } from './hosts.js';
import { startHost, type Host } from './hosts.js';
import { freePort, startRedis, uniqueQueue, type RedisServer } from './redis.js';

let redis: RedisServer;
let host: Host;
let pool: QueuePool;
const QUEUE = uniqueQueue('basics');
const scratch = mkdtempSync(join(tmpdir(), 'wasmpool-cluster-'));
let markers = 0;
const marker = (): string => join(scratch, `marker-${markers++}`);

beforeAll(async () => {
  redis = await startRedis();
  host = await startHost(QUEUE, redis.port, 2, ['--handoffs=2']);
  pool = new QueuePool({ queue: QUEUE, connection: { host: redis.host, port: redis.port } });
  await pool.waitUntilReady();
});

afterAll(async () => {
  await pool?.close();
  await host?.close();
  await redis?.stop();
});

describe('QueuePool over a served queue', () => {
  it('applies, maps and starmaps with results in input order', async () => {
    expect(await pool.applyAsync('add', [2, 3])).toBe(5);
    expect(await pool.apply('add', [1, 1])).toBe(2);
    expect(await pool.apply('add', ['a string ', 'result'])).toBe('a string result');
    expect(await pool.apply('echo', [null, true, { nested: [1, 'x'] }])).toEqual([null, true, { nested: [1, 'x'] }]);
    const items = Array.from({ length: 500 }, (_, i) => i);
    expect(await pool.map('square', items, { chunksize: 7 })).toEqual(items.map((x) => x * x));
    expect(
      await pool.starmap('add', [
        [1, 2],
        [3, 4],
      ]),
    ).toEqual([3, 7]);
    expect(await pool.mapAsync('square', [])).toEqual([]);
  });

  it('keeps typed arrays, bigint, NaN and -0 intact both ways (not JSON\'s {"0":…})', async () => {
    const [f64, big, nan, zero] = (await pool.apply('echo', [new Float64Array([1, 2.5]), 7n, NaN, -0])) as [Float64Array, bigint, number, number];
    expect(f64).toBeInstanceOf(Float64Array);
    expect([...f64]).toEqual([1, 2.5]);
    expect(big).toBe(7n);
    expect(nan).toBeNaN();
    expect(Object.is(zero, -0)).toBe(true);
    expect(await pool.apply('scaled', [new Float32Array([1, 2]), 3])).toEqual(new Float32Array([3, 6]));
    // A view of shared memory (what pool.alloc gives) goes by value.
    const shared = new Float64Array(new SharedArrayBuffer(24)).fill(2);
    expect(await pool.apply('sumF64', [shared])).toBe(6);
  });

  it('ready() is a flag that turns true while the caller never yields; getSync/waitSync block on Node', () => {
    const result = pool.applyAsync('add', [20, 22]);
    const giveUp = performance.now() + 20_000;
    while (!result.ready() && performance.now() < giveUp);
    expect(result.ready()).toBe(true);
    expect(result.successful()).toBe(true);
    expect(result.getSync()).toBe(42);
    const map = pool.mapAsync('square', [1, 2, 3], { chunksize: 1 });
    map.waitSync();
    expect(map.ready()).toBe(true);
    expect(map.getSync()).toEqual([1, 4, 9]);
    const stop = new AbortController();
    const held = pool.applyAsync('hold', [marker()], { signal: stop.signal });
    expect(thrown(() => held.getSync(50))).toBeInstanceOf(TimeoutError);
    held.waitSync(20);
    expect(held.ready()).toBe(false);
    expect(thrown(() => held.successful()).name).toBe('NotReadyError');
    stop.abort();
    expect(thrown(() => held.getSync())).toBeInstanceOf(CancelledError);
  });

  it('get(ms) rejects with TimeoutError and leaves the task running; wait(ms) resolves either way', async () => {
    const stop = new AbortController();
    const held = pool.applyAsync('hold', [marker()], { signal: stop.signal });
    expect(await rejection(held.get(30))).toBeInstanceOf(TimeoutError);
    await held.wait(30);
    expect(held.ready()).toBe(false);
    stop.abort();
    expect(await rejection(held.get(30))).toBeInstanceOf(CancelledError);
    const quick = pool.applyAsync('add', [1, 2]);
    await quick.wait();
    expect(await quick.get(0)).toBe(3);
  });

  it('calls callback once with the value and errorCallback once with the error; onProgress counts items', async () => {
    const values: unknown[] = [];
    const errors: Error[] = [];
    const progress: Array<[number, number]> = [];
    await pool.mapAsync('square', [1, 2, 3, 4, 5, 6], {
      chunksize: 2,
      callback: (v) => values.push(v),
      onProgress: (done, total) => progress.push([done, total]),
    });
    await pool.applyAsync('fail', ['nope'], { errorCallback: (e) => errors.push(e) }).wait();
    expect(values).toEqual([[1, 4, 9, 16, 25, 36]]);
    expect(errors).toHaveLength(1);
    expect(progress.at(-1)).toEqual([6, 6]);
    expect(progress.every(([done, total], i) => total === 6 && (i === 0 || done >= progress[i - 1][0]))).toBe(true);
  });

  it('imap yields in input order, imapUnordered yields every item', async () => {
    const ordered: number[] = [];
    for await (const value of pool.imap<number>('square', [1, 2, 3, 4, 5], { chunksize: 1 })) ordered.push(value);
    expect(ordered).toEqual([1, 4, 9, 16, 25]);
    const unordered: number[] = [];
    for await (const value of pool.imapUnordered<number>('square', [1, 2, 3, 4, 5], { chunksize: 2 })) unordered.push(value);
    expect(unordered.sort((a, b) => a - b)).toEqual([1, 4, 9, 16, 25]);
    const failing = async (): Promise<void> => {
      for await (const value of pool.imap('fail', ['broken item'], { chunksize: 1 })) expect(value).toBeUndefined();
    };
    const error = await rejection(failing());
    expect(error).toBeInstanceOf(TaskError);
    expect(error.message).toContain('broken item');
  });

  it('imap over an endless generator streams: it reads only as results are taken, and leaving the loop stops the reading', async () => {
    let read = 0;
    function* naturals(): Generator<number> {
      try {
        for (let i = 1; ; i++) {
          read++;
          yield i;
        }
      } finally {
        read = -read; // the generator was closed: its finally ran
      }
    }
    const squares: number[] = [];
    for await (const value of pool.imap<number>('square', naturals(), { chunksize: 4, readAhead: 3 })) {
      squares.push(value);
      if (squares.length === 30) break;
    }
    expect(squares).toEqual(Array.from({ length: 30 }, (_, i) => (i + 1) ** 2));
    // At most the read-ahead (3 chunks of 4) beyond the chunks handed to the loop (30 items: 8), and the generator
    // closed at the break.
    expect(read).toBeLessThan(0);
    expect(-read).toBeLessThanOrEqual((Math.ceil(30 / 4) + 3) * 4);
    await until(() => pool.size === 0 && pool.pending === 0);
    expect(pool.stats().unsettled).toBe(0);
  });

  it('istarmap and istarmapUnordered take argument lists; an item that is no list fails the loop at its place', async () => {
    const sums: number[] = [];
    for await (const value of pool.istarmap<number>(
      'add',
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      { chunksize: 1 },
    ))
      sums.push(value);
    expect(sums).toEqual([3, 7, 11]);
    const unordered: number[] = [];
    for await (const value of pool.istarmapUnordered<number>(
      'add',
      (function* () {
        for (let i = 0; i < 10; i++) yield [i, i];
      })(),
      { chunksize: 3 },
    ))
      unordered.push(value);
    expect(unordered.sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => 2 * i));
    const got: number[] = [];
    const loop = async (): Promise<void> => {
      for await (const value of pool.istarmap<number>(
        'add',
        (function* () {
          yield [1, 1];
          yield 5 as never;
        })(),
        { chunksize: 1 },
      ))
        got.push(value);
    };
    expect((await rejection(loop())).message).toMatch(/^Expected `items\[1\]` to be an array of arguments, got 5/);
    expect(got).toEqual([2]);
  });

  it("a kernel's error arrives as TaskError with the kernel's message, once, without retries", async () => {
    const error = await rejection(pool.apply('fail', ['matrix is singular']));
    expect(error).toBeInstanceOf(TaskError);
    expect(error.message).toContain('matrix is singular');
    expect((error as TaskError).kernel).toBe('fail');
    const mapError = await rejection(pool.map('fail', ['a', 'b'], { chunksize: 1 }));
    expect(mapError).toBeInstanceOf(TaskError);
  });

  it('a crashed worker on the host is retried (attempts, backoff); a TaskError runs once', async () => {
    const retrying = new QueuePool({ queue: QUEUE, connection: { host: redis.host, port: redis.port }, attempts: 2, backoff: 10 });
    try {
      expect(await retrying.apply('crashOnce', [marker()])).toBe('recovered');
      const counted = marker();
      expect(await rejection(retrying.apply('failCounting', [counted]))).toBeInstanceOf(TaskError);
      expect(readFileSync(counted, 'utf8')).toBe('x');
    } finally {
      await retrying.close();
    }
  });

  it('an unknown kernel fails with the list of kernels the serving pool has', async () => {
    const error = await rejection(pool.apply('nosuch', []));
    expect(error.message).toContain('`nosuch`');
    expect(error.message).toMatch(/add.*echo.*square/);
  });

  it('a per-task timeout travels with the job: the serving pool stops the task, the result fails with TimeoutError', async () => {
    const error = await rejection(pool.apply('hold', [marker()], { timeout: 200 }));
    expect(error).toBeInstanceOf(TimeoutError);
  });

  it('rejects bad input at the call, naming the argument', () => {
    expect(thrown(() => new QueuePool({ queue: 'a:b', connection: {} })).message).toBe(
      'Expected `queue` to be a BullMQ queue name (a non-empty string without `:`), got "a:b"',
    );
    expect(thrown(() => new QueuePool({ queue: 'q', connection: 'redis' as never })).message).toMatch(/^Expected `connection` to be/);
    expect(thrown(() => new QueuePool({ queue: 'q', connection: { port: 0 } })).message).toMatch(/^Expected `connection.port` to be a TCP port/);
    expect(thrown(() => new QueuePool({ queue: 'q', connection: {}, atempts: 3 } as never)).message).toMatch(/Unknown option `atempts`/);
    expect(thrown(() => pool.applyAsync('', []))).toBeInstanceOf(TypeError);
    expect(thrown(() => pool.applyAsync('add', 5 as never)).message).toBe('Expected `args` to be an array of arguments, got 5');
    expect(thrown(() => pool.applyAsync('add', [() => 1])).message).toMatch(/^Expected `args` to hold only data that can be sent to another host/);
    expect(thrown(() => pool.mapAsync('add', [1], { chunksize: 0 })).message).toMatch(/^Expected `chunksize` to be a positive integer/);
    expect(thrown(() => pool.applyAsync('add', [], { timeout: -1 })).message).toMatch(/^Expected `timeout`/);
    expect(thrown(() => serveQueue({} as never, { queue: 'q', connection: {} })).message).toBe('Expected `pool` to be a wasmpool Pool, got an object');
    const fake = { applyAsync: () => undefined, workers: 1 } as never;
    expect(thrown(() => serveQueue(fake, { queue: 'q', connection: {}, lockDuration: 0 })).message).toMatch(
      /^Expected `lockDuration` to be a positive integer/,
    );
    expect(thrown(() => serveQueue(fake, { queue: 'q', connection: {}, concurency: 2 } as never)).message).toMatch(
      /Unknown option `concurency` in ServeOptions/,
    );
  });
});

describe('cancelling with a signal', () => {
  it('removes a queued job from the queue and stops a running one on its host', async () => {
    const name = uniqueQueue('cancels');
    const queue = new Queue(name, { connection: { host: redis.host, port: redis.port } });
    const single = await startHost(name, redis.port, 1, ['--concurrency-1']);
    const client = new QueuePool({ queue: name, connection: { host: redis.host, port: redis.port } });
    try {
      const running = new AbortController();
      const runningMarker = marker();
      const held = client.applyAsync('hold', [runningMarker], { signal: running.signal });
      await until(() => existsSync(runningMarker));
      // The only worker is held, so this one waits in the queue.
      const queued = new AbortController();
      const waiting = client.applyAsync('add', [1, 2], { signal: queued.signal });
      await eventually(async () => (await waitingJobs(queue)) === 1);
      queued.abort();
      expect(await rejection(waiting)).toBeInstanceOf(CancelledError);
      await eventually(async () => (await waitingJobs(queue)) === 0);
      // A map's jobs go together: all three chunks wait, one abort removes them all.
      const mapStop = new AbortController();
      const map = client.mapAsync('square', [1, 2, 3], { chunksize: 1, signal: mapStop.signal });
      await eventually(async () => (await waitingJobs(queue)) === 3);
      mapStop.abort();
      expect(await rejection(map)).toBeInstanceOf(CancelledError);
      await eventually(async () => (await waitingJobs(queue)) === 0);
      running.abort();
      expect(await rejection(held)).toBeInstanceOf(CancelledError);
      // The held kernel never returns by itself: this completes only because its host stopped it.
      expect(await client.apply('add', [40, 2])).toBe(42);
      const already = new AbortController();
      already.abort();
      expect(await rejection(client.apply('add', [1, 1], { signal: already.signal }))).toBeInstanceOf(CancelledError);
    } finally {
      await client.close();
      await single.close();
      await queue.close();
    }
  });
});

describe('closing', () => {
  it('QueuePool.close() lets pending results arrive, then refuses new work', async () => {
    const client = new QueuePool({ queue: QUEUE, connection: { host: redis.host, port: redis.port } });
    const results = [client.applyAsync('slowSquare', [3, '', 100]), client.mapAsync('square', [1, 2, 3])];
    const closed = client.close();
    expect(thrown(() => client.applyAsync('add', [1, 2]))).toBeInstanceOf(PoolStateError);
    await closed;
    expect(results.every((r) => r.ready())).toBe(true);
    expect(await results[0]).toBe(9);
    expect(await results[1]).toEqual([1, 4, 9]);
  });

  it('close() during an imap lets the loop read and get the rest of its input; terminate() fails it', async () => {
    const client = new QueuePool({ queue: QUEUE, connection: { host: redis.host, port: redis.port } });
    const values: number[] = [];
    let closed: Promise<void> | undefined;
    for await (const value of client.imap<number>(
      'square',
      (function* () {
        for (let i = 0; i < 40; i++) yield i;
      })(),
      { chunksize: 2, readAhead: 2 },
    )) {
      values.push(value);
      if (values.length === 3) {
        closed = client.close();
      }
    }
    await closed;
    // The loop went on reading its generator after close(): every item arrived.
    expect(values).toEqual(Array.from({ length: 40 }, (_, i) => i * i));

    const other = new QueuePool({ queue: QUEUE, connection: { host: redis.host, port: redis.port } });
    const loop = async (): Promise<number> => {
      let seen = 0;
      for await (const value of other.imap<number>(
        'square',
        (function* () {
          for (let i = 0; ; i++) yield i;
        })(),
        { chunksize: 2, readAhead: 2 },
      )) {
        expect(value).toBe(seen * seen);
        if (++seen === 5) void other.terminate();
      }
      return seen;
    };
    expect(await rejection(loop())).toBeInstanceOf(CancelledError);
  });

  it("serveQueue's close() lets the running job finish and takes no more", async () => {
    const name = uniqueQueue('closing');
    const queue = new Queue(name, { connection: { host: redis.host, port: redis.port } });
    const closing = await startHost(name, redis.port, 1, ['--concurrency-1']);
    const client = new QueuePool({ queue: name, connection: { host: redis.host, port: redis.port } });
    try {
      const runMarker = marker();
      const running = client.applyAsync('slowSquare', [5, runMarker, 500]);
      await until(() => existsSync(runMarker));
      await closing.close();
      expect(await running).toBe(25);
      const later = client.applyAsync('add', [1, 2]);
      await eventually(async () => (await waitingJobs(queue)) === 1);
      expect(later.ready()).toBe(false);
      const next = await startHost(name, redis.port, 1);
      expect(await later).toBe(3);
      await next.close();
    } finally {
      await client.close();
      await closing.kill();
      await queue.close();
    }
  });
});

describe('an unreachable Redis', () => {
  it('fails at once, naming host and port, instead of retrying silently', async () => {
    const port = await freePort();
    const client = new QueuePool({ queue: 'nowhere', connection: { host: '127.0.0.1', port } });
    const result = client.applyAsync('add', [1, 2]);
    const error = await rejection(result);
    expect(error).toBeInstanceOf(RedisConnectionError);
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expect(error.message).toContain('ECONNREFUSED');
    expect((await rejection(client.waitUntilReady())).message).toContain(`127.0.0.1:${port}`);
    expect(await rejection(client.apply('add', [1, 2]))).toBeInstanceOf(RedisConnectionError);
    await client.close();
  });
});
