/**
 * BullMQ's `connection` (`{ host, port, ... }` or an ioredis instance), reduced to the plain settings a
 * client thread can be given (an ioredis instance cannot cross threads: its settings can), and described
 * as host:port for error messages.
 */
import { expected } from '../validate.js';
import type { PlainConnection } from './protocol.js';

const PLAIN_KEYS = ['host', 'port', 'path', 'username', 'password', 'db', 'family', 'tls'] as const;

function isRedisInstance(value: object): value is { options: Record<string, unknown> } {
  return typeof (value as { duplicate?: unknown }).duplicate === 'function' && typeof (value as { options?: unknown }).options === 'object';
}

/** The plain settings of `connection`; throws TypeError naming `connection` if it is neither form. */
export function plainConnection(connection: unknown): PlainConnection {
  if (typeof connection !== 'object' || connection === null || Array.isArray(connection)) {
    throw new TypeError(expected('connection', 'BullMQ connection options ({ host, port }) or an ioredis instance', connection));
  }
  const source = isRedisInstance(connection) ? connection.options : (connection as Record<string, unknown>);
  const plain: Record<string, unknown> = {};
  for (const key of PLAIN_KEYS) if (source[key] !== undefined) plain[key] = source[key];
  if (plain.host !== undefined && typeof plain.host !== 'string') throw new TypeError(expected('connection.host', 'a host name', plain.host));
  if (plain.port !== undefined && (typeof plain.port !== 'number' || !Number.isInteger(plain.port) || plain.port < 1 || plain.port > 65535)) {
    throw new RangeError(expected('connection.port', 'a TCP port (an integer from 1 to 65535)', plain.port));
  }
  return plain as PlainConnection;
}

/** `host:port` (ioredis' defaults filled in), or the socket path. */
export function describeConnection(connection: PlainConnection): string {
  if (connection.path) return connection.path;
  return `${connection.host ?? 'localhost'}:${connection.port ?? 6379}`;
}
