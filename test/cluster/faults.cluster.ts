// Faults with real parts: a host killed with SIGKILL mid-run, and redis-server itself killed and restarted,
// with and without persistence.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JobLostError, QueuePool } from 'wasmpool/bullmq';
import { until } from '../helpers.js';
import { startHost, stopAll, type Host } from './hosts.js';
import { startRedis, uniqueQueue, type RedisServer } from './redis.js';

const scratch = mkdtempSync(join(tmpdir(), 'wasmpool-faults-'));
let redis: RedisServer | undefined;
let hosts: Host[] = [];
let pool: QueuePool | undefined;

afterEach(async () => {
  await pool?.close();
  await stopAll(hosts);
  await redis?.stop();
  pool = undefined;
  hosts = [];
  redis = undefined;
});

/** Runs of task `i` so far, by process id: one line per run, written by the kernel as it starts. */
const runsOf = (dir: string, i: number): string[] => {
  const file = join(dir, `task-${i}`);
  return existsSync(file) ? (readFileSync(file, 'utf8').match(/\d+/g) ?? []) : [];
};

describe('a host killed with SIGKILL mid-run', () => {
  it('loses no result and settles each once, though the killed job runs again elsewhere', async () => {
    redis = await startRedis();
    const queue = uniqueQueue('kill9');
    hosts = await Promise.all([1, 2, 3].map(() => startHost(queue, redis!.port, 1, ['--concurrency-1'])));
    pool = new QueuePool({ queue, connection: { host: redis.host, port: redis.port } });
    const dir = mkdtempSync(join(scratch, 'kill-'));
    const n = 30;
    const settlements = new Array<number>(n).fill(0);
    const results = Array.from({ length: n }, (_, i) =>
      pool!.applyAsync<number>('slowSquare', [i, join(dir, `task-${i}`), 300], { callback: () => settlements[i]++, errorCallback: () => settlements[i]++ }),
    );
    const victim = hosts[0];
    // The handshake: a task has started on the victim (its kernel wrote the victim's pid).
    await until(() => Array.from({ length: n }, (_, i) => runsOf(dir, i)).some((runs) => runs.includes(String(victim.pid))));
    await victim.kill();
    const values = await Promise.all(results.map((r) => r.get()));
    expect(values).toEqual(Array.from({ length: n }, (_, i) => i * i));
    expect(settlements.every((count) => count === 1)).toBe(true);
    const rerun = Array.from({ length: n }, (_, i) => runsOf(dir, i)).filter((runs) => runs.length > 1);
    expect(rerun.length).toBeGreaterThan(0);
    expect(rerun.every((runs) => runs[0] === String(victim.pid))).toBe(true);
  });
});

describe('a Redis restart mid-run', () => {
  async function runThroughRestart(appendonly: boolean): Promise<PromiseSettledResult<number>[]> {
    redis = await startRedis({ appendonly, restartable: true });
    const queue = uniqueQueue(appendonly ? 'restart-aof' : 'restart-volatile');
    hosts = await Promise.all([1, 2].map(() => startHost(queue, redis!.port, 1, ['--concurrency-1'])));
    pool = new QueuePool({ queue, connection: { host: redis.host, port: redis.port } });
    await pool.waitUntilReady();
    let finished = 0;
    const results = Array.from({ length: 60 }, (_, i) => pool!.applyAsync<number>('slowSquare', [i, '', 40], { callback: () => finished++ }));
    await until(() => finished >= 10);
    await redis.restart();
    return Promise.allSettled(results.map((r) => r.get()));
  }

  it('with appendonly yes, loses no job', async () => {
    const outcomes = await runThroughRestart(true);
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : o.reason))).toEqual(Array.from({ length: 60 }, (_, i) => i * i));
    expect(await pool!.apply('add', [1, 2])).toBe(3);
  });

  it('without persistence, fails every lost result with a clear error instead of hanging', async () => {
    const outcomes = await runThroughRestart(false);
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(lost.length).toBeGreaterThan(0);
    for (const { reason } of lost) {
      expect(reason).toBeInstanceOf(JobLostError);
      expect((reason as Error).message).toMatch(/gone from Redis at 127\.0\.0\.1:\d+.*appendonly yes/);
    }
    outcomes.forEach((o, i) => {
      if (o.status === 'fulfilled') expect(o.value).toBe(i * i);
    });
    // The queue works again on the fresh server.
    expect(await pool!.apply('add', [1, 2])).toBe(3);
  });
});
