// An idle submitter on a busy queue: reports its own CPU time (ms) and RSS (bytes) whenever its parent asks, so a
// test can see what another submitter's traffic costs it.
import { QueuePool } from 'wasmpool/bullmq';

const [queue, port] = process.argv.slice(2);
const pool = new QueuePool({ queue, connection: { host: '127.0.0.1', port: Number(port) } });
await pool.waitUntilReady();
// Its client thread is part of this process: process.cpuUsage() counts every thread's time.
const sample = () => {
  const { user, system } = process.cpuUsage();
  return { cpu: (user + system) / 1000, rss: process.memoryUsage.rss() };
};
process.on('message', () => process.send?.(sample()));
process.send?.(sample());
