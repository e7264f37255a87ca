// Host side of a scale-out setup: run this on every machine that should do work. Each one serves the queue
// with its own wasmpool Pool (one worker per core); jobs go to whichever host is free.
//   REDIS_HOST=redis.internal REDIS_PORT=6379 node examples/scale-out/serve.mjs
import { Pool } from 'wasmpool';
import { serveQueue } from 'wasmpool/bullmq';

const connection = { host: process.env.REDIS_HOST ?? '127.0.0.1', port: Number(process.env.REDIS_PORT ?? 6379) };
const pool = new Pool({ workers: process.env.WORKERS ? Number(process.env.WORKERS) : undefined });
const server = serveQueue(pool, { queue: 'wasmpool-demo', connection });
await server.waitUntilReady();
console.log(`Serving queue wasmpool-demo with ${pool.workers} workers (Redis at ${connection.host}:${connection.port})`);

// Ctrl-C or SIGTERM: take no new jobs, let the running ones finish, then stop the workers.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    await server.close();
    await pool.terminate();
    console.log('Stopped serving');
    process.exit(0);
  });
}
