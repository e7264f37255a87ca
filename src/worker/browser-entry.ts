/**
 * Entry point of a browser module Web Worker. Messages arrive on the worker's
 * own global scope; the task loop is the shared WorkerRuntime. An app's own worker script imports it as
 * `wasmpool/worker` to `registerKernels` (README "Bundlers").
 * @module wasmpool/worker
 */
import type { BrowserInit } from '../transport/browser.js';
import { LOADED, WORKER_KERNELS } from '../transport/browser-signals.js';
import type { MainToWorker, WorkerToMain } from '../abi/protocol.js';
import { SHARED_MEMORY_AVAILABLE } from '../abi/shared-buffer.js';
import { WorkerRuntime } from './runtime.js';

/** The part of DedicatedWorkerGlobalScope used here (the DOM lib types `self` as a Window). */
interface WorkerScope {
  postMessage(message: WorkerToMain, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<MainToWorker | BrowserInit>) => void): void;
}

const scope = globalThis as unknown as WorkerScope;

let registered: object | undefined;

/**
 * For the app's own worker script: `import { registerKernels } from 'wasmpool/worker'`, then
 * `registerKernels(kernels)` (an object of functions, or `import * as kernels from './tasks.ts'`), and create the
 * Pool with `module: 'wasmpool:worker-kernels'` and `createWorker` (or `workerUrl`) naming that script. The app's
 * bundler compiles it like any other worker, TypeScript included. Call it at the top level, before any `await`.
 */
export function registerKernels(kernels: object): void {
  if (typeof kernels !== 'object' || kernels === null) {
    throw new TypeError(`Expected \`kernels\` to be an object (or module namespace) of functions, got ${kernels === null ? 'null' : typeof kernels}`);
  }
  registered = kernels;
}

function registeredKernels(): Promise<object> {
  if (registered) return Promise.resolve(registered);
  return Promise.reject(
    new TypeError(
      `\`module: '${WORKER_KERNELS}'\` needs a worker script that calls registerKernels() from 'wasmpool/worker' before its first await, and this worker's script did not; pass that script as \`createWorker\` or \`workerUrl\``,
    ),
  );
}

/** A task module's URL is known only at run time: bundlers must leave this import alone, not try to resolve it. */
function importTaskModule(url: string): Promise<object> {
  return import(/* webpackIgnore: true */ /* @vite-ignore */ url) as Promise<object>;
}

const runtime = new WorkerRuntime({
  post: (message, transfer) => scope.postMessage(message, transfer ?? []),
  services: { writeLine: (line) => console.log(line) },
  importUrl: (url) => (url === WORKER_KERNELS ? registeredKernels() : importTaskModule(url)),
});

// A kernel that calls self.close() ends this worker with no error event; say so first, or its task
// would never settle.
const selfScope = globalThis as unknown as { close(): void };
const closeWorker = selfScope.close.bind(selfScope);
selfScope.close = () => {
  scope.postMessage({ type: 'closing' }, []);
  closeWorker();
  // close() does not stop the current turn: the kernel would return and this worker would publish
  // into a slot the main thread has already failed and handed to the next task (which then read 0).
  // Block here until the pool terminates us, so it is a crash mid-task like any other.
  if (SHARED_MEMORY_AVAILABLE) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
};

scope.addEventListener('message', (event) => {
  const message = event.data;
  // A page that is not cross-origin isolated cannot post a shared Memory; make this worker's own.
  if (message.type === 'init' && 'memoryType' in message && message.memoryType && message.module.kind === 'wasm' && !message.module.memory) {
    message.module.memory = new WebAssembly.Memory({ ...message.memoryType, shared: true });
  }
  runtime.handle(message);
});

// Tells the transport this script ran: an `error` before it is a script that did not load.
(globalThis as unknown as { postMessage(message: string): void }).postMessage(LOADED);
