// A submitting process that vanishes: submits an apply and a map, tells its parent their jobIds (IPC), then waits
// to be killed. The parent reattaches to the results from its own QueuePool.
import { QueuePool } from 'wasmpool/bullmq';

const [queue, port] = process.argv.slice(2);
const pool = new QueuePool({ queue, connection: { host: '127.0.0.1', port: Number(port) } });
await pool.waitUntilReady();
const apply = pool.applyAsync('add', [20, 22]);
const map = pool.mapAsync('square', [1, 2, 3, 4, 5], { chunksize: 2 });
// Their jobs are in Redis once size counts them as queued there; the onEmpty wait is not needed for that, so poll stats.
process.send?.({ apply: apply.jobId, map: map.jobId });
await new Promise(() => {});
