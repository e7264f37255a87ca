/**
 * Entry point of a Node worker thread. The port to the pool arrives in
 * workerData, so messages posted before this thread even started are already
 * queued on it: dispatch never waits for a ready handshake.
 */
import { writeSync } from 'node:fs';
import { deserialize, getHeapStatistics } from 'node:v8';
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import type { MainToWorker } from '../abi/protocol.js';
import { v8HeapProbe, workerMemoryMb } from './memory-probe.js';
import { WorkerRuntime } from './runtime.js';

// Per isolate: this worker's own heap, not the process's.
const heap = v8HeapProbe(getHeapStatistics);

const { port } = workerData as { port: MessagePort };

const runtime = new WorkerRuntime({
  post: (message, transfer) => port.postMessage(message, transfer as never),
  // writeSync to fd 1, not console.log: console output from a worker is relayed
  // through the main thread's event loop and would appear after the result.
  services: { writeLine: (line) => void writeSync(1, line + '\n') },
  importUrl: (url) => import(url) as Promise<object>,
  receiveSync: () => receiveMessageOnPort(port)?.message as MainToWorker | undefined,
  deserialize: (bytes) => deserialize(bytes) as unknown,
  memoryMb: () => workerMemoryMb(heap, []),
});

process.on('exit', (code) => runtime.markExiting(code));
port.on('message', (message: MainToWorker) => runtime.handle(message));
