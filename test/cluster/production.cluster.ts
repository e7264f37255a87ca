// What a team running wasmpool/bullmq for weeks needs (issue 19): Redis bounded, results only to their submitter,
// no silent hangs, rolling deploys, stopping and reattaching, the local pool's queue controls.
import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError, QueueFullError, TaskError } from 'wasmpool';
import { JobLostError, QueuePool, RedisConnectionError, RedisFullError } from 'wasmpool/bullmq';
import { rejection, thrown, until } from '../helpers.js';
import { eventually, startHost, stopAll, waitingJobs, type Host } from './hosts.js';
import { freePort, startRedis, uniqueQueue, type RedisServer } from './redis.js';

const scratch = mkdtempSync(join(tmpdir(), 'wasmpool-production-'));
let markers = 0;
const marker = (): string => join(scratch, `marker-${markers++}`);

let redis: RedisServer;
let admin: Redis;
const extra: Array<{ close(): Promise<unknown> }> = [];
let hosts: Host[] = [];

beforeAll(async () => {
  redis = await startRedis();
  admin = new Redis({ host: redis.host, port: redis.port });
});

afterEach(async () => {
  for (const item of extra.splice(0).reverse()) await item.close();
  await stopAll(hosts);
  hosts = [];
});

afterAll(async () => {
  admin?.disconnect();
  await redis?.stop();
});

const connection = (): { host: string; port: number } => ({ host: redis.host, port: redis.port });
function queuePool(queue: string, options: Record<string, unknown> = {}): QueuePool {
  const pool = new QueuePool({ queue, connection: connection(), ...options });
  extra.push(pool);
  return pool;
}
function bullQueue(queue: string): Queue {
  const q = new Queue(queue, { connection: connection() });
  extra.push(q);
  return q;
}
async function keysOf(queue: string): Promise<string[]> {
  return admin.keys(`bull:${queue}:*`);
}
async function usedMemory(): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);
}

describe('Redis stays bounded', () => {
  it('keeps neither results nor finished jobs once the submitter has them: 10,000 jobs leave Redis as they found it', async () => {
    const queue = uniqueQueue('bounded');
    hosts = [await startHost(queue, redis.port, 2)];
    const pool = queuePool(queue);
    await pool.apply('add', [1, 2]);
    const keysBefore = (await keysOf(queue)).length;
    const memoryBefore = await usedMemory();
    const n = 10_000;
    const values = await Promise.all(Array.from({ length: n }, (_, i) => pool.applyAsync<number>('add', [i, 1]).get()));
    expect(values.every((v, i) => v === i + 1)).toBe(true);
    // Removal of the last jobs' records and reply entries is asynchronous (after the result arrived): let it land.
    await eventually(async () => (await keysOf(queue)).length <= keysBefore);
    const grown = (await usedMemory()) - memoryBefore;
    // The old design kept ~1.6 KB per job (16 MB here); what is left is BullMQ's events stream, capped by count.
    expect(grown).toBeLessThan(4_000_000);
    const replyStreams = (await keysOf(queue)).filter((key) => key.includes(':wasmpool:reply:'));
    for (const key of replyStreams) expect(await admin.xlen(key)).toBe(0);
  });

  it("keeps finished jobs' records as removeOnComplete / removeOnFail say, failures capped by count", async () => {
    const queue = uniqueQueue('retention');
    hosts = [await startHost(queue, redis.port, 1)];
    const pool = queuePool(queue, { removeOnComplete: 3, removeOnFail: { count: 2, age: 3600 } });
    for (let i = 0; i < 6; i++) await pool.apply('add', [i, 0]);
    for (let i = 0; i < 5; i++) await rejection(pool.apply('fail', ['kept?']));
    const q = bullQueue(queue);
    await eventually(async () => {
      const counts = await q.getJobCounts('completed', 'failed');
      return counts.completed === 3 && counts.failed === 2;
    });
    expect(thrown(() => queuePool(queue, { removeOnComplete: -1 })).message).toMatch(/^Expected `removeOnComplete` to be true, false, a count/);
    expect(thrown(() => queuePool(queue, { removeOnFail: { count: 1, ages: 3 } })).message).toMatch(/Unknown option `ages`/);
  });

  it("a full Redis fails the submission with RedisFullError carrying Redis's own OOM text", async () => {
    const small = await startRedis({ args: ['--maxmemory', '3mb', '--maxmemory-policy', 'noeviction'] });
    try {
      const pool = new QueuePool({ queue: uniqueQueue('full'), connection: { host: small.host, port: small.port } });
      const error = await rejection(pool.apply('sumF64', [new Float64Array(1_000_000)]));
      expect(error).toBeInstanceOf(RedisFullError);
      expect(error.message).toMatch(/is full while adding jobs \(OOM command not allowed/);
      await pool.close();
    } finally {
      await small.stop();
    }
  });

  it('a Redis that wants a password says so, as RedisConnectionError naming the credentials', async () => {
    const locked = await startRedis({ args: ['--requirepass', 'sesame'] });
    try {
      const pool = new QueuePool({ queue: uniqueQueue('auth'), connection: { host: locked.host, port: locked.port } });
      const error = await rejection(pool.apply('add', [1, 2]));
      expect(error).toBeInstanceOf(RedisConnectionError);
      expect(error.message).toMatch(/refused this client while connecting \(NOAUTH.*set `connection.username` \/ `connection.password`/);
      await pool.close();
      const allowed = new QueuePool({ queue: uniqueQueue('auth'), connection: { host: locked.host, port: locked.port, password: 'sesame' } });
      await allowed.waitUntilReady();
      await allowed.close();
    } finally {
      await locked.stop();
    }
  });
});

describe('results only to their submitter', () => {
  it("a bystander QueuePool on the same queue reads nothing of another submitter's large results", async () => {
    const queue = uniqueQueue('bystander');
    hosts = [await startHost(queue, redis.port, 1)];
    const bystander = fork(fileURLToPath(new URL('./bystander.mjs', import.meta.url)), [queue, String(redis.port)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    type Sample = { cpu: number; rss: number };
    const replies: Sample[] = [];
    bystander.on('message', (sample: Sample) => replies.push(sample));
    const sample = async (): Promise<Sample> => {
      const count = replies.length;
      bystander.send('sample');
      await until(() => replies.length > count);
      return replies[count];
    };
    try {
      await until(() => replies.length > 0); // ready
      const pool = queuePool(queue);
      const before = await sample();
      const big = new Float64Array(2_000_000).fill(1.5); // 16 MB, ~21 MB of base64 each way
      for (let i = 0; i < 3; i++) {
        const doubled = await pool.apply<Float64Array>('scaled', [big, 2]);
        expect(doubled).toBeInstanceOf(Float64Array);
        expect(doubled[1_999_999]).toBe(3);
      }
      const after = await sample();
      // Decoding the three results alone would take the bystander well over 100 ms of CPU and 60 MB.
      expect(after.cpu - before.cpu).toBeLessThan(150);
      expect(after.rss - before.rss).toBeLessThan(40 * 2 ** 20);
    } finally {
      bystander.kill('SIGKILL');
    }
  });
});

describe('no silent hangs', () => {
  it('a Redis that accepts connections but never answers fails get() within the timeouts', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    const port = await freePort();
    await new Promise<void>((resolve) => silent.listen(port, '127.0.0.1', resolve));
    try {
      const pool = new QueuePool({ queue: 'silent', connection: { host: '127.0.0.1', port }, connectTimeout: 300, commandTimeout: 300 });
      const started = performance.now();
      const error = await rejection(pool.apply('add', [1, 2]));
      expect(error).toBeInstanceOf(RedisConnectionError);
      expect(error.message).toContain(`127.0.0.1:${port}`);
      expect(performance.now() - started).toBeLessThan(10_000);
      await pool.close();
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it('a frozen Redis (SIGSTOP) fails pending results with a clear error; the serving side closes within its bound', async () => {
    const frozen = await startRedis({ restartable: true });
    const queue = uniqueQueue('frozen');
    const host = await startHost(queue, frozen.port, 1, ['--close-timeout=500']);
    try {
      const pool = new QueuePool({ queue, connection: { host: frozen.host, port: frozen.port }, commandTimeout: 500 });
      expect(await pool.apply('add', [1, 2])).toBe(3);
      const held = pool.applyAsync('slowSquare', [2, '', 1500]);
      await until(() => pool.pending === 1);
      frozen.freeze();
      const error = await rejection(held);
      expect(error).toBeInstanceOf(RedisConnectionError);
      expect(error.message).toMatch(/did not answer within 500 ms/);
      // The host's close() returns though Redis cannot record the job it was running (it runs again elsewhere).
      await frozen.stop();
      await host.close();
      await pool.terminate();
    } finally {
      await host.kill();
      await frozen.stop();
    }
  });
});

describe('rolling deploys', () => {
  it('a host that lacks a kernel hands the job back for one that has it', async () => {
    const queue = uniqueQueue('rolling');
    hosts = await Promise.all([startHost(queue, redis.port, 1, ['--module=old']), startHost(queue, redis.port, 1)]);
    const pool = queuePool(queue);
    const values = await Promise.all(Array.from({ length: 40 }, (_, i) => pool.apply<number>('square', [i])));
    expect(values).toEqual(Array.from({ length: 40 }, (_, i) => i * i));
    expect(await pool.map('square', [1, 2, 3], { chunksize: 1 })).toEqual([1, 4, 9]);
  });

  it('and while most hosts are old: two hosts without the kernel, one with it, none of 120 jobs fails', async () => {
    const queue = uniqueQueue('rolling-most');
    hosts = await Promise.all([
      startHost(queue, redis.port, 2, ['--module=old']),
      startHost(queue, redis.port, 2, ['--module=old']),
      startHost(queue, redis.port, 1),
    ]);
    const pool = queuePool(queue);
    const values = await Promise.all(Array.from({ length: 120 }, (_, i) => pool.apply<number>('square', [i])));
    expect(values).toEqual(Array.from({ length: 120 }, (_, i) => i * i));
    // The old hosts still run what they have.
    expect(await pool.apply('add', [40, 2])).toBe(42);
  });

  it('a job of another format goes back too, and fails only when no host took it within the bound', async () => {
    const queue = uniqueQueue('format');
    hosts = [await startHost(queue, redis.port, 1, ['--handoffs=2'])];
    const q = bullQueue(queue);
    const job = await q.add('add', { format: 99, kind: 'apply', kernel: 'add', args: [1, 2], reply: 'x', cancel: '' });
    await eventually(async () => (await q.getJobCounts('failed')).failed === 1);
    const failed = (await q.getJob(job.id!))!;
    expect(failed.failedReason).toMatch(/No serving host took job .* after 2 hand-offs: .*job format 2, the job has format 99/);
    expect(failed.attemptsStarted).toBe(3);
  });
});

describe('stop and reattach', () => {
  it('terminate() cancels every job this QueuePool submitted that has not finished', async () => {
    const queue = uniqueQueue('terminate');
    hosts = [await startHost(queue, redis.port, 1, ['--concurrency-1'])];
    const q = bullQueue(queue);
    const pool = new QueuePool({ queue, connection: connection() });
    const runningMarker = marker();
    const held = pool.applyAsync('hold', [runningMarker]);
    await until(() => existsSync(runningMarker));
    const queued = Array.from({ length: 200 }, (_, i) => pool.applyAsync('add', [i, 1]));
    await eventually(async () => (await waitingJobs(q)) === 200);
    await pool.terminate();
    for (const result of [held, ...queued]) expect(await rejection(result)).toBeInstanceOf(CancelledError);
    await eventually(async () => (await waitingJobs(q)) === 0);
    // The held kernel never returns on its own: the host's next job runs only because terminate() stopped it there.
    const next = queuePool(queue);
    expect(await next.apply('add', [40, 2])).toBe(42);
  });

  it('result(jobId) reattaches from another QueuePool after the submitting process was killed', async () => {
    const queue = uniqueQueue('reattach');
    const submitter = fork(fileURLToPath(new URL('./submitter.mjs', import.meta.url)), [queue, String(redis.port)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const ids = await new Promise<{ apply: string; map: string }>((resolve) => submitter.once('message', resolve));
    const q = bullQueue(queue);
    await eventually(async () => (await waitingJobs(q)) === 4);
    submitter.kill('SIGKILL');
    const pool = queuePool(queue);
    const apply = pool.result<number>(ids.apply);
    const map = pool.result<number[]>(ids.map);
    expect(apply.jobId).toBe(ids.apply);
    hosts = [await startHost(queue, redis.port, 1)];
    expect(await apply).toBe(42);
    expect(await map).toEqual([1, 4, 9, 16, 25]);
    // Delivered and removed: it cannot be collected twice.
    expect(await rejection(pool.result(ids.apply))).toBeInstanceOf(JobLostError);
    // Its own pending result is the same object; a malformed id is refused at the call.
    const live = pool.applyAsync('slowSquare', [3, '', 200]);
    expect(pool.result(live.jobId)).toBe(live);
    expect(await live).toBe(9);
    expect(thrown(() => pool.result('nope')).message).toBe('Expected `jobId` to be the jobId of a QueuePool result, got "nope"');
  });
});

describe("the local pool's queue controls", () => {
  it('size, pending, onSizeLessThan, onEmpty, onIdle, stats() and maxQueued', async () => {
    const queue = uniqueQueue('controls');
    hosts = [await startHost(queue, redis.port, 1, ['--concurrency-1'])];
    const pool = queuePool(queue, { maxQueued: 4 });
    await pool.waitUntilReady();
    const stop = new AbortController();
    const held = pool.applyAsync('hold', [marker()], { signal: stop.signal });
    const waiting = [1, 2, 3].map((i) => pool.applyAsync('add', [i, 0]));
    await until(() => pool.pending === 1 && pool.size === 3);
    expect(pool.stats()).toMatchObject({ queued: 3, running: 1, unsettled: 4, submitted: 4 });
    const error = thrown(() => pool.mapAsync('square', [1, 2], { chunksize: 1 }));
    expect(error).toBeInstanceOf(QueueFullError);
    expect(error.message).toMatch(/Cannot queue 2 units: 3 of `maxQueued` \(4\)/);
    const below = pool.onSizeLessThan(1);
    const empty = pool.onEmpty();
    const idle = pool.onIdle();
    stop.abort();
    await rejection(held);
    await Promise.all([below, empty, idle]);
    expect(await Promise.all(waiting)).toEqual([1, 2, 3]);
    expect(pool.stats()).toMatchObject({ queued: 0, running: 0, unsettled: 0, submitted: 4, succeeded: 3, failed: 1 });
  });

  it('priority: larger first, FIFO within a priority (BullMQ priorities underneath)', async () => {
    const queue = uniqueQueue('priority');
    hosts = [await startHost(queue, redis.port, 1, ['--concurrency-1'])];
    const pool = queuePool(queue);
    const stop = new AbortController();
    const held = pool.applyAsync('hold', [marker()], { signal: stop.signal });
    await until(() => pool.pending === 1);
    const order = marker();
    const results = [
      pool.applyAsync('note', [order, 'low'], { priority: -1 }),
      pool.applyAsync('note', [order, 'default-1']),
      pool.applyAsync('note', [order, 'high'], { priority: 5 }),
      pool.applyAsync('note', [order, 'default-2']),
      pool.starmapAsync('note', [[order, 'map-high']], { priority: 5 }),
    ];
    const q = bullQueue(queue);
    await eventually(async () => (await waitingJobs(q)) === 5);
    stop.abort();
    await rejection(held);
    await Promise.all(results);
    expect(readFileSync(order, 'utf8').trim().split('\n')).toEqual(['high', 'map-high', 'default-1', 'default-2', 'low']);
    expect(thrown(() => pool.applyAsync('add', [1, 2], { priority: 2 ** 20 })).message).toMatch(
      /^Expected `priority` to be an integer from -1048575 to 1048575/,
    );
    expect(thrown(() => pool.applyAsync('add', [1, 2], { priority: 1.5 })).message).toMatch(/^Expected `priority` to be an integer/);
  });
});

describe('a kernel error is still a TaskError through the reply stream', () => {
  it('and a map chunk that fails fails the map once', async () => {
    const queue = uniqueQueue('errors');
    hosts = [await startHost(queue, redis.port, 1)];
    const pool = queuePool(queue);
    let calls = 0;
    const error = await rejection(pool.mapAsync('fail', ['x', 'y'], { chunksize: 1, errorCallback: () => calls++ }));
    expect(error).toBeInstanceOf(TaskError);
    expect(calls).toBe(1);
  });
});
