/**
 * The compiler thread's entry: asc's API is async, the Pool constructor is
 * not, so the main thread blocks in Atomics.wait while this runs (see
 * compile-sync.ts), then reads the answer off the port synchronously.
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import type { CompileRequest, CompileResponse } from './protocol.js';
import { runAsc } from './run-asc.js';

const { request, port, done } = workerData as { request: CompileRequest; port: MessagePort; done: Int32Array };
let answered = false;

function answer(response: CompileResponse): void {
  if (answered) return;
  answered = true;
  port.postMessage(response);
  // Store, then notify: a main thread that wakes reads the message already queued on its port.
  Atomics.store(done, 0, 1);
  Atomics.notify(done, 0);
}

// asc calls process.exit(1) when it crashes; in a worker that ends the thread,
// and the blocked main thread must still hear about it.
process.on('exit', () => answer({ ok: false, message: 'the AssemblyScript compiler crashed (it exited without a result; what it printed is on stderr)' }));

const threw = (error: unknown): void => answer({ ok: false, message: `the AssemblyScript compiler threw: ${(error as Error)?.stack ?? String(error)}` });
// An exception outside runAsc's promise chain (a timer inside asc) would otherwise end the thread with no answer.
process.on('uncaughtException', threw);
runAsc(request).then(answer, threw);
