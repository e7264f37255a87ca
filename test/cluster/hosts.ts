/** Simulated hosts: child processes, each with its own Pool serving the queue (host.mjs). */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const HOST = fileURLToPath(new URL('./host.mjs', import.meta.url));

export interface Host {
  pid: number;
  child: ChildProcess;
  /** kill -9: the host vanishes mid-job, as a machine losing power would. */
  kill(): Promise<void>;
  /** serveQueue's close(): stop taking jobs, let running ones finish. */
  close(): Promise<void>;
}

export async function startHost(queue: string, port: number, workers = 1, flags: string[] = []): Promise<Host> {
  const child = fork(HOST, [queue, String(port), String(workers), ...flags], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`host exited with code ${code} before serving`)));
    child.once('message', () => resolve());
  });
  child.removeAllListeners('exit');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    pid: child.pid!,
    child,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.send({ type: 'close' });
      await exited;
    },
  };
}

export async function stopAll(hosts: Host[]): Promise<void> {
  await Promise.all(hosts.map((host) => host.kill()));
}

/** Jobs waiting for a host: QueuePool jobs always carry a BullMQ priority, so they wait as "prioritized". */
export async function waitingJobs(queue: { getJobCounts(...types: string[]): Promise<Record<string, number>> }): Promise<number> {
  const counts = await queue.getJobCounts('waiting', 'prioritized');
  return (counts.waiting ?? 0) + (counts.prioritized ?? 0);
}

/** Resolves once `condition()` holds: for state only Redis can tell (job counts), asked every 20 ms. */
export async function eventually(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const giveUp = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > giveUp) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
