/**
 * Host functions every WASM task module may import, in both runtimes:
 *   env.abort / env.trace / env.seed   what AssemblyScript's standard library calls
 *   wasmpool.log / sleep / now / ...   the helper library in assembly/lib/
 * They run inside a worker, on the worker's own instance.
 */
import { SHARED_MEMORY_AVAILABLE } from '../abi/shared-buffer.js';
import { readAsString } from './as-string.js';

/** Thrown by `env.abort`; the worker turns it into a TaskError with origin 'abort'. */
export class KernelAbort extends Error {
  override name = 'KernelAbort';
}

export interface HostServices {
  /** Writes one line to the program's standard output, in order with the main thread's. */
  writeLine(line: string): void;
}

const sleepCell = SHARED_MEMORY_AVAILABLE ? new Int32Array(new SharedArrayBuffer(4)) : undefined;

export function sleepMs(ms: number): void {
  if (ms <= 0) return;
  if (sleepCell) {
    Atomics.wait(sleepCell, 0, 0, ms);
    return;
  }
  // Atomics.wait needs shared memory; a worker of a page that is not isolated can only spin.
  const end = performance.now() + ms;
  while (performance.now() < end);
}

export function createHostImports(getMemory: () => WebAssembly.Memory, services: HostServices): WebAssembly.Imports {
  const text = (pointer: number): string => readAsString(getMemory(), pointer);
  return {
    env: {
      abort(message: number, file: number, line: number, column: number): never {
        const where = file ? ` at ${text(file)}:${line >>> 0}:${column >>> 0}` : '';
        throw new KernelAbort(`${text(message) || 'abort'}${where}`);
      },
      trace(message: number, count: number, ...values: number[]): void {
        services.writeLine(`trace: ${text(message)}${count > 0 ? ' ' + values.slice(0, count).join(', ') : ''}`);
      },
      seed(): number {
        return Date.now() * Math.random();
      },
    },
    wasmpool: {
      log(message: number): void {
        services.writeLine(text(message));
      },
      logNumber(message: number, value: number): void {
        services.writeLine(`${text(message)}${value}`);
      },
      sleep(ms: number): void {
        sleepMs(ms);
      },
      now(): number {
        return performance.now();
      },
      random(): number {
        return Math.random();
      },
    },
  };
}
