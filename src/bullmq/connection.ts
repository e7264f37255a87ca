/**
 * BullMQ's `connection`, as ioredis takes it: plain options (host/port, a socket path, TLS, Sentinel's
 * `sentinels` + `name`, ...) or an ioredis instance (a `Redis`, a `Cluster`). serveQueue runs on the caller's
 * thread and hands it on as it is. A QueuePool's connections live in its client thread, which an instance cannot
 * reach: the client thread gets the instance's own options (a Cluster's startup nodes and options) in a cloneable
 * form and opens its own connections of the same kind. Functions (retryStrategy, natMap as a function, TLS
 * callbacks) cannot cross threads; the client thread uses its own retry strategy in their place.
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { expected } from '../validate.js';

/** What a client thread connects with: ioredis' options for a Redis (Sentinel included) or for a Cluster. */
export type ConnectionSpec = { kind: 'redis'; options: Record<string, unknown> } | { kind: 'cluster'; nodes: unknown[]; options: Record<string, unknown> };

/** Limits every connection of a QueuePool applies (QueuePoolOptions.connectTimeout / commandTimeout). */
export interface Timeouts {
  connectTimeout: number;
  commandTimeout: number;
}

interface RedisLike {
  duplicate: () => unknown;
  options: Record<string, unknown>;
  isCluster?: boolean;
  startupNodes?: unknown[];
}

export function isRedisInstance(value: unknown): value is RedisLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { duplicate?: unknown }).duplicate === 'function' &&
    typeof (value as { options?: unknown }).options === 'object'
  );
}

/** A copy of `value` without functions, at any depth: what structured clone can carry of ioredis' options. */
function withoutFunctions(value: unknown, depth = 0): unknown {
  if (typeof value === 'function' || depth > 8) return undefined;
  if (Array.isArray(value)) return value.map((item) => withoutFunctions(item, depth + 1));
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const kept = withoutFunctions(item, depth + 1);
    if (kept !== undefined) out[key] = kept;
  }
  return out;
}

function checkShape(options: Record<string, unknown>, where: string): void {
  if (options.host !== undefined && typeof options.host !== 'string') throw new TypeError(expected(`${where}.host`, 'a host name', options.host));
  const port = options.port;
  if (port !== undefined && (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535)) {
    throw new RangeError(expected(`${where}.port`, 'a TCP port (an integer from 1 to 65535)', port));
  }
  if (options.keyPrefix) throw new TypeError(expected(`${where}.keyPrefix`, "nothing (BullMQ refuses ioredis' keyPrefix; use `prefix`)", options.keyPrefix));
}

/** Checks `connection` at the call; throws TypeError/RangeError naming `connection` if it is neither form. */
export function checkConnection(connection: unknown): void {
  if (isRedisInstance(connection)) {
    checkShape(connection.isCluster ? ((connection.options.redisOptions as Record<string, unknown>) ?? {}) : connection.options, 'connection.options');
    return;
  }
  if (typeof connection !== 'object' || connection === null || Array.isArray(connection)) {
    throw new TypeError(
      expected('connection', 'ioredis options ({ host, port }, { sentinels, name }, ...) or an ioredis Redis or Cluster instance', connection),
    );
  }
  checkShape(connection as Record<string, unknown>, 'connection');
}

/** The cloneable form of `connection` for a client thread. */
export function connectionSpec(connection: unknown): ConnectionSpec {
  checkConnection(connection);
  if (isRedisInstance(connection) && connection.isCluster) {
    return {
      kind: 'cluster',
      nodes: withoutFunctions(connection.startupNodes ?? []) as unknown[],
      options: withoutFunctions(connection.options) as Record<string, unknown>,
    };
  }
  const options = isRedisInstance(connection) ? connection.options : (connection as Record<string, unknown>);
  return { kind: 'redis', options: withoutFunctions(options) as Record<string, unknown> };
}

/** Retries every second or so, as BullMQ's own connections do, for the connections a client thread opens. */
const retryStrategy = (times: number): number => Math.max(Math.min(Math.exp(times), 5000), 500);

/**
 * After a Sentinel failover the old master answers writes with READONLY until the connection is made again (to the
 * new master): reconnect and resend the command. Used where the user's options give no reconnectOnError of their own.
 */
export const reconnectOnReadonly = (error: Error): 2 | false => (error.message.startsWith('READONLY') ? 2 : false);

/** Plain options with the READONLY reconnect added unless the user chose their own; an instance as it is. */
export function withFailover<T extends object>(connection: T): T {
  if (isRedisInstance(connection)) return connection;
  const options = connection as Record<string, unknown>;
  return (options.reconnectOnError === undefined ? { ...options, reconnectOnError: reconnectOnReadonly } : connection) as T;
}

/** A new ioredis client for `spec`, with `extra` options (and the timeouts) on top of the user's. */
export function openConnection(spec: ConnectionSpec, timeouts: Timeouts, extra: RedisOptions = {}): Redis | Cluster {
  const limits = { connectTimeout: timeouts.connectTimeout, commandTimeout: timeouts.commandTimeout, retryStrategy, reconnectOnError: reconnectOnReadonly };
  if (spec.kind === 'cluster') {
    const redisOptions = { ...((spec.options.redisOptions as RedisOptions) ?? {}), ...limits, ...extra };
    // Connecting and queueing are the Cluster's own settings; the rest applies to each node's connection.
    const clusterRetryStrategy = extra.retryStrategy === undefined ? retryStrategy : () => null;
    const own = { lazyConnect: extra.lazyConnect ?? false, enableOfflineQueue: extra.enableOfflineQueue ?? true, clusterRetryStrategy };
    return new Cluster(spec.nodes as never, { ...spec.options, ...own, redisOptions });
  }
  return new Redis({ ...(spec.options as RedisOptions), ...limits, ...extra });
}

/** `host:port` (ioredis' defaults filled in), the socket path, or the Sentinel group: for error messages. */
export function describeConnection(spec: ConnectionSpec): string {
  const options = spec.options as { host?: string; port?: number; path?: string; sentinels?: Array<{ host?: string; port?: number }>; name?: string };
  if (spec.kind === 'cluster') {
    const first = spec.nodes[0] as { host?: string; port?: number } | number | string | undefined;
    const where = typeof first === 'object' ? `${first.host ?? 'localhost'}:${first.port ?? 6379}` : String(first ?? 'localhost:6379');
    return `${where} (a Cluster node)`;
  }
  if (options.sentinels?.length) {
    const first = options.sentinels[0];
    return `${first.host ?? 'localhost'}:${first.port ?? 26379} (Sentinel group ${options.name ?? 'mymaster'})`;
  }
  if (options.path) return options.path;
  return `${options.host ?? 'localhost'}:${options.port ?? 6379}`;
}
