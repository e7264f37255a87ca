import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';
import type { CompileRequest, CompileResponse } from './protocol.js';

const COMPILER_THREAD = new URL('./compiler-thread.js', import.meta.url);

/**
 * Runs asc in a worker thread and blocks until it answers. Chosen over a child
 * process (`execFileSync(process.execPath, ...)`): it skips booting a second
 * Node and passes the binary without encoding it; bench/compile-runner.mjs
 * measures both.
 */
export function compileSync(request: CompileRequest): CompileResponse {
  const done = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(COMPILER_THREAD, { workerData: { request, port: port2, done }, transferList: [port2] });
  // Whatever ends the thread has been answered already (see compiler-thread.ts); a late 'error' event
  // must not crash the caller's process as an unhandled one.
  worker.on('error', () => {});
  try {
    // No timeout: the thread answers on success, failure, a throw and asc's own process.exit.
    Atomics.wait(done, 0, 0);
    const received = receiveMessageOnPort(port1);
    if (!received) return { ok: false, message: 'the AssemblyScript compiler thread ended without an answer' };
    return received.message as CompileResponse;
  } finally {
    port1.close();
    void worker.terminate();
  }
}

/**
 * The same compile without blocking: for Pool.create, which awaits it. The thread answers on its
 * port in every case (see compiler-thread.ts); an exit without a message is answered here.
 */
export function compileAsync(request: CompileRequest): Promise<CompileResponse> {
  return new Promise((resolve) => {
    const done = new Int32Array(new SharedArrayBuffer(4));
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(COMPILER_THREAD, { workerData: { request, port: port2, done }, transferList: [port2] });
    let settled = false;
    const finish = (response: CompileResponse): void => {
      if (settled) return;
      settled = true;
      port1.close();
      void worker.terminate();
      resolve(response);
    };
    worker.on('error', () => {});
    port1.once('message', (message: CompileResponse) => finish(message));
    worker.once('exit', () => {
      const received = receiveMessageOnPort(port1);
      finish(received ? (received.message as CompileResponse) : { ok: false, message: 'the AssemblyScript compiler thread ended without an answer' });
    });
  });
}
