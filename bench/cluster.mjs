// Question: what does scaling out through BullMQ cost and give? Tasks/s and a 1,000,000-item map through
// 1, 2 and 3 serving processes (one worker each) against the local pool, in the same run, and the round trip
// of one job through Redis against a local get().
//
//   node bench/cluster.mjs [--quick]      (needs redis-server on PATH; starts and stops its own)
//
// Every "host" is a child process on this machine, so these figures measure the queue's overhead, not the
// gain from more machines: hosts here share this machine's cores.
import { fork, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'wasmpool';
import { QueuePool, serveQueue } from 'wasmpool/bullmq';

const KERNELS = new URL('../test/cluster/kernels.mjs', import.meta.url);

if (process.argv[2] === '--host') {
  const [, , , queue, port] = process.argv;
  const pool = new Pool({ workers: 1, module: KERNELS });
  const server = serveQueue(pool, { queue, connection: { host: '127.0.0.1', port: Number(port) }, onError: () => {} });
  await server.waitUntilReady();
  process.send({ type: 'serving' });
  process.on('message', async () => {
    await server.close();
    await pool.terminate();
    process.exit(0);
  });
} else {
  await main();
}

async function main() {
  const quick = process.argv.includes('--quick');
  const sizes = quick ? { tasks: 200, items: 10_000, trips: 20 } : { tasks: 10_000, items: 1_000_000, trips: 500 };
  const redis = await startRedis();
  const rows = [];
  try {
    const local = new Pool({ module: KERNELS });
    rows.push(...(await measure(`local Pool (${local.workers} workers)`, local, sizes)));
    await local.terminate();
    for (const count of [1, 2, 3]) {
      const queue = `bench-${count}`;
      const hosts = await Promise.all(Array.from({ length: count }, () => startHost(queue, redis.port)));
      const pool = new QueuePool({ queue, connection: { host: '127.0.0.1', port: redis.port } });
      await pool.waitUntilReady();
      rows.push(...(await measure(`QueuePool, ${count} serving process${count > 1 ? 'es' : ''}`, pool, sizes)));
      await pool.close();
      await Promise.all(hosts.map((host) => host.close()));
    }
  } finally {
    redis.kill('SIGKILL');
  }
  console.log(`\nScale-out through BullMQ (${availableParallelism()} cores, every host on this machine${quick ? ', --quick sizes' : ''})\n`);
  console.log('| setup | measure | value |');
  console.log('|---|---|---|');
  for (const [setup, measure, value] of rows) console.log(`| ${setup} | ${measure} | ${value} |`);
}

async function measure(label, pool, { tasks, items, trips }) {
  // Round trip: one job at a time, so nothing overlaps its latency.
  const latencies = [];
  for (let i = 0; i < trips; i++) {
    const start = performance.now();
    await pool.applyAsync('add', [i, 1]).get();
    latencies.push(performance.now() - start);
  }
  latencies.sort((a, b) => a - b);
  const median = latencies[Math.floor(latencies.length / 2)];
  const p99 = latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))];

  let start = performance.now();
  await Promise.all(Array.from({ length: tasks }, (_, i) => pool.applyAsync('add', [i, 1]).get()));
  const perSecond = tasks / ((performance.now() - start) / 1000);

  const list = Array.from({ length: items }, (_, i) => i);
  start = performance.now();
  const squares = await pool.mapAsync('square', list);
  const mapMs = performance.now() - start;
  if (squares.length !== items || squares[items - 1] !== (items - 1) ** 2) throw new Error(`${label}: wrong map result`);
  return [
    [label, 'round trip of one apply (median / p99)', `${median.toFixed(3)} / ${p99.toFixed(3)} ms`],
    [label, `${tasks.toLocaleString('en')} applies at once`, `${Math.round(perSecond).toLocaleString('en')} tasks/s`],
    [label, `mapAsync of ${items.toLocaleString('en')} items`, `${mapMs.toFixed(0)} ms`],
  ];
}

async function startRedis() {
  const port = await new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
  const dir = mkdtempSync(join(tmpdir(), 'wasmpool-bench-redis-'));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((resolve, reject) => {
    let output = '';
    child.once('error', (error) => reject(new Error(`Cannot start redis-server (${error.message}); install it (apt-get install redis-server)`)));
    child.stdout.on('data', (data) => {
      output += data;
      if (output.includes('Ready to accept connections')) resolve();
    });
  });
  child.port = port;
  return child;
}

async function startHost(queue, port) {
  const child = fork(new URL(import.meta.url), ['--host', queue, String(port)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise((resolve) => child.once('message', resolve));
  return {
    close: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.send({ type: 'close' });
      }),
  };
}
