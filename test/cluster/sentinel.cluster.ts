// A Redis Sentinel group on loopback ports (Debian's redis-sentinel): a master, a replica and one sentinel. Both
// sides connect through the sentinel; a failover mid-run loses no result and cancellation keeps working after it.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueuePool } from 'wasmpool/bullmq';
import { until } from '../helpers.js';
import { eventually, startHost, stopAll, type Host } from './hosts.js';
import { freePort, startRedis, uniqueQueue, type RedisServer } from './redis.js';

let master: RedisServer;
let replica: RedisServer;
let sentinel: ChildProcess;
let sentinelPort: number;
let hosts: Host[] = [];
const scratch = mkdtempSync(join(tmpdir(), 'wasmpool-sentinel-markers-'));
let markers = 0;
const marker = (): string => join(scratch, `marker-${markers++}`);

async function startSentinel(masterPort: number): Promise<ChildProcess> {
  sentinelPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'wasmpool-sentinel-'));
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(
    conf,
    [
      `port ${sentinelPort}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor mymaster 127.0.0.1 ${masterPort} 1`,
      'sentinel down-after-milliseconds mymaster 1000',
      'sentinel failover-timeout mymaster 10000',
      '',
    ].join('\n'),
  );
  const child = spawn('redis-sentinel', [conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.once('error', (error) => reject(new Error(`Cannot start redis-sentinel (${error.message}); install it (apt-get install redis-sentinel)`)));
    child.once('exit', (code) => reject(new Error(`redis-sentinel exited with code ${code}: ${output}`)));
    child.stdout!.on('data', (data: Buffer) => {
      output += data.toString();
      if (output.includes('+monitor')) resolve();
    });
  });
  child.removeAllListeners('exit');
  return child;
}

const viaSentinel = (): { sentinels: Array<{ host: string; port: number }>; name: string } => ({
  sentinels: [{ host: '127.0.0.1', port: sentinelPort }],
  name: 'mymaster',
});

beforeAll(async () => {
  master = await startRedis({ restartable: true });
  replica = await startRedis({ restartable: true, args: ['--replicaof', '127.0.0.1', String(master.port)] });
  sentinel = await startSentinel(master.port);
  // The sentinel learns of the replica from the master's INFO (every 10 s at first): a failover needs it known.
  const admin = new Redis({ host: '127.0.0.1', port: sentinelPort });
  try {
    await eventually(async () => {
      const replicas = (await admin.call('SENTINEL', 'REPLICAS', 'mymaster')) as string[][];
      return replicas.some((fields) => fields.includes('slave') && fields[fields.indexOf('master-link-status') + 1] === 'ok');
    }, 30_000);
  } finally {
    admin.disconnect();
  }
});

afterAll(async () => {
  await stopAll(hosts);
  sentinel?.kill('SIGKILL');
  await replica?.stop();
  await master?.stop();
});

describe('through Redis Sentinel', () => {
  it('both sides connect by the group name; a failover mid-run loses nothing; cancel works after it', async () => {
    const queue = uniqueQueue('sentinel');
    hosts = await Promise.all([1, 2].map(() => startHost(queue, 0, 1, [`--sentinel=${sentinelPort}`])));
    const pool = new QueuePool({ queue, connection: viaSentinel() });
    try {
      await pool.waitUntilReady();
      let finished = 0;
      const n = 200;
      const results = Array.from({ length: n }, (_, i) => pool.applyAsync<number>('slowSquare', [i, '', 10], { callback: () => finished++ }));
      await until(() => finished >= 40);
      const admin = new Redis({ host: '127.0.0.1', port: sentinelPort });
      try {
        // Wait for the replica to have everything written so far (WAIT on the master), then fail over.
        const direct = new Redis({ host: '127.0.0.1', port: master.port });
        await direct.call('WAIT', '1', '2000');
        direct.disconnect();
        expect(await admin.call('SENTINEL', 'FAILOVER', 'mymaster')).toBe('OK');
        await eventually(async () => {
          const [, port] = (await admin.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster')) as string[];
          return Number(port) === replica.port;
        });
      } finally {
        admin.disconnect();
      }
      const values = await Promise.all(results.map((r) => r.get()));
      expect(values).toEqual(Array.from({ length: n }, (_, i) => i * i));
      // The serving side's cancel subscribers followed the failover too: a held job on each host stops when its
      // signal fires, which frees the host's only worker for the next held job (its marker shows which host took it).
      const holdOnBoth = async (): Promise<AbortController> => {
        const stop = new AbortController();
        const files = [marker(), marker()];
        for (const file of files)
          void pool
            .applyAsync('hold', [file], { signal: stop.signal })
            .get()
            .catch(() => {});
        await until(() => files.every((file) => existsSync(file)));
        expect(new Set(files.map((file) => readFileSync(file, 'utf8'))).size).toBe(2);
        return stop;
      };
      (await holdOnBoth()).abort();
      (await holdOnBoth()).abort();
    } finally {
      await pool.close();
    }
  });
});
