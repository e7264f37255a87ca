// QueuePool given an ioredis instance as `connection`, and closed by `await using` (Symbol.asyncDispose).
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PoolStateError } from 'wasmpool';
import { QueuePool } from 'wasmpool/bullmq';
import { thrown } from '../helpers.js';
import { startHost, type Host } from './hosts.js';
import { startRedis, uniqueQueue, type RedisServer } from './redis.js';

let redis: RedisServer;
let host: Host;
const QUEUE = uniqueQueue('dispose');

beforeAll(async () => {
  redis = await startRedis();
  host = await startHost(QUEUE, redis.port, 1);
});

afterAll(async () => {
  await host?.close();
  await redis?.stop();
});

describe('QueuePool connection and disposal', () => {
  it('takes an ioredis instance as `connection` (its settings, not the instance itself), and `await using` closes the pool', async () => {
    const client = new Redis({ host: redis.host, port: redis.port, lazyConnect: true });
    let escaped: QueuePool | undefined;
    {
      await using pool = new QueuePool({ queue: QUEUE, connection: client });
      escaped = pool;
      await pool.waitUntilReady();
      expect(await pool.apply('add', [2, 3])).toBe(5);
      expect(await pool.map('square', [1, 2, 3])).toEqual([1, 4, 9]);
    }
    // Leaving the block closed it: no new tasks, and close() again resolves at once (the same promise).
    const error = thrown(() => escaped!.applyAsync('add', [1, 1]));
    expect(error).toBeInstanceOf(PoolStateError);
    expect(error.message).toMatch(/closed/);
    await expect(escaped.close()).resolves.toBeUndefined();
    expect(client.status).toBe('wait'); // the caller's instance was never connected or closed by the pool
    client.disconnect();
  });
});
