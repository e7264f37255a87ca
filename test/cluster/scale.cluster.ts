// Three simulated hosts (child processes, each with its own Pool and serveQueue) and one submitter.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueuePool } from 'wasmpool/bullmq';
import { startHost, stopAll, type Host } from './hosts.js';
import { startRedis, uniqueQueue, type RedisServer } from './redis.js';

let redis: RedisServer;
let hosts: Host[] = [];
let pool: QueuePool;
const QUEUE = uniqueQueue('scale');

beforeAll(async () => {
  redis = await startRedis();
  hosts = await Promise.all([1, 2, 3].map(() => startHost(QUEUE, redis.port, 1)));
  pool = new QueuePool({ queue: QUEUE, connection: { host: redis.host, port: redis.port } });
  await pool.waitUntilReady();
});

afterAll(async () => {
  await pool?.close();
  await Promise.all(hosts.map((host) => host.close()));
  await stopAll(hosts);
  await redis?.stop();
});

describe('three serving processes', () => {
  it('run 10,000 tasks, every result once and right, spread over all three hosts', async () => {
    const settled = new Map<number, number>();
    const results = Array.from({ length: 10_000 }, (_, i) =>
      pool.applyAsync<[number, number]>('whoami', [i], { callback: () => settled.set(i, (settled.get(i) ?? 0) + 1) }),
    );
    const values = await Promise.all(results.map((r) => r.get()));
    expect(values.map(([x]) => x)).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
    const pids = new Set(values.map(([, pid]) => pid));
    expect(pids).toEqual(new Set(hosts.map((host) => host.pid)));
    expect(settled.size).toBe(10_000);
    expect([...settled.values()].every((count) => count === 1)).toBe(true);
  });

  it('run a 1,000,000-item mapAsync whose chunks spread over the hosts, results in input order', async () => {
    const n = 1_000_000;
    const items = Array.from({ length: n }, (_, i) => i);
    let lastProgress = 0;
    const squares = await pool.mapAsync<number>('square', items, { chunksize: 25_000, onProgress: (done) => (lastProgress = done) });
    expect(squares).toHaveLength(n);
    let wrong = 0;
    for (let i = 0; i < n; i++) if (squares[i] !== i * i) wrong++;
    expect(wrong).toBe(0);
    expect(lastProgress).toBe(n);
    // Which hosts took part: a small map of the same shape, tagged by process.
    const tagged = await pool.map<[number, number]>(
      'whoami',
      Array.from({ length: 120 }, (_, i) => i),
      { chunksize: 1 },
    );
    expect(new Set(tagged.map(([, pid]) => pid)).size).toBeGreaterThan(1);
  });
});
