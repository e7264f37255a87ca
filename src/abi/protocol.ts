/**
 * Every message between the main thread and a worker, as discriminated unions
 * of plain objects. Both sides import these types; nothing else crosses.
 */

/** What a worker needs to load the task module. */
export type ModuleSpec =
  | { kind: 'js'; url: string }
  | {
      kind: 'wasm';
      module: WebAssembly.Module;
      /** The pool's shared memory, when the module imports `env.memory` as shared. */
      memory?: WebAssembly.Memory;
      /** URL of AssemblyScript's raw bindings (`asc --bindings raw`), when present. */
      bindingsUrl?: string;
    };

/** One dispatched unit of work: an apply task, or one chunk of a map. */
export interface UnitMessage {
  id: number;
  slot: number;
  kernel: string;
  /** Apply: the argument list. */
  args?: unknown[];
  /** Map chunk: the items; each is one call (spread when `star`). All-number chunks travel as a Float64Array. */
  items?: unknown[] | Float64Array;
  star?: boolean;
  /** The main thread wants a `started` message (it runs a timer for this unit). */
  timed?: boolean;
}

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  /** Where the error came from: the kernel's own throw, a WASM trap, an AS abort, the loader. */
  origin: 'throw' | 'trap' | 'abort' | 'unknown-kernel' | 'init' | 'load';
}

export type MainToWorker =
  | {
      type: 'init';
      module: ModuleSpec;
      control: SharedArrayBuffer;
      signal: SharedArrayBuffer;
      initializer?: string;
      initargs?: unknown[];
    }
  | { type: 'run'; units: UnitMessage[]; pages?: SharedArrayBuffer[] };

export type WorkerToMain =
  /** Units whose numeric value is already in the slot slab (or that were skipped as cancelled). */
  | { type: 'done'; ids: number[]; busyMs: number }
  /** A unit's value that is not a plain number, posted before its flag is set. */
  | { type: 'result'; id: number; value: unknown; ms?: number }
  | { type: 'error'; id: number; error: SerializedError; ms?: number }
  | { type: 'started'; id: number }
  | { type: 'init-failed'; error: SerializedError }
  /** A browser worker is closing itself (a kernel called self.close()): no other event would say so. */
  | { type: 'closing' };
