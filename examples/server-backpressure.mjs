// An HTTP service on an elastic pool with backpressure: each request estimates pi on a worker. The pool
// keeps one worker while quiet and grows to every core under load; a request waits for room in the queue
// (pool.onSizeLessThan) instead of piling up work the pool cannot start. GET /stats shows pool.stats().
//
//   node examples/server-backpressure.mjs            serve on http://localhost:8080 until Ctrl-C
//   node examples/server-backpressure.mjs --self-test  fire 200 requests at itself, print the stats, exit
//
//   curl 'localhost:8080/pi?samples=20000000&priority=5'   curl localhost:8080/stats
import { createServer } from 'node:http';
import { once } from 'node:events';
import { Pool, QueueFullError } from 'wasmpool';

const MAX_QUEUED = 64;
const pool = new Pool({
  minWorkers: 1, // one warm worker while idle; up to `workers` (every core) under load
  idleTimeout: 5_000, // extra workers exit after 5 s without work
  maxQueued: MAX_QUEUED, // a submission past this throws QueueFullError instead of growing memory
});

async function estimatePi(samples, priority) {
  const seed = (Math.random() * 2 ** 32) >>> 0;
  // Backpressure: wait until there is room, so the queue never holds more than MAX_QUEUED units. Waiting
  // here holds only this request's socket; the work itself is not created until it can be queued. Every
  // waiter wakes when room frees up, and the first ones take it: the others (applyAsync throws QueueFullError
  // at the call, before anything is queued) wait again.
  for (;;) {
    await pool.onSizeLessThan(MAX_QUEUED);
    let result;
    try {
      result = pool.applyAsync('monteCarloPi', [samples, seed], { priority, timeout: 10_000 });
    } catch (error) {
      if (error instanceof QueueFullError) continue;
      throw error;
    }
    return (4 * (await result.get())) / samples;
  }
}

function reply(response, status, body) {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body, null, 2) + '\n');
}

const server = createServer(async (request, response) => {
  const url = new URL(request.url ?? '/', 'http://localhost');
  try {
    if (url.pathname === '/stats') return reply(response, 200, pool.stats());
    if (url.pathname !== '/pi') return reply(response, 404, { error: 'try /pi?samples=N&priority=P or /stats' });
    const samples = Number(url.searchParams.get('samples') ?? 1_000_000);
    const priority = Number(url.searchParams.get('priority') ?? 0);
    reply(response, 200, { pi: await estimatePi(samples, priority) });
  } catch (error) {
    // Bad samples/priority are TypeError/RangeError from the pool's validation: the client's fault.
    const status = error instanceof TypeError || error instanceof RangeError ? 400 : 500;
    reply(response, status, { error: String(error?.message ?? error) });
  }
});

server.listen(process.argv.includes('--self-test') ? 0 : 8080);
await once(server, 'listening');
const { port } = server.address();
console.log(`listening on http://localhost:${port}`);

if (process.argv.includes('--self-test')) {
  const base = `http://localhost:${port}`;
  // 200 requests at once, one in ten urgent: urgent ones overtake the queue, aging keeps the rest moving.
  const requests = Array.from({ length: 200 }, (_, i) => fetch(`${base}/pi?samples=2000000&priority=${i % 10 === 0 ? 10 : 0}`).then((r) => r.json()));
  const answers = await Promise.all(requests);
  const estimates = answers.map((a) => a.pi).filter((pi) => typeof pi === 'number');
  console.log(`${estimates.length} of ${answers.length} answered; mean pi ${(estimates.reduce((a, b) => a + b, 0) / estimates.length).toFixed(4)}`);
  const stats = await (await fetch(`${base}/stats`)).json();
  console.log(JSON.stringify({ workers: stats.workers, runTime: stats.runTime, waitTime: stats.waitTime, utilization: stats.utilization }, null, 2));
  server.close();
  await pool.terminate();
}
