/**
 * wasmpool/bullmq: the Pool API across many machines, on BullMQ and Redis. Hosts serve a queue with
 * serveQueue(pool, ...); any process submits to it through a QueuePool. Node only (bullmq is an optional peer).
 * @module wasmpool/bullmq
 */
export { serveQueue, type ServeOptions, type QueueServer } from './serve.js';
export {
  QueuePool,
  type QueuePoolOptions,
  type QueueTaskOptions,
  type QueueMapOptions,
  type QueueLazyMapOptions,
  type QueueAsyncResult,
  type QueuePoolStats,
} from './queue-pool.js';
export type { KeepJobs } from './protocol.js';
export { RedisConnectionError, RedisFullError, JobLostError } from './errors.js';
export { AsyncResult } from '../async-result.js';
export type { Submitter } from '../submission.js';
export { TaskError, TimeoutError, CancelledError, WorkerCrashError, PoolStateError, NotReadyError, QueueFullError } from '../errors.js';
