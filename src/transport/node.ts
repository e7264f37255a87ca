import { availableParallelism } from 'node:os';
import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';
import type { MainToWorker, WorkerToMain } from '../abi/protocol.js';
import type { SpawnOptions, Transport, WorkerEvents, WorkerHandle } from './types.js';

const WORKER_ENTRY = new URL('../worker/node-entry.js', import.meta.url);

/**
 * Node transport: one worker_thread per worker, and a MessageChannel of ours
 * for the pool protocol. Our own port (not the Worker object) is what makes
 * receiveMessageOnPort possible, so getSync() can read a result without an
 * event-loop turn.
 */
export const nodeTransport: Transport = {
  canBlock: true,
  readsMessagesSync: true,
  defaultWorkers: () => availableParallelism(),
  spawn(events: WorkerEvents, options?: SpawnOptions): WorkerHandle {
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(WORKER_ENTRY, { workerData: { port: port2 }, transferList: [port2], resourceLimits: options?.resourceLimits });
    let fatal: unknown;
    let exited = false;
    port1.on('message', (message: WorkerToMain) => events.message(message));
    worker.on('error', (error) => {
      fatal = error;
    });
    worker.on('exit', (code) => {
      exited = true;
      // Deno emits 'exit' synchronously inside worker.terminate(), while the pool is still replacing
      // this worker (it then replaced it twice); Node emits it on a later turn. Report it after this
      // turn on both, as the browser transport does.
      queueMicrotask(() => {
        events.exit({ code, error: fatal });
        port1.close();
      });
    });
    worker.unref();
    port1.unref();
    let busy = false;
    return {
      post(message: MainToWorker, transfer?: Transferable[]) {
        port1.postMessage(message, transfer as never);
      },
      drainSync() {
        for (let m = receiveMessageOnPort(port1); m; m = receiveMessageOnPort(port1)) events.message(m.message as WorkerToMain);
        return true;
      },
      setBusy(next: boolean) {
        if (next === busy || exited) return;
        busy = next;
        if (next) {
          worker.ref();
          port1.ref();
        } else {
          worker.unref();
          port1.unref();
        }
      },
      async terminate() {
        if (!exited) await worker.terminate();
      },
    };
  },
};
