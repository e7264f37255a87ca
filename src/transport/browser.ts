import type { MainToWorker, ModuleSpec, WorkerToMain } from '../abi/protocol.js';
import { SHARED_MEMORY_AVAILABLE } from '../abi/shared-buffer.js';
import { infoOf, resolveModuleSpec } from '../modules/registry.js';
import { describe } from '../validate.js';
import { LOADED } from './browser-signals.js';
import type { SpawnOptions, Transport, WebWorkerLike, WorkerEvents, WorkerHandle } from './types.js';

/** Where a failed worker load points: bundler set-ups are the usual cause. */
export const BUNDLERS_HELP =
  'if a bundler built this page, see "Bundlers" in the wasmpool README (node_modules/wasmpool/README.md#bundlers), or pass `workerUrl` or `createWorker`';

/** Memory limits sent instead of the Memory itself when it cannot be posted (see forThisPage). */
export interface MemoryType {
  initial: number;
  maximum: number;
}

/** The `init` message as the browser worker entry receives it. */
export type BrowserInit = Extract<MainToWorker, { type: 'init' }> & { memoryType?: MemoryType };

/**
 * A page that is not cross-origin isolated cannot post a shared WebAssembly.Memory.
 * Each worker then creates its own with the same limits: the kernels still run,
 * but workers no longer see one another's memory.
 */
function forThisPage(message: MainToWorker): MainToWorker | BrowserInit {
  if (SHARED_MEMORY_AVAILABLE || message.type !== 'init' || message.module.kind !== 'wasm' || !message.module.memory) return message;
  const { memory, ...module } = message.module;
  const declared = infoOf(module.module)?.memoryImport;
  const initial = declared?.initial ?? memory.buffer.byteLength / 65536;
  return { ...message, module, memoryType: { initial, maximum: declared?.maximum ?? initial } };
}

/**
 * The worker, written as the one expression bundlers recognise and rewrite to a bundled worker chunk (Vite and
 * webpack 5, tested in test/bundlers; Parcel documents the same). Keep it literally so: a URL built elsewhere
 * and passed in later is copied unbundled, and its imports then fail to resolve.
 */
function defaultWorker(): Worker {
  return new Worker(new URL('../worker/browser-entry.js', import.meta.url), { type: 'module', name: 'wasmpool' });
}

/** The worker as the app asked for it (`createWorker`, `workerUrl`), else the default; with the URL it was loaded from. */
function createWorker(options: SpawnOptions | undefined): { worker: Worker; url: string } {
  if (options?.createWorker) {
    const worker: Partial<WebWorkerLike> | null | undefined = options.createWorker();
    if (typeof worker?.postMessage !== 'function' || typeof worker.addEventListener !== 'function' || typeof worker.terminate !== 'function') {
      throw new TypeError(`Expected \`createWorker\` to return a Worker, got ${describe(worker)}`);
    }
    return { worker: worker as Worker, url: 'the one `createWorker` returned' };
  }
  if (options?.workerUrl !== undefined) {
    const base = (globalThis as { document?: { baseURI: string } }).document?.baseURI ?? globalThis.location?.href;
    const url = new URL(options.workerUrl, base).href;
    return { worker: new Worker(url, { type: 'module', name: 'wasmpool' }), url };
  }
  // Named, not computed: a second `new URL('…', import.meta.url)` would make a bundler emit an unbundled copy.
  return { worker: defaultWorker(), url: 'dist/worker/browser-entry.js, or the chunk a bundler made of it' };
}

/** `origin` 'load' for a task module that could not be loaded; 'throw' (the message as it is) for the worker script itself. */
function loadFailure(error: unknown, origin: 'load' | 'throw' = 'load'): WorkerToMain {
  const cause = error instanceof Error ? error : new Error(String(error));
  return { type: 'init-failed', error: { name: cause.name, message: cause.message, stack: cause.stack, origin } };
}

/**
 * Browser transport: one module Web Worker per worker, messages on the Worker
 * object itself. A browser cannot read a MessagePort synchronously, so
 * drainSync() says no. A page's main thread may not Atomics.wait at all; a
 * (cross-origin isolated) Web Worker may, so a pool created inside a worker can
 * block in getSync() for numeric results and in waitSync() for any.
 */
export const browserTransport: Transport = {
  canBlock: SHARED_MEMORY_AVAILABLE && typeof (globalThis as { document?: unknown }).document === 'undefined',
  readsMessagesSync: false,
  customWorkers: true,
  defaultWorkers: () => globalThis.navigator?.hardwareConcurrency || 4,
  spawn(events: WorkerEvents, options?: SpawnOptions): WorkerHandle {
    const { worker, url } = createWorker(options);
    let exited = false;
    /** Set once the entry script has run: an `error` before then means the script never loaded. */
    let loaded = false;
    /** Messages posted while the task module is still being fetched; sent in order once it is ready. */
    let held: Array<[MainToWorker, Transferable[] | undefined]> | undefined;

    const send = (message: MainToWorker, transfer?: Transferable[]): void => worker.postMessage(forThisPage(message), transfer ?? []);
    // A browser reports no exit for a dead Web Worker; an uncaught error is the
    // closest sign, so it ends the worker and is reported as its exit.
    const end = (error: unknown): void => {
      if (exited) return;
      exited = true;
      held = undefined;
      worker.terminate();
      events.exit({ code: undefined, error });
    };

    worker.addEventListener('message', (event: MessageEvent<WorkerToMain | typeof LOADED>) => {
      if (exited) return;
      if (event.data === LOADED) loaded = true;
      else if (event.data.type === 'closing') end(new Error('the worker closed itself (a kernel called self.close())'));
      else events.message(event.data);
    });
    // A script that fails to load fires a plain Event (no message, no filename); an uncaught error an ErrorEvent.
    worker.addEventListener('error', (event: Partial<ErrorEvent> & Event) => {
      event.preventDefault();
      if (loaded || exited) {
        end(event.error instanceof Error ? event.error : new Error(event.message || 'the worker threw outside any task'));
        return;
      }
      // The script (or one of its imports) did not load: that will not change on a retry, so every task fails
      // with this, instead of the pool replacing workers until its crash breaker trips.
      const detail = event.message ? `: ${event.message}` : ' (a 404, a MIME type other than JavaScript, or an import that did not resolve)';
      events.message(loadFailure(new Error(`The wasmpool worker script (${url}) could not be loaded${detail}; ${BUNDLERS_HELP}`), 'throw'));
      end(undefined);
    });
    worker.addEventListener('messageerror', () => end(new Error('a message from the worker could not be deserialized')));

    const postInit = (message: Extract<MainToWorker, { type: 'init' }>): void => {
      const spec = resolveModuleSpec(message.module);
      if (!(spec instanceof Promise)) return send(message);
      held = [];
      spec.then(
        (module: ModuleSpec) => {
          if (exited) return;
          send({ ...message, module });
          for (const [queued, transfer] of held ?? []) send(queued, transfer);
          held = undefined;
        },
        (error: unknown) => {
          if (!exited) events.message(loadFailure(error));
        },
      );
    };

    return {
      post(message: MainToWorker, transfer?: Transferable[]) {
        if (exited) return;
        if (held) held.push([message, transfer]);
        else if (message.type === 'init') postInit(message);
        else send(message, transfer);
      },
      drainSync: () => false,
      setBusy() {},
      async terminate() {
        if (exited) return;
        // Reported after this turn, as Node does: the pool may be iterating its workers right now.
        await Promise.resolve();
        end(undefined);
      },
    };
  },
};
