// One simulated host: its own wasmpool Pool serving the queue. Started by the cluster tests as a child process;
// tells its parent 'serving' (IPC) once its BullMQ worker is ready, and closes when the parent says 'close'.
import { Pool } from 'wasmpool';
import { serveQueue } from 'wasmpool/bullmq';
import { Cluster } from 'ioredis';

const [queue, port, workers, ...flags] = process.argv.slice(2);
/** The value of a `--name=value` flag. */
const flag = (name) => flags.find((f) => f.startsWith(`${name}=`))?.slice(name.length + 1);
const kernels = flag('--module') === 'old' ? './kernels-old.mjs' : './kernels.mjs';
const pool = new Pool({ workers: Number(workers), module: new URL(kernels, import.meta.url) });
const server = serveQueue(pool, {
  queue,
  ...(flag('--cluster') !== undefined && { prefix: '{bull}' }),
  connection:
    flag('--cluster') !== undefined
      ? new Cluster([{ host: '127.0.0.1', port: Number(flag('--cluster')) }], { redisOptions: { maxRetriesPerRequest: null } })
      : flag('--sentinel') !== undefined
        ? { sentinels: [{ host: '127.0.0.1', port: Number(flag('--sentinel')) }], name: 'mymaster' }
        : { host: '127.0.0.1', port: Number(port) },
  lockDuration: 2000,
  stalledInterval: 1000,
  onError: () => {},
  ...(flags.includes('--concurrency-1') && { concurrency: 1 }),
  ...(flag('--handoffs') !== undefined && { maxHandOffs: Number(flag('--handoffs')) }),
  ...(flag('--close-timeout') !== undefined && { closeTimeout: Number(flag('--close-timeout')) }),
});
await server.waitUntilReady();
process.send?.({ type: 'serving', pid: process.pid });
process.on('message', async (message) => {
  if (message?.type !== 'close') return;
  await server.close();
  await pool.terminate();
  process.send?.({ type: 'closed' });
  process.exit(0);
});
