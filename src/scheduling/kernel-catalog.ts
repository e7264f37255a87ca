import type { TaskError } from '../errors.js';
import { unknownKernelError } from './task-error.js';

/**
 * Kernel names by the number a shared-queue descriptor carries, as every worker learns them. Only names the module
 * exports are kept: its exports are known at construction when the main thread has read them (a plain WASM
 * module), else from the first worker that loaded the module (its `exports` message). From then on a task naming
 * anything else is refused before it is queued (`refusal`), so no caller can make the catalog, which every worker
 * holds a copy of, grow beyond the module's exports. Names that came before the exports were known are kept only
 * until then: `learnExports` forgets those that are not exports.
 *
 * A number is never reused: a descriptor still in the shared queue may carry it. A forgotten number reads as ''
 * (never a kernel name: the pool refuses an empty one), and a unit naming it fails as an unknown kernel.
 */
export class KernelCatalog {
  /** Names by number; '' where a name was forgotten. */
  readonly #names: string[] = [];
  readonly #numbers = new Map<string, number>();
  #exports: ReadonlySet<string> | undefined;

  constructor(exports?: Iterable<string>) {
    if (exports) this.#exports = new Set(exports);
  }

  /** The module's exports are known: unknown names are refused. */
  get exportsKnown(): boolean {
    return this.#exports !== undefined;
  }

  /** Names stored (forgotten ones not counted): never more than the module's exports once they are known. */
  get size(): number {
    return this.#numbers.size;
  }

  /** The whole list by number, for a new worker's `init`. */
  names(): string[] {
    return [...this.#names];
  }

  /** The failure of a task naming `name`, when the module is known not to export it; else undefined. */
  refusal(name: string): TaskError | undefined {
    const exports = this.#exports;
    return exports === undefined || exports.has(name) ? undefined : unknownKernelError(name, exports);
  }

  /** The number of `name`; a new name is added and `announce`d (the workers must learn it before its descriptor). */
  numberOf(name: string, announce: (name: string, index: number) => void): number {
    let index = this.#numbers.get(name);
    if (index === undefined) {
      index = this.#names.length;
      this.#names.push(name);
      this.#numbers.set(name, index);
      announce(name, index);
    }
    return index;
  }

  /** Learns the exports (the first report counts); returns the numbers of the stored names it forgot. */
  learnExports(exports: readonly string[]): number[] {
    if (this.#exports) return [];
    const known = new Set(exports);
    this.#exports = known;
    const forgotten: number[] = [];
    for (const [name, index] of this.#numbers) {
      if (known.has(name)) continue;
      this.#numbers.delete(name);
      this.#names[index] = '';
      forgotten.push(index);
    }
    return forgotten;
  }
}
