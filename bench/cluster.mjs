// Question: what does scaling out through BullMQ cost and give? Tasks/s and a 1,000,000-item map through
// 1, 2 and 3 serving processes (one worker each) against the local pool and against plain BullMQ doing the same
// work (a Worker whose processor adds two numbers, QueueEvents + waitUntilFinished for the result; a map as one
// job per 1,000 items), in the same run, and the round trip of one job through Redis against a local get().
// Also Redis' memory per job in flight and after the run.
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
import { Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
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
} else if (process.argv[2] === '--plain-host') {
  // Plain BullMQ: the processor does the work itself (adds two numbers, squares a chunk of items).
  const [, , , queue, port] = process.argv;
  const worker = new Worker(queue, async (job) => (job.name === 'add' ? job.data.a + job.data.b : job.data.items.map((x) => x * x)), {
    connection: { host: '127.0.0.1', port: Number(port) },
    concurrency: 1,
  });
  await worker.waitUntilReady();
  process.send({ type: 'serving' });
  process.on('message', async () => {
    await worker.close();
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
    progress('plain BullMQ, 1 serving process');
    const plainHost = await startHost('bench-plain', redis.port, '--plain-host');
    setups.push({ key: 'plain', label: 'plain BullMQ, 1 serving process', ...(await measurePlain('bench-plain', redis.port, sizes)) });
    await plainHost.close();
    const admin = new Redis({ host: '127.0.0.1', port: redis.port });
    await admin.flushall();
    const memoryAtStart = await usedMemory(admin);
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
    setups.memory = { ...(await inFlightMemory(redis.port, sizes.tasks)), afterRun: (await usedMemory(admin)) - memoryAtStart };
    admin.disconnect();
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
  const plain = setups.find((s) => s.key === 'plain');
  const one = setups.find((s) => s.key === 'hosts1');
  console.log(`\nQueuePool (1 host) against plain BullMQ (1 host), same run:`);
  console.log(`- round trip: ${(one.median / plain.median).toFixed(2)}× plain's (target ≤ 1.2×)`);
  console.log(`- ${sizes.tasks.toLocaleString('en')} applies: ${(one.perSecond / plain.perSecond).toFixed(2)}× plain's throughput (target ≥ 0.8×)`);
  console.log(`- map of ${sizes.items.toLocaleString('en')} items: ${(plain.mapMs / one.mapMs).toFixed(2)}× plain's speed (target ≥ 5×)`);
  const { perJob, afterRun } = setups.memory;
  console.log(
    `Redis memory: ${Math.round(perJob)} bytes per queued apply in flight; ${(afterRun / 1024).toFixed(0)} KB more than at the start after every QueuePool run`,
  );
}

async function usedMemory(redis) {
  return Number(/used_memory:(\d+)/.exec(await redis.info('memory'))[1]);
}

/** Bytes of Redis memory per QueuePool apply waiting in the queue (nobody serves it), then cancelled. */
async function inFlightMemory(port, count) {
  const admin = new Redis({ host: '127.0.0.1', port });
  const pool = new QueuePool({ queue: 'bench-inflight', connection: { host: '127.0.0.1', port } });
  await pool.waitUntilReady();
  const before = await usedMemory(admin);
  const results = Array.from({ length: count }, (_, i) => pool.applyAsync('add', [i, 1]));
  const queue = new Queue('bench-inflight', { connection: { host: '127.0.0.1', port } });
  while ((await queue.getJobCounts('prioritized')).prioritized < count) await new Promise((resolve) => setTimeout(resolve, 20));
  const perJob = ((await usedMemory(admin)) - before) / count;
  await pool.terminate();
  await Promise.allSettled(results.map((r) => r.get()));
  await queue.close();
  admin.disconnect();
  return { perJob };
}

/** The same three measurements with plain BullMQ: a Queue to add, QueueEvents + waitUntilFinished for each result. */
async function measurePlain(name, port, { tasks, items, trips }) {
  const connection = { host: '127.0.0.1', port };
  const queue = new Queue(name, { connection, defaultJobOptions: { removeOnComplete: { age: 3600 }, removeOnFail: 1000 } });
  const events = new QueueEvents(name, { connection });
  // Every waitUntilFinished adds a listener to both: thousands wait at once here, by design.
  queue.setMaxListeners(0);
  events.setMaxListeners(0);
  await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
  const latencies = [];
  for (let i = 0; i < trips; i++) {
    const start = performance.now();
    await (await queue.add('add', { a: i, b: 1 })).waitUntilFinished(events);
    latencies.push(performance.now() - start);
  }
  latencies.sort((a, b) => a - b);
  const median = latencies[Math.floor(latencies.length / 2)];
  const p99 = latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))];
  let start = performance.now();
  const jobs = await queue.addBulk(Array.from({ length: tasks }, (_, i) => ({ name: 'add', data: { a: i, b: 1 } })));
  await Promise.all(jobs.map((job) => job.waitUntilFinished(events)));
  const perSecond = tasks / ((performance.now() - start) / 1000);
  const list = Array.from({ length: items }, (_, i) => i);
  start = performance.now();
  const chunks = [];
  for (let i = 0; i < items; i += 1000) chunks.push({ name: 'square', data: { items: list.slice(i, i + 1000) } });
  const chunkJobs = await queue.addBulk(chunks);
  const squares = (await Promise.all(chunkJobs.map((job) => job.waitUntilFinished(events)))).flat();
  const mapMs = performance.now() - start;
  if (squares.length !== items || squares[items - 1] !== (items - 1) ** 2) throw new Error('plain BullMQ: wrong map result');
  await events.close();
  await queue.close();
  return { median, p99, perSecond, mapMs };
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
  const plain = fig.plain;
  if (plain) {
    ctx.figure(
      'cluster.hosts1.roundtrip.plain',
      'QueuePool (1 host): round trip over plain BullMQ (target ≤ 1.2×)',
      '×',
      ctx.ratio(fig.hosts1.trip, plain.trip),
    );
    ctx.figure('cluster.hosts1.tasks.plain', 'QueuePool (1 host): tasks/s over plain BullMQ (target ≥ 0.8×)', '×', ctx.ratio(fig.hosts1.rate, plain.rate));
    ctx.figure(
      'cluster.hosts1.map.plain',
      'QueuePool (1 host): map items/s over plain BullMQ, 1,000 items per job (target ≥ 5×)',
      '×',
      ctx.ratio(fig.hosts1.map, plain.map),
    );
  }
  ctx.figure('cluster.redis.perjob', 'Redis memory per queued apply in flight', 'bytes', one(setups.memory.perJob));
  ctx.figure('cluster.redis.after', 'Redis memory after every QueuePool run, over its start', 'bytes', one(setups.memory.afterRun));
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

async function startHost(queue, port, mode = '--host') {
  const child = fork(new URL(import.meta.url), [mode, queue, String(port)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise((resolve) => child.once('message', resolve));
  return {
    close: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.send({ type: 'close' });
      }),
  };
}
