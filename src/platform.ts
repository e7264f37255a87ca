import type { PrepareOptions } from './modules/prepare.js';
import type { ModuleSource } from './options.js';
import type { Transport } from './transport/types.js';
import type { PreparedModule } from './wasm/prepare-module.js';

/** What differs between Node and browsers; each entry point installs its own. */
export interface Platform {
  transport: Transport;
  prepareModule(source: ModuleSource | undefined, options?: PrepareOptions): PreparedModule;
  /** Serializes a task payload for the shared work queue (node:v8); absent where workers cannot decode it. */
  serialize?: (value: unknown) => Uint8Array;
  /** Pool.create: compiles a source module without blocking, so the constructor finds it compiled (Node). */
  precompile?: (source: ModuleSource, options: { debug?: boolean }) => Promise<void>;
}

let current: Platform | undefined;

export function installPlatform(platform: Platform): void {
  current = platform;
}

export function platform(): Platform {
  if (!current) throw new Error('wasmpool: no platform installed; import from "wasmpool", not from an internal file');
  return current;
}
