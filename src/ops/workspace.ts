import type { AsyncResult } from '../async-result.js';
import type { Stage } from './run.js';
import type { Lowered } from '../shared/shared-arrays.js';
import type { SharedArrayConstructor, SharedTypedArray } from '../shared/typed-arrays.js';
import { splitRange } from '../parallel/split.js';
import type { FloatArray } from './reference.js';
import type { KernelBuild } from '../modules/relaxed-simd.js';

/** What pool.ops needs from its Pool (built in pool.ts, so ops never reaches into the pool's private state). */
export interface OpsHost {
  workers(): number;
  state(): 'open' | 'closing' | 'terminated';
  /** The kernel names of the pool's module, or undefined for a JS module. */
  kernels(): ReadonlySet<string> | ReadonlyMap<string, unknown> | undefined;
  /** How the pool's module is named in messages. */
  label(): string;
  /** A typed array as (pointer, length) in shared memory: a pool.alloc view as it is, any other copied in. */
  lower(view: FloatArray, where: string): Lowered;
  copyBack(lowered: Lowered): void;
  release(lowered: Lowered): void;
  alloc<C extends SharedArrayConstructor>(type: C, length: number): InstanceType<C>;
  free(view: SharedTypedArray): void;
  starmapAsync(kernel: string, items: unknown[][]): AsyncResult<unknown[]>;
  /** Which build of the built-in GEMM and convolution the pool loaded (src/modules/relaxed-simd.ts). */
  build(): KernelBuild;
  /** The kernels instantiated on the calling thread, on the same shared memory, or undefined where that fails. */
  local(): Record<string, (...args: number[]) => unknown> | undefined;
  onIdle(): Promise<void>;
}

/** Work estimated below this many nanoseconds runs on the calling thread (a round trip to a worker costs ~10–50 µs). */
export const INLINE_NS = 30_000;

type FloatConstructor = Float32ArrayConstructor | Float64ArrayConstructor;

/** An output of an operation: where the kernels write it, and what the caller gets back. */
export interface Output<A extends FloatArray> {
  readonly ptr: number;
  /** The array the caller receives: `out`, or a new plain array copied out of shared memory. */
  result(): A;
}

/**
 * The shared memory one operation uses: inputs copied in (or pool.alloc views used in place), outputs and
 * scratch. Everything it took is given back by dispose(): at once when no stage is running (success, or a
 * failure before anything was dispatched); after a failure, only once the pool is idle, since other parts of
 * a failed stage may still be writing.
 */
export class Workspace {
  readonly #host: OpsHost;
  readonly #inputs: Lowered[] = [];
  readonly #outputs: Lowered[] = [];
  readonly #views: SharedTypedArray[] = [];
  #dispatched = false;

  constructor(host: OpsHost) {
    this.#host = host;
  }

  /** The pointer of an input array. */
  input(x: FloatArray, where: string): number {
    const lowered = this.#host.lower(x, where);
    this.#inputs.push(lowered);
    return lowered.args[0] as number;
  }

  /** An output of `length` elements of `type`: the caller's `out`, or a fresh block. */
  output<A extends FloatArray>(type: FloatConstructor, length: number, out: A | undefined, where: string): Output<A> {
    if (out !== undefined) {
      const lowered = this.#host.lower(out, where);
      this.#outputs.push(lowered);
      return { ptr: lowered.args[0] as number, result: () => out };
    }
    const view = this.scratch(type, length);
    return { ptr: view.byteOffset, result: () => view.slice() as A };
  }

  /** A block of shared memory for partial results, not cleared. */
  scratch<C extends FloatConstructor>(type: C, length: number): InstanceType<C> {
    const view = this.#host.alloc(type, length);
    this.#views.push(view);
    return view;
  }

  /**
   * Runs `kernel` over [0, length) cut into at most `workers` parts of at least `minPart`, boundaries multiples
   * of `align`. Work estimated at under INLINE_NS (`ns`) runs at once on the calling thread instead, in one part:
   * a round trip to a worker costs more than that. The kernel is the same, so is the result.
   */
  split(kernel: string, length: number, minPart: number, align: number, args: (start: number, end: number) => unknown[], ns = Infinity): Stage {
    const local = ns < INLINE_NS ? this.#host.local() : undefined;
    if (local) {
      local[kernel](...(args(0, length) as number[]));
      return { ran: [undefined] };
    }
    const parts = Math.max(1, Math.min(this.#host.workers(), Math.floor(length / minPart)));
    const items = splitRange(length, parts, align)
      .filter(([start, end]) => end > start)
      .map(([start, end]) => args(start, end));
    this.#dispatched = true;
    return this.#host.starmapAsync(kernel, items);
  }

  /** The operation succeeded: copy outputs back into plain `out` arrays. */
  commit(): void {
    for (const lowered of this.#outputs) this.#host.copyBack(lowered);
  }

  dispose(ok: boolean): void {
    const host = this.#host;
    const free = (): void => {
      for (const lowered of [...this.#inputs, ...this.#outputs]) host.release(lowered);
      for (const view of this.#views) host.free(view);
    };
    if (ok || !this.#dispatched) free();
    else void host.onIdle().then(free, free);
  }
}
