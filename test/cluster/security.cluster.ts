// An attacker who can submit to the queue, or write to Redis streams and channels (issue 21, "Queue"): it cannot
// take over another submitter's jobs, cancel them, silence them, stall a host or learn the host's file layout.
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskError } from 'wasmpool';
import { JobLostError, QueuePool, serveQueue } from 'wasmpool/bullmq';
import { rejection, thrown, until } from '../helpers.js';
import { eventually, startHost, type Host } from './hosts.js';
import { startRedis, uniqueQueue, type RedisServer } from './redis.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const QUEUE = uniqueQueue('security');
let redis: RedisServer;
let host: Host;
let victim: QueuePool;
let attacker: Redis;
let queue: Queue;

beforeAll(async () => {
  redis = await startRedis();
  host = await startHost(QUEUE, redis.port, 2);
  victim = new QueuePool({ queue: QUEUE, connection: { host: redis.host, port: redis.port } });
  attacker = new Redis({ host: redis.host, port: redis.port });
  queue = new Queue(QUEUE, { connection: { host: redis.host, port: redis.port } });
  await victim.waitUntilReady();
});

afterAll(async () => {
  await victim?.close();
  await queue?.close();
  attacker?.disconnect();
  await host?.close();
  await redis?.stop();
});

/** The BullMQ job ids present in Redis, as anyone with access can list them. */
async function jobIdsInRedis(): Promise<string[]> {
  const keys = await attacker.keys(`bull:${QUEUE}:*`);
  return keys.map((key) => key.slice(`bull:${QUEUE}:`.length)).filter((id) => /^[0-9a-f]{8}-[0-9a-f-]{27}(\.\d+)?$/.test(id));
}

describe('job ids', () => {
  it('are random UUIDs, so nobody can pre-create the next one and have the victim adopt it', async () => {
    const held = victim.applyAsync('slowSquare', [2, '', 300]);
    await eventually(async () => (await jobIdsInRedis()).length > 0);
    const seen = await jobIdsInRedis();
    for (const id of seen) expect(id.split('.')[0]).toMatch(UUID);
    // Squatting on whatever can be derived from what is visible: neighbours and chunk suffixes of the ids seen.
    const squatted = seen.flatMap((id) => [`${id}.0`, `${id}.1`, id.replace(/.$/, (c) => (c === '0' ? '1' : '0'))]);
    await Promise.all(
      squatted.map((jobId) => queue.add('add', { format: 2, kind: 'apply', kernel: 'add', args: [1000, 1000], reply: 'x', cancel: '' }, { jobId })),
    );
    expect(await victim.apply('add', [1, 2])).toBe(3);
    expect(await held).toBe(4);
    expect(held.jobId.split('.').every((part) => UUID.test(part))).toBe(true);
  });
});

/** A TCP relay to Redis that holds every connection until open(): what a client sends waits in the socket. */
async function gatedRelay(port: number): Promise<{ port: number; open(): void; close(): Promise<void> }> {
  const held: Socket[] = [];
  let opened = false;
  const relay = (client: Socket): void => {
    const upstream = createConnection(port, '127.0.0.1');
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  };
  const server: Server = createServer((client) => (opened ? relay(client) : held.push(client)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    open() {
      opened = true;
      for (const client of held.splice(0)) relay(client);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('a job id taken in advance', () => {
  it("is not adopted: the attacker's job, answered on the victim's own reply stream, fails the result with JobLostError", async () => {
    const gate = await gatedRelay(redis.port);
    // The submitter cannot reach Redis until the attacker is done: its id is known here, as if it had been guessed.
    const late = new QueuePool({ queue: QUEUE, connection: { host: '127.0.0.1', port: gate.port } });
    const result = late.applyAsync<number>('add', [1, 2]);
    const [reply, jobId] = result.jobId.split('.');
    await queue.add('add', { format: 2, kind: 'apply', kernel: 'add', args: [1000, 1000], reply, cancel: '' }, { jobId });
    // The host has run the squatted job and written its outcome where the victim reads: the worst order.
    const replyStream = `bull:${QUEUE}:wasmpool:reply:${reply}`;
    await eventually(async () => (await attacker.xlen(replyStream)) > 0);
    gate.open();
    const error = await rejection(result);
    expect(error).toBeInstanceOf(JobLostError);
    expect(error.message).toMatch(new RegExp(`Job ${jobId} \\(kernel \`add\`\\) already existed in Redis .*not adopted`));
    expect(await late.apply('add', [2, 3])).toBe(5);
    await late.close();
    await gate.close();
  });
});

describe('cancellation', () => {
  it("only the job's own submitter can cancel it: a message without its secret is ignored", async () => {
    const running = victim.applyAsync('slowSquare', [7, '', 1200]);
    await until(() => victim.pending === 1);
    const [jobId] = (await jobIdsInRedis()).filter((id) => running.jobId.endsWith(id));
    expect(jobId).toBeDefined();
    const channel = `bull:${QUEUE}:wasmpool:cancel`;
    // The old wire form (a bare list of ids), a guessed secret, and a secret-less message.
    await attacker.publish(channel, JSON.stringify([jobId]));
    await attacker.publish(channel, JSON.stringify({ jobs: [jobId], secret: 'guess' }));
    await attacker.publish(channel, JSON.stringify({ jobs: [jobId] }));
    await attacker.publish(channel, '{ not json');
    expect(await running).toBe(49);
  });
});

describe('streams an attacker writes to', () => {
  it("malformed entries in the events stream and in the victim's reply stream silence nothing", async () => {
    const reply = victim.applyAsync('add', [0, 0]).jobId.split('.')[0];
    await attacker.xadd(`bull:${QUEUE}:events`, '*', 'event', 'completed', 'jobId', 'x', 'returnvalue', '{not json');
    await attacker.xadd(`bull:${QUEUE}:events`, '*', 'event', 'progress', 'jobId', 'x', 'data', '{"');
    const replyStream = `bull:${QUEUE}:wasmpool:reply:${reply}`;
    await attacker.xadd(replyStream, '*', 't', 'ok', 'job', 'nobody', 'v', '{broken');
    await attacker.xadd(replyStream, '*', 'garbage', '');
    await attacker.xadd(replyStream, '*', 't', 'progress', 'job', 'x', 'n', 'NaN');
    const progress: number[] = [];
    const items = Array.from({ length: 4000 }, (_, i) => i);
    const squares = await victim.map<number>('square', items, { chunksize: 1000, onProgress: (done) => progress.push(done) });
    expect(squares).toEqual(items.map((x) => x * x));
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)).toBe(4000);
    expect(await victim.apply('add', [2, 2])).toBe(4);
  });

  it('a malformed bigint in a job fails it once, as a TypeError, without retries', async () => {
    const job = await queue.add(
      'add',
      { format: 2, kind: 'apply', kernel: 'add', args: [{ $wp: 'bigint', v: '12x' }, 1], reply: 'x', cancel: '' },
      { attempts: 3 },
    );
    await eventually(async () => (await queue.getJobState(job.id!)) === 'failed');
    const failed = (await queue.getJob(job.id!))!;
    expect(failed.attemptsMade).toBe(1);
    expect(failed.failedReason).toMatch(/^wasmpool TypeError \[add\]: Cannot decode a bigint/);
  });
});

describe('what crosses the queue', () => {
  it('carries no absolute path of the serving host in an error', async () => {
    const error = await rejection(victim.apply('failWithPath'));
    expect(error).toBeInstanceOf(TaskError);
    expect(error.message).toContain('cannot open …/own.wasm for reading');
    expect(error.message).not.toMatch(/\/test\/cluster\//);
  });

  it('is encoded at the call: a cycle is a TypeError there; `__proto__` keys arrive; a string is not a list of items', async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.me = cyclic;
    expect(thrown(() => victim.applyAsync('echo', [cyclic])).message).toMatch(/^Expected `args` to hold no cycles/);
    expect(thrown(() => victim.mapAsync('echo', [cyclic])).message).toMatch(/^Expected `items` to hold no cycles/);
    expect(thrown(() => victim.mapAsync('square', 'abc' as never)).message).toMatch(/^Expected `items` to be an iterable of items \(an array, not a string\)/);
    expect(thrown(() => victim.mapAsync('square', 5 as never))).toBeInstanceOf(TypeError);
    const [back] = (await victim.apply('echo', [JSON.parse('{"__proto__": {"x": 1}}')])) as [Record<string, unknown>];
    expect(Object.hasOwn(back, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
  });
});

describe('a serving host', () => {
  it("never hands an unknown kernel name to its pool once it knows the pool's kernels", async () => {
    const name = uniqueQueue('names');
    const asked: string[] = [];
    const fake = {
      workers: 1,
      applyAsync(kernel: string) {
        asked.push(kernel);
        const error = kernel === 'add' ? undefined : new TypeError(`Unknown kernel \`${kernel}\`; the module exports: add`);
        return { get: () => (error ? Promise.reject(error) : Promise.resolve(3)) };
      },
      mapAsync: () => undefined,
      starmapAsync: () => undefined,
    };
    const server = serveQueue(fake as never, { queue: name, connection: { host: redis.host, port: redis.port }, maxHandOffs: 1, onError: () => {} });
    const submitter = new QueuePool({ queue: name, connection: { host: redis.host, port: redis.port } });
    try {
      await server.waitUntilReady();
      const names = Array.from({ length: 20 }, (_, i) => `bogus${i}_${'x'.repeat(200)}`);
      const outcomes = await Promise.allSettled(names.map((kernel) => submitter.apply(kernel, [])));
      for (const outcome of outcomes) {
        expect(outcome.status).toBe('rejected');
        expect(((outcome as PromiseRejectedResult).reason as Error).message).toMatch(/No serving host took job .* has no kernel `bogus/);
      }
      expect(await submitter.apply('add', [1, 2])).toBe(3);
      // The first unknown name taught the host its pool's kernels; no later unknown name reached the pool.
      expect(asked.filter((kernel) => kernel !== 'add').length).toBeLessThanOrEqual(2);
    } finally {
      await submitter.close();
      await server.close();
    }
  });
});
