/**
 * A private redis-server for one test file: started on a free loopback port, stopped at the end. Uses
 * `redis-server` from PATH (Debian: apt-get install redis-server), or the server at REDIS_URL when given.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisServer {
  host: string;
  port: number;
  /** Whether this file started the server itself (restart tests need that). */
  owned: boolean;
  stop(): Promise<void>;
  /** Stops (SIGKILL, a crash) and starts again on the same port, keeping the data only if `appendonly`. */
  restart(): Promise<void>;
  /** SIGSTOP / SIGCONT: a Redis that keeps its connections but answers nothing (frozen, swapped out). */
  freeze(): void;
  thaw(): void;
}

/** A loopback port nobody listens on (a moment ago). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function launch(port: number, dir: string, appendonly: boolean, extra: string[] = []): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir, '--appendonly', appendonly ? 'yes' : 'no', ...extra];
  if (appendonly) args.push('--appendfsync', 'always');
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    child.once('error', (error) =>
      reject(new Error(`Cannot start redis-server (${error.message}); install it (apt-get install redis-server) or set REDIS_URL`)),
    );
    child.once('exit', (code) => reject(new Error(`redis-server exited with code ${code}: ${output}`)));
    child.stdout!.on('data', (data: Buffer) => {
      output += data.toString();
      if (output.includes('Ready to accept connections')) resolve(child);
    });
  });
}

/** A queue name of this run only, so a shared REDIS_URL server's leftovers from other runs cannot interfere. */
export function uniqueQueue(name: string): string {
  return `${name}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * `restartable`: the test kills and restarts the server, so it must be this file's own even when REDIS_URL is set
 * (nobody else's server can be restarted); that needs redis-server on PATH.
 */
export async function startRedis(options: { appendonly?: boolean; restartable?: boolean; args?: string[] } = {}): Promise<RedisServer> {
  if (process.env.REDIS_URL && !options.restartable && !options.args) {
    const url = new URL(process.env.REDIS_URL);
    return {
      host: url.hostname,
      port: Number(url.port || 6379),
      owned: false,
      stop: async () => {},
      restart: async () => Promise.reject(new Error('Cannot restart the server at REDIS_URL; restart tests start their own')),
      freeze: () => {
        throw new Error('Cannot freeze the server at REDIS_URL');
      },
      thaw: () => {},
    };
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'wasmpool-redis-'));
  const appendonly = options.appendonly ?? false;
  let child = await launch(port, dir, appendonly, options.args);
  const kill = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.removeAllListeners('exit');
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  };
  return {
    host: '127.0.0.1',
    port,
    owned: true,
    stop: kill,
    async restart() {
      await kill();
      child = await launch(port, dir, appendonly, options.args);
    },
    freeze: () => void child.kill('SIGSTOP'),
    thaw: () => void child.kill('SIGCONT'),
  };
}
