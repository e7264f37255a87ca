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
      /** Where each worker's AssemblyScript heap lives, for modules built with wasmpool's runtime (src/wasm/kernel-heaps.ts). */
      kernelHeaps?: KernelHeapSpec;
      /**
       * A second module, instantiated over the same imports, whose exports replace the module's of the same names:
       * the built-in kernels' relaxed-SIMD GEMM and convolution (src/modules/relaxed-simd.ts). It has no data
       * segments, so instantiating it writes nothing into the shared memory.
       */
      overrides?: WebAssembly.Module;
    };

/** Byte offsets in the pool's shared memory of the kernel-heap table and regions (src/wasm/kernel-heaps.ts). */
export interface KernelHeapSpec {
  table: number;
  regions: number;
  count: number;
  /** Bytes per region. */
  size: number;
}

/** One dispatched unit of work: an apply task, or one chunk of a map. */
export interface UnitMessage {
  id: number;
  slot: number;
  kernel: string;
  /** Decoded from the shared queue: where its payload lives (not used by `run` messages). */
  payload?: { page: number; offset: number; bytes: number; numbers: boolean };
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
  /** The thrown error's own `cause`, serialized the same way (a value that is not an Error travels as it is, if it can). */
  cause?: SerializedError | { value: unknown };
  /** The thrown error's own enumerable fields (`code`, `errno`, a library's details) that structured clone can copy. */
  fields?: Record<string, unknown>;
  /** In a map chunk: the index, within the chunk, of the item that failed. */
  item?: number;
  /** origin 'unknown-kernel': what the module does export (the main thread names the kernel from its own books). */
  exports?: string[];
}

/** What workers must know to read descriptors: sent in `init`, then as it grows. Lists only ever grow. */
export interface Catalog {
  /** Kernel names by the index descriptors carry, appended from `kernelsFrom`. */
  kernels?: string[];
  kernelsFrom?: number;
  /** Completion-slot pages, appended from `slotPagesFrom`. */
  slotPages?: SharedArrayBuffer[];
  slotPagesFrom?: number;
  /** Payload-arena pages by id. */
  arenaPages?: Array<[number, SharedArrayBuffer]>;
  /** Arena pages that are gone (a large payload's own page, freed). */
  forgetPages?: number[];
  /**
   * Kernel numbers whose names the module turned out not to export: the name is dropped and the number reads as
   * '' (a unit still naming it fails as an unknown kernel). Numbers are never reused.
   */
  forgetKernels?: number[];
}

export type MainToWorker =
  | {
      type: 'init';
      module: ModuleSpec;
      /** This worker's control cells (WorkerCell). */
      control: SharedArrayBuffer;
      /** The pool's control block (PoolCell, QueueCell). */
      signal: SharedArrayBuffer;
      /** The shared work queue and this worker's completion ring; absent without shared memory (units then come in `run` messages). */
      ring?: { descriptors: SharedArrayBuffer; completions: SharedArrayBuffer };
      /** A number unique among this pool's workers, never 0 (who holds the queue's lock). */
      serial: number;
      catalog: Catalog;
      initializer?: string;
      initargs?: unknown[];
      /** Take no more than this many units, then retire (maxTasksPerWorker). */
      maxUnits?: number;
      /** Retire after a unit that leaves this worker's own memory above this many MB (maxWorkerMemory). */
      maxMemoryMb?: number;
      /** Say `idle` after this many ms without work (the pool may retire a worker above minWorkers). */
      idleTimeout?: number;
      /** Post `exports` once the module is loaded (the pool does not know the module's exports yet). */
      reportExports?: boolean;
    }
  | ({ type: 'catalog' } & Catalog)
  | { type: 'run'; units: UnitMessage[] };

export type WorkerToMain =
  /**
   * Units of `run` messages whose numeric value is already in the slot (or that were skipped as cancelled), with
   * each one's start (epoch ms) and run time (ms; -1 for a skipped one) at the same index: a posted unit has no
   * completion entry to carry them.
   */
  | { type: 'done'; ids: number[]; startedAt: number[]; runMs: number[] }
  /**
   * A unit's value that is not a plain number, posted before its completion is published. A posted unit's
   * message carries its start and run time (a unit from the shared queue has them in its completion entry).
   */
  | { type: 'result'; id: number; value: unknown; startedAt?: number; runMs?: number }
  | { type: 'error'; id: number; error: SerializedError; startedAt?: number; runMs?: number }
  | { type: 'started'; id: number }
  | { type: 'init-failed'; error: SerializedError }
  /** The module is loaded (and the initializer ran): units posted to this worker now start without delay. */
  | { type: 'ready' }
  /**
   * The module loaded (and its initializer ran): the names of its kernels, sent once when `init` asked for them.
   * From then on the pool refuses other names itself and keeps none of them (unknown names cost no memory).
   */
  | { type: 'exports'; kernels: string[] }
  /**
   * The worker finished its last unit and takes no more: maxTasksPerWorker reached, its memory above
   * maxWorkerMemory, or (`stopped`) it found its RUNNING cell STOPPED between units, as the pool does to retire
   * an idle worker. Everything it completed is published before this message is posted.
   */
  | { type: 'retired'; reason: 'tasks' | 'memory' | 'stopped' }
  /** The worker has had no work for `idleTimeout` ms: the pool may retire it (it stops it, the worker answers `retired`). */
  | { type: 'idle' }
  /** A browser worker is closing itself (a kernel called self.close()): no other event would say so. */
  | { type: 'closing' };
