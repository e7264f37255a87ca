// Question: what does scaling out through BullMQ cost and give? Tasks/s and a 1,000,000-item map through
// 1, 2 and 3 serving processes (one worker each) against the local pool, in the same run, and the round trip
// of one job through Redis against a local get().
//
//   node bench/cluster.mjs [--quick]              (needs redis-server on PATH; starts and stops its own)
//   node bench/run.mjs --only cluster [--quick]   the same as an optional question of the bench runner
//
// Every "host" is a child process on this machine, so these figures measure the queue's overhead, not the
// gain from more machines: hosts here share this machine's cores.
import { fork, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Pool } from 'wasmpool';
import { QueuePool, serveQueue } from 'wasmpool/bullmq';

const KERNELS = new URL('../test/cluster/kernels.mjs', import.meta.url);
const SELF = fileURLToPath(import.meta.url);

if (process.argv[1] !== SELF) {
  // Imported by bench/run.mjs: run(ctx) below is the entry.
} else if (process.argv[2] === '--host') {
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

function sizesOf(quick) {
  return quick ? { tasks: 200, items: 10_000, trips: 20 } : { tasks: 10_000, items: 1_000_000, trips: 500 };
}

/** The local pool, then QueuePool through 1, 2 and 3 serving processes: one measurement each, in this order. */
async function measureAll(sizes, progress = () => {}) {
  const redis = await startRedis();
  const setups = [];
  try {
    const local = new Pool({ module: KERNELS });
    progress(`local Pool (${local.workers} workers)`);
    setups.push({ key: 'local', label: `local Pool (${local.workers} workers)`, ...(await measure(`local Pool`, local, sizes)) });
    await local.terminate();
    for (const count of [1, 2, 3]) {
      const queue = `bench-${count}`;
      const label = `QueuePool, ${count} serving process${count > 1 ? 'es' : ''}`;
      progress(label);
      const hosts = await Promise.all(Array.from({ length: count }, () => startHost(queue, redis.port)));
      const pool = new QueuePool({ queue, connection: { host: '127.0.0.1', port: redis.port } });
      await pool.waitUntilReady();
      setups.push({ key: `hosts${count}`, label, ...(await measure(label, pool, sizes)) });
      await pool.close();
      await Promise.all(hosts.map((host) => host.close()));
    }
  } finally {
    redis.kill('SIGKILL');
  }
  return setups;
}

async function main() {
  const quick = process.argv.includes('--quick');
  const sizes = sizesOf(quick);
  const setups = await measureAll(sizes);
  console.log(`\nScale-out through BullMQ (${availableParallelism()} cores, every host on this machine${quick ? ', --quick sizes' : ''})\n`);
  console.log('| setup | measure | value |');
  console.log('|---|---|---|');
  for (const s of setups) {
    console.log(`| ${s.label} | round trip of one apply (median / p99) | ${s.median.toFixed(3)} / ${s.p99.toFixed(3)} ms |`);
    console.log(`| ${s.label} | ${sizes.tasks.toLocaleString('en')} applies at once | ${Math.round(s.perSecond).toLocaleString('en')} tasks/s |`);
    console.log(`| ${s.label} | mapAsync of ${sizes.items.toLocaleString('en')} items | ${s.mapMs.toFixed(0)} ms |`);
  }
}

/** True when redis-server can be started from PATH (the runner's note says so when not). */
function redisOnPath() {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, 'redis-server')));
}

/**
 * The bench runner's entry (optional question, `--only cluster`). One measurement per setup, not
 * repetitions: each setup starts its own serving processes. Ratios are to the local pool of the same run.
 */
export async function run(ctx) {
  ctx.begin('cluster');
  if (!redisOnPath()) {
    ctx.note('skipped: redis-server is not on PATH (apt-get install redis-server); the cluster question starts its own');
    return;
  }
  const sizes = sizesOf(ctx.quick);
  const setups = await measureAll(sizes, ctx.progress);
  const one = (value) => ({ min: value, median: value, max: value, reps: 1 });
  const local = setups.find((s) => s.key === 'local');
  const fig = {};
  for (const s of setups) {
    fig[s.key] = {
      trip: ctx.figure(`cluster.${s.key}.roundtrip`, `${s.label}: round trip of one apply (median; p99 ${s.p99.toFixed(2)} ms)`, 'ms', one(s.median)),
      rate: ctx.figure(`cluster.${s.key}.tasks`, `${s.label}: ${sizes.tasks.toLocaleString('en')} applies at once`, 'tasks/s', one(s.perSecond)),
      map: ctx.figure(
        `cluster.${s.key}.map`,
        `${s.label}: mapAsync of ${sizes.items.toLocaleString('en')} items`,
        'items/s',
        one(sizes.items / (s.mapMs / 1000)),
      ),
    };
  }
  for (const s of setups) {
    if (s === local) continue;
    ctx.figure(`cluster.${s.key}.roundtrip.ratio`, `${s.label}: round trip over local get()`, '×', ctx.ratio(fig[s.key].trip, fig.local.trip));
    ctx.figure(`cluster.${s.key}.tasks.ratio`, `${s.label}: tasks/s over the local pool's`, '×', ctx.ratio(fig[s.key].rate, fig.local.rate));
    ctx.figure(`cluster.${s.key}.map.ratio`, `${s.label}: map items/s over the local pool's`, '×', ctx.ratio(fig[s.key].map, fig.local.map));
  }
  ctx.note("every serving process runs on this machine, so these figures are the queue's overhead, not the gain from more machines");
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
  return { median, p99, perSecond, mapMs };
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
