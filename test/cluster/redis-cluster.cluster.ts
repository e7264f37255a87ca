// A 3-node Redis Cluster on loopback ports (no replicas): BullMQ needs the prefix in a hash tag (`{bull}`) so every
// key of a queue lands in one slot; wasmpool's own keys (reply streams, the cancel channel) start with the prefix.
import { execFileSync } from 'node:child_process';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueuePool } from 'wasmpool/bullmq';
import { startHost, stopAll, type Host } from './hosts.js';
import { startRedis, uniqueQueue, type RedisServer } from './redis.js';
import { eventually } from './hosts.js';
import { Redis } from 'ioredis';

let nodes: RedisServer[] = [];
let hosts: Host[] = [];

beforeAll(async () => {
  nodes = await Promise.all([0, 1, 2].map(() => startRedis({ restartable: true, args: ['--cluster-enabled', 'yes', '--cluster-node-timeout', '2000'] })));
  execFileSync('redis-cli', ['--cluster', 'create', ...nodes.map((node) => `127.0.0.1:${node.port}`), '--cluster-replicas', '0', '--cluster-yes'], {
    stdio: 'ignore',
  });
  const probes = nodes.map((node) => new Redis({ host: '127.0.0.1', port: node.port }));
  try {
    await eventually(async () =>
      (await Promise.all(probes.map((probe) => probe.call('CLUSTER', 'INFO')))).every((info) => String(info).includes('cluster_state:ok')),
    );
  } finally {
    for (const probe of probes) probe.disconnect();
  }
});

afterAll(async () => {
  await stopAll(hosts);
  await Promise.all(nodes.map((node) => node.stop()));
});

describe('through a Redis Cluster', () => {
  it('an ioredis Cluster instance serves and submits (prefix `{bull}`): applies, maps, cancel', async () => {
    const queue = uniqueQueue('rcluster');
    hosts = await Promise.all([1, 2].map(() => startHost(queue, 0, 1, [`--cluster=${nodes[0].port}`])));
    const connection = new Cluster([{ host: '127.0.0.1', port: nodes[1].port }]);
    const pool = new QueuePool({ queue, connection, prefix: '{bull}' });
    try {
      await pool.waitUntilReady();
      const values = await Promise.all(Array.from({ length: 100 }, (_, i) => pool.apply<number>('add', [i, 1])));
      expect(values).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      expect(await pool.map('square', [1, 2, 3, 4], { chunksize: 1 })).toEqual([1, 4, 9, 16]);
      const stop = new AbortController();
      const held = pool.applyAsync('slowSquare', [1, '', 60_000], { signal: stop.signal });
      await eventually(async () => pool.pending === 1);
      stop.abort();
      await held.wait();
      expect(held.successful()).toBe(false);
    } finally {
      await pool.close();
      connection.disconnect();
    }
  });
});
